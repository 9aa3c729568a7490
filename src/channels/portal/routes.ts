/**
 * The portal API (`/api/v1/portal`) and its try-it page (`/portal`). Each POST answers only
 * once submit() has the job in Redis; while Redis is down it answers 503 with Retry-After and
 * files nothing. Order of the checks on a request: API key (401), rate limit (429), content
 * type (415), size (413), body (400), Idempotency-Key (422) — the cheap refusals first.
 */
import { createHash, randomUUID } from 'node:crypto';
import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { IntakeDraft } from '../../domain/request.js';
import { parseRequestNumber } from '../../domain/request-number.js';
import type { RequestReader } from '../../intake/request-reader.js';
import { IntakeError, isIntakeError } from '../../errors.js';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import type { Intake } from '../../intake/submit.js';
import type { Logger } from '../../logger.js';
import type { Settings } from '../../settings.js';
import type { AttachAnswer, FiledAnswer, PortalStatus } from './answers.js';
import { demoPortalKey, portalAuth, portalClientOf } from './api-keys.js';
import { renderDocsPage } from './docs-page.js';
import { portalFormPage } from './form-page.js';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE, idempotencyGuard } from './idempotency.js';
import { portalOpenApiDocument } from './openapi.js';
import { portalRateLimit } from './rate-limit.js';
import { portalSourcePrefix, RequestOwnership } from './ownership.js';
import { portalDraft, portalRequestProblems } from './schemas.js';
import { customerView } from './status-view.js';
import { uploadError, uploadMiddleware } from './uploads.js';

/** Where main.ts mounts the two routers. */
export const PORTAL_API_PATH = '/api/v1/portal';
export const PORTAL_PAGE_PATH = '/portal';

export interface PortalDeps {
  intake: Intake;
  store: RequestReader;
  attachments: AttachmentStore;
  /** The general-purpose client (rate limits, idempotency records, ownership). */
  redis: Redis;
  settings: Readonly<Settings>;
  logger: Logger;
  now?: () => number;
}

