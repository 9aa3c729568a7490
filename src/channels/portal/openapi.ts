/**
 * The OpenAPI 3.1 document of the portal API, generated whole from zod schemas (zod 4's
 * toJSONSchema): the request body from the schema the routes validate with, the answers from
 * the schemas that type them (answers.ts), every error answer from errors.ts's, per code. The
 * tests validate real answers against this document (Ajv), so it cannot drift from the
 * implementation. A portal team should need nothing else to integrate.
 */
import { z } from 'zod';
import { errorAnswerSchema, errorAnswerSchemaFor, errorDetailSchema, type ErrorCode } from '../../errors.js';
import { REQUEST_NUMBER } from '../../domain/request-number.js';
import { attachAnswerSchema, attachmentViewSchema, deadlineViewSchema, filedAnswerSchema, historyItemViewSchema, requestStatusViewSchema } from './answers.js';
import { portalRequestSchema } from './schemas.js';
import { IDEMPOTENCY_KEY } from './idempotency.js';
import { ALLOWED_EXTENSIONS_TEXT } from './attachment-types.js';

type JsonSchema = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';

/**
 * zod's JSON Schema, tidied for an OpenAPI document: `format: date-time` says what zod's
 * long instant pattern says (the pattern only cluttered the docs page), and components carry
 * no `$schema`/`$id` of their own (the document is their scope).
 */
const generated = {
  target: 'draft-2020-12',
  override: (context: { jsonSchema: JsonSchema }) => {
    if (context.jsonSchema.format === 'date-time') delete context.jsonSchema.pattern;
  },
} as const;

function withoutSchemaIds(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** The body schema as JSON Schema 2020-12, plus the per-kind rules zod checks in code. */
function requestBodySchema(): JsonSchema {
  return {
    ...withoutSchemaIds(z.toJSONSchema(portalRequestSchema, { ...generated, io: 'input' }) as JsonSchema),
    allOf: [
      {
        if: { properties: { kind: { const: 'escalation' } }, required: ['kind'] },
        then: { required: ['escalates'] },
        else: { required: ['contractNumber', 'serialNumber', 'subject'], not: { required: ['escalates'] } },
      },
    ],
  };
}

/** `INPUT_INVALID` → `InputInvalidError`: the component of that code's error answer. */
function errorComponent(code: ErrorCode): string {
  return `${code.toLowerCase().replace(/(^|_)([a-z])/g, (_, _separator: string, letter: string) => letter.toUpperCase())}Error`;
}

/** The codes the portal routes answer with (routes.ts, uploads.ts, api-keys.ts, rate-limit.ts, app.ts). */
const PORTAL_ERROR_CODES = ['INPUT_INVALID', 'UNAUTHORIZED', 'NOT_FOUND', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'ATTACHMENT_NOT_ALLOWED', 'IDEMPOTENCY_KEY_REUSED', 'RATE_LIMITED', 'INTERNAL', 'REDIS_UNAVAILABLE'] as const satisfies readonly ErrorCode[];
type PortalErrorCode = (typeof PORTAL_ERROR_CODES)[number];

/** Every schema the paths refer to, generated in one pass so that they refer to each other by $ref. */
function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  registry.add(filedAnswerSchema, { id: 'FiledAnswer' });
  registry.add(attachmentViewSchema, { id: 'Attachment' });
  registry.add(attachAnswerSchema, { id: 'AttachAnswer' });
  registry.add(deadlineViewSchema, { id: 'Deadline' });
  registry.add(historyItemViewSchema, { id: 'HistoryItem' });
  registry.add(requestStatusViewSchema, { id: 'RequestStatus' });
  registry.add(errorDetailSchema, { id: 'ErrorDetail' });
  registry.add(errorAnswerSchema, { id: 'Error' });
  for (const code of PORTAL_ERROR_CODES) registry.add(errorAnswerSchemaFor(code), { id: errorComponent(code) });
  const { schemas } = z.toJSONSchema(registry, { ...generated, io: 'output', uri: (id) => `${COMPONENTS}${id}` }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withoutSchemaIds(schema)]));
}

/** An error answer: its code's schema, and the header some carry. */
function errorResponse(code: PortalErrorCode, description: string): JsonSchema {
  const retryAfter = code === 'RATE_LIMITED' || code === 'REDIS_UNAVAILABLE';
  return {
    description: `\`${code}\`: ${description}`,
    ...(retryAfter ? { headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } } } : {}),
    content: { 'application/json': { schema: { $ref: `${COMPONENTS}${errorComponent(code)}` } } },
  };
}

