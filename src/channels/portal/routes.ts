/**
 * The portal API (`/api/v1/portal`) and its try-it page (`/portal`). Each POST answers only
 * once submit() has the job in Redis; while Redis is down it answers 503 with Retry-After and
 * files nothing. Order of the checks on a request: API key (401), rate limit (429), content
 * type (415), size (413), body (400), Idempotency-Key (422) — the cheap refusals first.
 * The routes translate HTTP to PortalRequests (portal-requests.ts), which files and reads.
 */
import express, { Router, type ErrorRequestHandler } from 'express';
import helmet from 'helmet';
import type { Redis } from 'ioredis';
import type { RequestReader } from '../../intake/request-reader.js';
import { IntakeError, isIntakeError } from '../../errors.js';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import type { Intake } from '../../intake/intake.js';
import type { Logger } from '../../logger.js';
import type { Settings } from '../../settings.js';
import { DEMO_CLIENT, demoPortalKey, portalAuth, portalClientOf } from './api-keys.js';
import { renderDocsPage } from './docs-page.js';
import { portalFormPage } from './form-page.js';
import { portalOpenApiDocument } from './openapi.js';
import { PortalRequests, unavailable } from './portal-requests.js';
import { portalRateLimit } from './rate-limit.js';
import { finishUpload, uploadError, uploadMiddleware } from './uploads.js';

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
  const requests = new PortalRequests({
    intake: deps.intake,
    store: deps.store,
    redis,
    prefix: settings.intake.prefix,
    publicApiUrl: `${settings.http.publicUrl.replace(/\/$/, '')}${PORTAL_API_PATH}`,
    sentAtMaxAgeMs: portal.sentAtMaxAgeMs,
    logger: deps.logger,
    now: deps.now ?? Date.now,
  });
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
  api.use(portalRateLimit(redis, { prefix: settings.intake.prefix, windowMs: portal.rateLimitWindowMs, max: portal.rateLimitMax, logger: deps.logger }));

  api.post(
    '/requests',
    (req, _res, next) => {
      next(req.is('application/json') ? undefined : new IntakeError('UNSUPPORTED_MEDIA_TYPE', 'Send the request as JSON with "Content-Type: application/json".'));
    },
    express.json({ limit: portal.maxBodyBytes, type: 'application/json' }),
    async (req, res) => {
      const filed = await requests.file(portalClientOf(res.locals), req.body, req.get('idempotency-key'));
      if (filed.replayed) res.set('Idempotent-Replayed', 'true');
      res.status(202).json(filed.answer);
    },
  );

  api.get('/requests/:number', async (req, res) => {
    const number = await requests.ownedNumber(String(req.params.number), portalClientOf(res.locals));
    res.json(await requests.view(number));
  });

  api.post('/requests/:number/attachments', async (req, res) => {
    const client = portalClientOf(res.locals);
    const number = await requests.ownedNumber(String(req.params.number), client);
    if (!req.is('multipart/form-data')) throw new IntakeError('UNSUPPORTED_MEDIA_TYPE', 'Upload files as multipart/form-data in parts named "files".');
    await new Promise<void>((resolve, reject) => {
      upload(req, res, (error: unknown) => (error ? reject(uploadError(error, uploadLimits)) : resolve()));
    }).catch(async (error: unknown) => {
      // Nothing of a refused upload stays on disk, not even the files before the refused one.
      await finishUpload(req, deps.attachments, false);
      // Someone sending programs to the service desk is worth a line in the log.
      if (isIntakeError(error) && error.code === 'ATTACHMENT_NOT_ALLOWED') deps.logger.warn({ client, requestNumber: number, reason: error.message }, 'portal upload refused');
      throw error;
    });
    await finishUpload(req, deps.attachments, true);
    const files = (req.files ?? []) as Express.Multer.File[];
    if (files.length === 0) throw new IntakeError('INPUT_INVALID', 'No files: send one or more parts named "files".', { details: [{ path: 'files', message: 'required' }] });
    const attachments = files.map((file) => ({ name: file.filename, type: file.mimetype, size: file.size, sha256: file.path.slice(-64), storageKey: file.path }));
    const note = typeof (req.body as Record<string, unknown> | undefined)?.description === 'string' ? String((req.body as Record<string, string>).description).slice(0, 10_000) : '';
    res.status(202).json(await requests.attach(client, number, attachments, note));
  });

  api.use(bodyErrors);

  return {
    api,
    page: portalFormPage({
      demoKey: demoPortalKey(portal.apiKeys),
      apiPath: PORTAL_API_PATH,
      status: (number) => requests.pageStatus(number, DEMO_CLIENT),
      ...(deps.now ? { now: deps.now } : {}),
    }),
  };
}

/** body-parser's refusals as IntakeErrors: 413 over the limit, 400 for broken JSON, 415 for odd charsets. */
const bodyErrors: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') next(new IntakeError('PAYLOAD_TOO_LARGE', 'The body is over the size limit; nothing was filed.'));
  else if (type === 'entity.parse.failed') next(new IntakeError('INPUT_INVALID', 'The body is not valid JSON.', { details: [{ path: '(body)', message: 'not valid JSON' }] }));
  else if (type === 'charset.unsupported' || type === 'encoding.unsupported') next(new IntakeError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as UTF-8 JSON.'));
  else next(error);
};