export function portalRoutes(deps: PortalDeps): { api: Router; page: Router } {
  const { settings, redis } = deps;
  const portal = settings.portal;
  const now = deps.now ?? Date.now;
  const prefix = settings.intake.prefix;
  const ownership = new RequestOwnership(redis, prefix);
  const publicApi = `${settings.http.publicUrl.replace(/\/$/, '')}${PORTAL_API_PATH}`;
  const openApi = portalOpenApiDocument(settings.http.publicUrl);
  const docsHtml = renderDocsPage(openApi);
  const uploadLimits = { maxFiles: portal.maxAttachmentsPerRequest, maxBytes: settings.attachments.maxBytes };
  const upload = uploadMiddleware(deps.attachments, uploadLimits);

  const api = Router();
  api.use(helmet());
  api.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  api.get('/docs', (_req, res) => {
    res.type('html').send(docsHtml);
  });

  api.use(portalAuth(portal.apiKeys));
  // A down Redis is answered at once with 503 (ioredis would otherwise hold the command).
  api.use((_req, _res, next) => {
    next(redis.status === 'ready' ? undefined : unavailable());
  });
  api.use(portalRateLimit(redis, { prefix, windowMs: portal.rateLimitWindowMs, max: portal.rateLimitMax, logger: deps.logger }));

  api.post(
    '/requests',
    (req, _res, next) => {
      next(req.is('application/json') ? undefined : new IntakeError('UNSUPPORTED_MEDIA_TYPE', 'Send the request as JSON with "Content-Type: application/json".'));
    },
    express.json({ limit: portal.maxBodyBytes, type: 'application/json' }),
    async (req, res) => {
      const client = portalClientOf(res.locals);
      const nowMs = now();
      const { request, problems } = portalRequestProblems(req.body, nowMs, portal.sentAtMaxAgeMs);
      const key = req.get('idempotency-key');
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) problems.push({ path: 'Idempotency-Key', message: IDEMPOTENCY_KEY_RULE });
      if (request?.escalates && !(await redisCall(ownership.isOwner(request.escalates, client)))) {
        problems.push({ path: 'escalates', message: `no request ${request.escalates} was filed with this API key` });
      }
      if (!request || problems.length > 0) throw new IntakeError('INPUT_INVALID', 'The request has problems; see details.', { details: problems });

      // The client's name is part of the source key, and the source key is who filed it (ownership.ts).
      const sourceKey = `${portalSourcePrefix(client)}${key ?? randomUUID()}`;
      // The key is bound to the body in the step that numbers the request (422 on a conflict).
      const guard = key === undefined ? undefined : idempotencyGuard(prefix, client, key, req.body);
      const result = await deps.intake.submit(portalDraft(request, client, sourceKey, nowMs), guard ? { guard } : {});
      const answer: FiledAnswer = {
        requestNumber: result.requestNumber,
        status: result.duplicate || result.mode === 'attach' ? await statusOfFiled(result.requestNumber) : 'queued',
        statusUrl: `${publicApi}/requests/${result.requestNumber}`,
      };
      if (result.duplicate && key !== undefined) res.set('Idempotent-Replayed', 'true');
      res.status(202).json(answer);
    },
  );

  api.get('/requests/:number', async (req, res) => {
    const number = await ownedNumber(req, res);
    const [request, history] = await redisCall(Promise.all([deps.store.get(number), deps.store.history(number)]));
    res.json(customerView(number, request, history));
  });

  api.post('/requests/:number/attachments', async (req, res) => {
    const number = await ownedNumber(req, res);
    if (!req.is('multipart/form-data')) throw new IntakeError('UNSUPPORTED_MEDIA_TYPE', 'Upload files as multipart/form-data in parts named "files".');
    await new Promise<void>((resolve, reject) => {
      upload(req, res, (error: unknown) => (error ? reject(uploadError(error, uploadLimits)) : resolve()));
    }).catch((error: unknown) => {
      // Someone sending programs to the service desk is worth a line in the log.
      if (isIntakeError(error) && error.code === 'UNSUPPORTED_MEDIA_TYPE') deps.logger.warn({ client: portalClientOf(res.locals), requestNumber: number, reason: error.message }, 'portal upload refused');
      throw error;
    });
    const files = (req.files ?? []) as Express.Multer.File[];
    if (files.length === 0) throw new IntakeError('INPUT_INVALID', 'No files: send one or more parts named "files".', { details: [{ path: 'files', message: 'required' }] });
    const attachments = files.map((file) => ({ name: file.filename, type: file.mimetype, size: file.size, sha256: file.path.slice(-64), storageKey: file.path }));
    const client = portalClientOf(res.locals);
    const note = typeof (req.body as Record<string, unknown> | undefined)?.description === 'string' ? String((req.body as Record<string, string>).description).slice(0, 10_000) : '';
    const checksums = createHash('sha256').update(attachments.map((a) => a.sha256).sort().join(',')).digest('hex');
    const stored = await redisCall(deps.store.get(number));
    const draft: IntakeDraft = {
      channel: 'portal',
      kind: 'service',
      sourceKey: `portal:${client}:attach:${number}:${checksums}`,
      sentAt: new Date(now()).toISOString(),
      reporter: {},
      ...(note ? { description: note } : {}),
      language: stored?.language ?? 'pl',
      attachments,
      references: [number],
      raw: { payload: { client, upload: true } },
    };
    const result = await deps.intake.submit(draft);
    const answer: AttachAnswer = { requestNumber: result.requestNumber, attachments: attachments.map(({ name, type, size, sha256 }) => ({ name, type, size, sha256 })) };
    res.status(202).json(answer);
  });

  api.use(bodyErrors);

  /** The number in the path, if this client filed it; 404 for any other (existence is not leaked). */
  async function ownedNumber(req: Request, res: Response): Promise<string> {
    const number = parseRequestNumber(String(req.params.number));
    if (number === null) {
      throw new IntakeError('INPUT_INVALID', `"${String(req.params.number)}" is not a request number.`, { details: [{ path: 'number', message: 'expected HZ-YYYY-NNNNNN' }] });
    }
    if (!(await redisCall(ownership.isOwner(number, portalClientOf(res.locals))))) throw new IntakeError('NOT_FOUND', `No request ${number} was filed with this API key.`);
    return number;
  }

  /**
   * The status of a request submit() has just filed (an escalation's target, a replay's
   * request), or `queued` when it cannot be read. Never a 503: that answer says nothing was
   * filed, and a portal retrying without an Idempotency-Key would file the escalation twice.
   */
  async function statusOfFiled(number: string): Promise<PortalStatus> {
    try {
      return (await deps.store.get(number))?.status ?? 'queued';
    } catch (error) {
      deps.logger.warn({ err: error, requestNumber: number }, 'portal request filed, but its status could not be read; answered queued');
      return 'queued';
    }
  }

  return { api, page: portalFormPage({ demoKey: demoPortalKey(portal.apiKeys), apiPath: PORTAL_API_PATH }) };
}

function unavailable(cause?: unknown): IntakeError {
  return new IntakeError('REDIS_UNAVAILABLE', 'Redis is unavailable; nothing was filed, try again shortly.', cause === undefined ? {} : { cause });
}

/** Redis failures of our own commands are 503s like submit()'s, never 500s. */
async function redisCall<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw isIntakeError(error) ? error : unavailable(error);
  }
}

/** body-parser's refusals as IntakeErrors: 413 over the limit, 400 for broken JSON, 415 for odd charsets. */
const bodyErrors: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') next(new IntakeError('PAYLOAD_TOO_LARGE', 'The body is over the size limit; nothing was filed.'));
  else if (type === 'entity.parse.failed') next(new IntakeError('INPUT_INVALID', 'The body is not valid JSON.', { details: [{ path: '(body)', message: 'not valid JSON' }] }));
  else if (type === 'charset.unsupported' || type === 'encoding.unsupported') next(new IntakeError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON.'));
  else next(error);
};