/** A status answered with one of several codes. */
function errorResponses(codes: readonly PortalErrorCode[], description: string): JsonSchema {
  return {
    description: `${codes.map((code) => `\`${code}\``).join(' or ')}: ${description}`,
    content: { 'application/json': { schema: { oneOf: codes.map((code) => ({ $ref: `${COMPONENTS}${errorComponent(code)}` })) } } },
  };
}

function answer(description: string, component: string, headers?: JsonSchema): JsonSchema {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: { $ref: `${COMPONENTS}${component}` } } } };
}

/** What every operation behind the API key may answer. */
const common = {
  '401': errorResponse('UNAUTHORIZED', 'No or wrong API key.'),
  '429': errorResponse('RATE_LIMITED', 'Too many requests with this key in the current window.'),
  '500': errorResponse('INTERNAL', 'A fault on our side (a failing disk, say); try again.'),
};
const numberParameter = { name: 'number', in: 'path', required: true, schema: { type: 'string', pattern: REQUEST_NUMBER.source }, example: 'HZ-2026-000123' };

/** The whole document; `publicUrl` is the gateway's public URL (settings.http.publicUrl). */
export function portalOpenApiDocument(publicUrl: string): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'myHEZO portal API',
      version: '1.0.0',
      description:
        'The API the myHEZO.pl portal back end uses to file service requests and escalations, upload device logs and read a request’s status. Authenticate with `Authorization: Bearer <API key>`; each key belongs to one portal client, which sees only the requests it filed. Times are UTC ISO-8601; deadlines also come in Warsaw time. Every error answers `{"error": {"code", "message", "retryable", "details"?}}`; the codes are in docs/errors.md.',
    },
    servers: [{ url: `${publicUrl.replace(/\/$/, '')}/api/v1/portal` }],
    security: [{ apiKey: [] }],
    paths: {
      '/requests': {
        post: {
          operationId: 'fileRequest',
          summary: 'File a service request or an escalation',
          description: 'Answers once the request is durably queued (202). With `Idempotency-Key`, a retry with the same body gets the same request number; another body under the same key is refused (422).',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'A unique key per submission (e.g. a UUID). Strongly recommended: it makes retries safe. A key stays bound to the body it was first sent with, at any age: never reuse one for a new request. Keys starting with `attach:` are reserved.',
              schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: `${COMPONENTS}RequestSubmission` } } } },
          responses: {
            '202': answer('Queued: the request number is final; the status follows once stamped.', 'FiledAnswer', {
              'Idempotent-Replayed': { description: '`true` when this answers an earlier submission with the same Idempotency-Key.', schema: { type: 'string' } },
            }),
            '400': errorResponse('INPUT_INVALID', 'The body is not valid JSON or fails validation; `details` lists every field at fault.'),
            ...common,
            '413': errorResponse('PAYLOAD_TOO_LARGE', 'The body is larger than the limit (64 KiB by default).'),
            '415': errorResponse('UNSUPPORTED_MEDIA_TYPE', 'The body is not `application/json` (UTF-8).'),
            '422': errorResponse('IDEMPOTENCY_KEY_REUSED', 'The Idempotency-Key was used before with a different body.'),
            '503': errorResponse('REDIS_UNAVAILABLE', 'Redis is unavailable; nothing was filed. Retry after the time given.'),
          },
        },
      },
      '/requests/{number}': {
        get: {
          operationId: 'readRequest',
          summary: 'Read a request’s status, deadlines and history',
          parameters: [numberParameter],
          responses: {
            '200': answer('The request as the customer may see it.', 'RequestStatus'),
            '400': errorResponse('INPUT_INVALID', 'The request number is malformed.'),
            ...common,
            '404': errorResponse('NOT_FOUND', 'No request with this number was filed with this API key.'),
            '503': errorResponse('REDIS_UNAVAILABLE', 'Redis is unavailable.'),
          },
        },
      },
      '/requests/{number}/attachments': {
        post: {
          operationId: 'attachFiles',
          summary: 'Upload device logs to a request',
          description: 'Multipart upload; the files are recorded on the request. Executables (and scripts) are refused.',
          parameters: [numberParameter],
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['files'],
                  properties: {
                    files: { type: 'array', items: { type: 'string', contentMediaType: 'application/octet-stream' }, description: 'One part per file (20 at most, 25 MiB each by default).' },
                    description: { type: 'string', maxLength: 10000, description: 'An optional note for the engineer.' },
                  },
                },
              },
            },
          },
          responses: {
            '202': answer('Stored and queued to be recorded on the request.', 'AttachAnswer'),
            '400': errorResponse('INPUT_INVALID', 'Malformed upload, or no files.'),
            ...common,
            '404': errorResponse('NOT_FOUND', 'No request with this number was filed with this API key.'),
            '413': errorResponse('PAYLOAD_TOO_LARGE', 'A file is over the size limit, or too many files.'),
            '415': errorResponses(
              ['UNSUPPORTED_MEDIA_TYPE', 'ATTACHMENT_NOT_ALLOWED'],
              `Not multipart/form-data, or a file is not on the allow-list, judged by its name and its content: ${ALLOWED_EXTENSIONS_TEXT}. Nothing of the upload is kept.`,
            ),
            '503': errorResponse('REDIS_UNAVAILABLE', 'Redis is unavailable; nothing was recorded.'),
          },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The API key issued to the portal back end.' } },
      schemas: { RequestSubmission: requestBodySchema(), ...componentSchemas() },
    },
  };
}
