/**
 * The ops page as one piece for main.ts: sign-in, the page and its JSON, SSE, downloads,
 * actions, the queue board at /ops/queues (behind the same sign-in) and `/metrics`. Mount the
 * router at `/`; call `start()` after listening and `close()` on shutdown, BEFORE closing the
 * HTTP server (it ends the open event streams, which would otherwise hold the server open).
 */
import { Router, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { ServiceCalendar } from '../../domain/calendar.js';
import { urgencyLevels } from '../../domain/running-clock.js';
import type { EngineerAlerts } from '../../notify/engineer-alerts.js';
import type { RequestStore } from '../../store/request-store.js';
import type { TimerService } from '../../dispatcher/timers.js';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import type { Logger } from '../../logger.js';
import type { RedisConnections } from '../../redis/redis-connections.js';
import type { Settings } from '../../settings.js';
import type { ServiceRequest } from '../../domain/request.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { createQueueBoard, QUEUE_BOARD_CSP, QUEUE_BOARD_PATH } from '../queue-board.js';
import { ChangeFeed } from './change-feed.js';
import { setSecurityHeaders } from './html.js';
import { assetRoutes, pageRoutes } from './page-routes.js';
import { workbenchApi } from './workbench-api.js';
import type { ContractRegistry } from '../../domain/contracts.js';
import type { NotificationSink } from '../../notify/notification-sink.js';
import { RequestIndex } from '../../search/request-index.js';
import { SessionStore } from './sessions.js';
import { SessionStreams } from './session-streams.js';
import { PasswordChecker } from './sign-in-guards.js';
import { loadSession, requireCsrf, requireEngineer, signInRoutes } from './sign-in.js';

export { demoCredentials, engineerAccounts } from './sign-in.js';

export interface OpsDeps {
  store: RequestStore;
  timers: Pick<TimerService, 'schedule'>;
  alerts: Pick<EngineerAlerts, 'acknowledge'>;
  calendar: ServiceCalendar;
  attachments: Pick<AttachmentStore, 'open' | 'exists'>;
  /** The general-purpose client (sessions, lock-outs, metric markers). */
  redis: Redis;
  /** Where the change feed's subscriber and the board's and metrics' queues get their connections. */
  connections: RedisConnections;
  settings: Readonly<Pick<Settings, 'ops' | 'http' | 'intake'> & { alerts: Pick<Settings['alerts'], 'warnMinutesBefore'> }>;
  logger: Logger;
  /** The contract registry as it is now (the correction form's lookup and re-assessment). */
  registry: () => ContractRegistry;
  /** Where an engineer's reply and a merge notice are queued. */
  notifier: NotificationSink;
  /** Engineers known beside the page's accounts (the API's token names): whom `assign` takes. */
  apiEngineers?: readonly string[];
  /** For tests: the clock of countdowns and actions. */
  now?: () => number;
  heartbeatMs?: number;
  /** What closing an inspection sets off (src/inspections/care-sweep.ts). */
  inspectionClosed?: (request: ServiceRequest) => Promise<void>;
  /**
   * More signed-in pages (inspections, reports: src/inspections/care-routes.ts), mounted after
   * the sign-in and before the guard; each guards itself with requireEngineer/requireCsrf.
   */
  pages?: readonly Router[];
}

export interface Ops {
  /** Mount at `/`: it defines /ops, /ops/* and /metrics. */
  router: Router;
  metrics: Metrics;
  /** This process's list and search over every request (the engineer API uses it too). */
  index: RequestIndex;
  /** Subscribes to request changes (SSE and counters). */
  start(): Promise<void>;
  /** Ends the event streams at once, then closes queues and the subscriber within `graceMs`. */
  close(graceMs?: number): Promise<void>;
}

export function createOps(deps: OpsDeps): Ops {
  const prefix = deps.settings.intake.prefix;
  const changes = new ChangeFeed(deps.connections, deps.store.keys.changes, deps.logger);
  const sessions = new SessionStore(deps.redis, {
    prefix,
    ttlSeconds: deps.settings.ops.sessionTtlSeconds,
    lockoutAttempts: deps.settings.ops.lockoutAttempts,
    lockoutSeconds: deps.settings.ops.lockoutSeconds,
  });
  const metrics = createMetrics({ redis: deps.redis, connections: deps.connections, prefix, store: deps.store, changes, logger: deps.logger });
  const board = createQueueBoard({ connections: deps.connections, prefix });
  // A few waiting beyond those running: a person who signs in during a flood still gets a turn soon.
  const passwords = new PasswordChecker(deps.settings.ops.passwordChecksAtOnce, deps.settings.ops.passwordChecksAtOnce * 4);
  const streams = new SessionStreams(new Set<Response>(), sessions, deps.logger);
  const signIn = { sessions, passwords, settings: deps.settings, logger: deps.logger, onSignOut: (sessionId: string) => streams.endSession(sessionId) };
  const index = new RequestIndex(deps.store, deps.logger, changes);
  const now = deps.now ?? Date.now;
  const urgency = urgencyLevels(deps.settings.alerts.warnMinutesBefore);

  const router = Router();
  router.use(metrics.router);
  router.use(assetRoutes());
  router.use('/ops', loadSession(signIn));
  router.use(signInRoutes(signIn));
  // Before the guard below: their forms carry the CSRF token in a body they parse themselves.
  for (const pages of deps.pages ?? []) router.use(pages);
  router.use('/ops', requireEngineer(), requireCsrf());
  router.use(
    QUEUE_BOARD_PATH,
    (_req, res, next) => {
      setSecurityHeaders(res, QUEUE_BOARD_CSP);
      next();
    },
    board.router,
  );
  router.use(
    workbenchApi({
      store: deps.store,
      timers: deps.timers,
      alerts: deps.alerts,
      calendar: deps.calendar,
      index,
      registry: deps.registry,
      notifier: deps.notifier,
      engineerName: (login) => deps.settings.ops.engineers[login]?.name ?? login,
      engineers: () => [...new Set([...Object.keys(deps.settings.ops.engineers), ...(deps.apiEngineers ?? [])])],
      now,
      urgency,
      logger: deps.logger,
      ...(deps.inspectionClosed ? { inspectionClosed: deps.inspectionClosed } : {}),
    }),
  );
  router.use(
    pageRoutes({
      store: deps.store,
      timers: deps.timers,
      alerts: deps.alerts,
      calendar: deps.calendar,
      urgency,
      attachments: deps.attachments,
      changes,
      logger: deps.logger,
      now,
      streams: streams.streams,
      engineerNames: Object.fromEntries(Object.entries(deps.settings.ops.engineers).map(([login, account]) => [login, account.name])),
      ...(deps.heartbeatMs ? { heartbeatMs: deps.heartbeatMs } : {}),
      ...(deps.inspectionClosed ? { inspectionClosed: deps.inspectionClosed } : {}),
    }),
  );

  return {
    router,
    metrics,
    index,
    async start() {
      await metrics.start();
      // Not awaited: with many requests the load takes seconds; lists wait for it (ready()).
      index.start().catch((error: unknown) => deps.logger.warn({ err: error }, 'request index not loaded yet; the next list tries again'));
      index.reconcileEvery();
    },
    async close(graceMs = 1_500) {
      // Open event streams would keep server.close() waiting; browsers reconnect elsewhere.
      streams.close();
      index.stop();
      await Promise.all([metrics.close(graceMs), board.close(graceMs), changes.close(graceMs), passwords.close()]);
    },
  };
}
