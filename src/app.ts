/**
 * buildApp(deps) builds the express app without listening, so tests drive it in-process with
 * supertest and `main.ts` decides where it listens.
 */
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import { IntakeError, isIntakeError, type ErrorAnswer } from './errors.js';
import type { Logger } from './logger.js';
import type { Readiness } from './util/readiness.js';

export interface AppDeps {
  readiness: Readiness;
  logger: Logger;
  /** The routers of the roles and channels this process serves, mounted in this order. */
  routes?: ReadonlyArray<{ path: string; router: Router }>;
}

export function buildApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind a proxy (the production image), the client address and scheme come from it.
  app.set('trust proxy', 'loopback');

  /** Liveness: the process answers. Never touches Redis, so a Redis outage does not get us restarted. */
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  /** Readiness: can this process take requests now? 503 with the failing checks otherwise. */
  app.get('/readyz', async (_req, res) => {
    const report = await deps.readiness.report();
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not-ready', checks: report.checks });
  });

  for (const { path, router } of deps.routes ?? []) app.use(path, router);

  app.use((req, _res, next) => {
    next(new IntakeError('NOT_FOUND', `No route ${req.method} ${req.path}.`));
  });

  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const intakeError = isIntakeError(error) ? error : toIntakeError(error);
    // Redis away is expected and already told (one line at its loss): each 503 it causes is one
    // short line, never a stack trace per request.
    if (intakeError.code === 'REDIS_UNAVAILABLE') deps.logger.warn({ code: intakeError.code, method: req.method, path: req.path }, intakeError.message);
    else if (intakeError.status >= 500) deps.logger.error({ err: error }, 'request failed');
    if (intakeError.retryable && intakeError.status === 503) res.set('Retry-After', '5');
    // The shape the OpenAPI document describes (errorAnswerSchema).
    const answer: ErrorAnswer = { error: intakeError.toJSON() };
    res.status(intakeError.status).json(answer);
  };
  app.use(onError);
  return app;
}

/** body-parser and friends throw errors with `status`/`type`; keep their 4xx, hide the rest. */
function toIntakeError(error: unknown): IntakeError {
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const error4xx = new IntakeError('INPUT_INVALID', (error as Error).message);
    Object.assign(error4xx, { status });
    return error4xx;
  }
  return new IntakeError('INTERNAL', 'Something went wrong on our side; nothing was lost. Try again.', { cause: error });
}
