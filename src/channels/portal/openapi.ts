/**
 * The OpenAPI 3.1 document of the portal API, built in code: the request body schema is
 * generated from the zod schema the routes validate with, and the tests validate every
 * response they get against the response schemas here (Ajv), so the document cannot drift
 * from the implementation. A portal team should need nothing else to integrate.
 */
import { z } from 'zod';
import { REQUEST_NUMBER } from '../../domain/request-number.js';
import { ERROR_CODES } from '../../errors.js';
import { portalRequestSchema } from './schemas.js';
import { IDEMPOTENCY_KEY } from './idempotency.js';

type JsonSchema = Record<string, unknown>;

const REQUEST_NUMBER_PATTERN = REQUEST_NUMBER.source;

/** The body schema as JSON Schema 2020-12, plus the per-kind rules zod checks in code. */
function requestBodySchema(): JsonSchema {
  const generated = z.toJSONSchema(portalRequestSchema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema;
  delete generated.$schema;
  return {
    ...generated,
    allOf: [
      {
        if: { properties: { kind: { const: 'escalation' } }, required: ['kind'] },
        then: { required: ['escalates'] },
        else: { required: ['contractNumber', 'serialNumber', 'subject'], not: { required: ['escalates'] } },
      },
    ],
  };
}

const deadline: JsonSchema = {
  type: 'object',
  required: ['at', 'warsaw', 'trace'],
  additionalProperties: false,
  properties: {
    at: { type: 'string', format: 'date-time', description: 'The instant (UTC).' },
    warsaw: { type: 'string', description: 'The same instant in Warsaw time, e.g. `Mon 2026-11-30 09:30 CET`.' },
    trace: { type: 'string', description: 'How the deadline was computed from the sent time and the service window.' },
  },
};

const errorBody: JsonSchema = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'retryable'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES), description: 'See docs/errors.md.' },
        message: { type: 'string', description: 'What to do about it, in words for a person.' },
        retryable: { type: 'boolean', description: 'Whether sending the same request again later can succeed.' },
        details: {
          type: 'array',
          description: 'Every field at fault at once (400).',
          items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

const filedAnswer: JsonSchema = {
  type: 'object',
  required: ['requestNumber', 'status', 'statusUrl'],
  additionalProperties: false,
  properties: {
    requestNumber: { type: 'string', pattern: REQUEST_NUMBER_PATTERN, description: 'The request number to show the user (an escalation answers the number of the request it escalates).' },
    status: { type: 'string', description: '`queued` until stamped (usually under a second); then the request status, e.g. `accepted`, `needs-info`.' },
    statusUrl: { type: 'string', format: 'uri', description: 'Where to read the status (GET, same API key).' },
  },
};

const attachmentView: JsonSchema = {
  type: 'object',
  required: ['name', 'type', 'size', 'sha256'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: 'The sanitized file name.' },
    type: { type: 'string', description: 'The content type as sniffed from the content.' },
    size: { type: 'integer', minimum: 0 },
    sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
};

const requestStatus: JsonSchema = {
  type: 'object',
  required: ['requestNumber', 'status', 'attachments', 'history'],
  additionalProperties: false,
  properties: {
    requestNumber: { type: 'string', pattern: REQUEST_NUMBER_PATTERN },
    status: {
      type: 'string',
      enum: ['queued', 'needs-info', 'unauthorized-reporter', 'contract-expired', 'accepted', 'contacted', 'verified', 'shipped', 'delivered', 'returned', 'closed'],
      description: '`accepted`: the response clock runs. `needs-info`, `unauthorized-reporter`, `contract-expired`: waiting for data or for HEZO to confirm.',
    },
    kind: { type: 'string', enum: ['service', 'escalation'] },
    escalated: { type: 'boolean' },
    sentAt: { type: 'string', format: 'date-time' },
    contractNumber: { type: 'string' },
    serialNumber: { type: 'string' },
    device: { type: 'object', required: ['serial', 'model'], additionalProperties: false, properties: { serial: { type: 'string' }, model: { type: 'string' } } },
    subject: { type: 'string' },
    responseDeadline: { ...deadline, description: 'By when an engineer contacts the reporter (60 minutes of service-window time).' },
    firstResponseAt: { type: 'string', format: 'date-time' },
    deliveryDeadline: { ...deadline, description: 'SOS only: by when the replacement device is delivered.' },
    returnDeadline: { ...deadline, description: 'By when the damaged device is due back.' },
    attachments: { type: 'array', items: { $ref: '#/components/schemas/Attachment' } },
    history: {
      type: 'array',
      items: {
        type: 'object',
        required: ['at', 'type', 'by'],
        additionalProperties: false,
        properties: {
          at: { type: 'string', format: 'date-time' },
          type: { type: 'string', description: 'filed, clock-started, reassessed, reply, escalation, escalated, contacted, verified, shipped, delivered, returned, closed, note' },
          by: { type: 'string', enum: ['you', 'HEZO', 'system'] },
          data: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  },
};

function errorResponse(description: string, headers?: Record<string, JsonSchema>): JsonSchema {
  return { description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } };
const common = {
  '401': errorResponse('No or wrong API key.'),
  '429': errorResponse('Too many requests with this key in the current window.', retryAfter),
};
const numberParameter = { name: 'number', in: 'path', required: true, schema: { type: 'string', pattern: REQUEST_NUMBER_PATTERN }, example: 'HZ-2026-000123' };

/** The whole document; `publicUrl` is the gateway's public URL (settings.http.publicUrl). */
export function portalOpenApiDocument(publicUrl: string): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'myHEZO portal API',
      version: '1.0.0',
      description:
        'The API the myHEZO.pl portal back end uses to file service requests and escalations, upload device logs and read a request’s status. Authenticate with `Authorization: Bearer <API key>`; each key belongs to one portal client, which sees only the requests it filed. Times are UTC ISO-8601; deadlines also come in Warsaw time.',
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
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/RequestSubmission' } } } },
          responses: {
            '202': {
              description: 'Queued: the request number is final; the status follows once stamped.',
              headers: { 'Idempotent-Replayed': { description: '`true` when this answers an earlier submission with the same Idempotency-Key.', schema: { type: 'string' } } },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/FiledAnswer' } } },
            },
            '400': errorResponse('The body is not valid JSON or fails validation; `details` lists every field at fault.'),
            ...common,
            '413': errorResponse('The body is larger than the limit (64 KiB by default).'),
            '415': errorResponse('The body is not `application/json`.'),
            '422': errorResponse('The Idempotency-Key was used before with a different body.'),
            '503': errorResponse('Redis is unavailable; nothing was filed. Retry after the time given.', retryAfter),
          },
        },
      },
      '/requests/{number}': {
        get: {
          operationId: 'readRequest',
          summary: 'Read a request’s status, deadlines and history',
          parameters: [numberParameter],
          responses: {
            '200': { description: 'The request as the customer may see it.', content: { 'application/json': { schema: { $ref: '#/components/schemas/RequestStatus' } } } },
            '400': errorResponse('The request number is malformed.'),
            ...common,
            '404': errorResponse('No request with this number was filed with this API key.'),
            '503': errorResponse('Redis is unavailable.', retryAfter),
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
            '202': { description: 'Stored and queued to be recorded on the request.', content: { 'application/json': { schema: { $ref: '#/components/schemas/AttachAnswer' } } } },
            '400': errorResponse('Malformed upload, or no files.'),
            ...common,
            '404': errorResponse('No request with this number was filed with this API key.'),
            '413': errorResponse('A file is over the size limit, or too many files.'),
            '415': errorResponse('Not multipart/form-data, or a file is an executable.'),
            '503': errorResponse('Redis is unavailable; nothing was recorded.', retryAfter),
          },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The API key issued to the portal back end.' } },
      schemas: {
        RequestSubmission: requestBodySchema(),
        FiledAnswer: filedAnswer,
        Attachment: attachmentView,
        AttachAnswer: {
          type: 'object',
          required: ['requestNumber', 'attachments'],
          additionalProperties: false,
          properties: { requestNumber: { type: 'string', pattern: REQUEST_NUMBER_PATTERN }, attachments: { type: 'array', items: { $ref: '#/components/schemas/Attachment' } } },
        },
        RequestStatus: requestStatus,
        Error: errorBody,
      },
    },
  };
}
