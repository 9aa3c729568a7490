/**
 * Boot: settings, the private Redis when REDIS_URL is unset, the roles this process runs,
 * and an orderly drain on SIGTERM/SIGINT.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { Dispatcher } from './dispatcher/dispatcher.js';
import { EngineerAlerts } from './notify/engineer-alerts.js';
import { RequestStore } from './store/request-store.js';
import { TimerService } from './dispatcher/timers.js';
import { ServiceCalendar } from './domain/calendar.js';
import { IntakeError } from './errors.js';
import { AttachmentStore } from './intake/attachment-store.js';
import { IntakeService } from './intake/submit.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import { Notifier } from './notify/notifier.js';
import { Readiness } from './util/readiness.js';
import { MailboxSupervisor } from './channels/mail/supervisor.js';
import { createPhoneChannel } from './channels/phone/routes.js';
import { PORTAL_API_PATH, PORTAL_PAGE_PATH, portalRoutes } from './channels/portal/routes.js';
import { createOps } from './ops/ops-page/index.js';
import { registryApi, requestsApi } from './ops/requests-api.js';
import { reporterMailSent } from './dispatcher/workbench-actions.js';
import { startEmbeddedDefault, type EmbeddedDefault } from './redis/embedded-default.js';
import { createRedisConnections } from './redis/connections.js';
import type { RedisConnections } from './redis/redis-connections.js';
import { redisReadiness } from './redis/redis-readiness.js';
import { StopSequence } from './stop-sequence.js';
import { closeWithin, withTimeout } from './util/timeouts.js';
import { RegistryWatcher } from './registry/registry-watcher.js';
import { loadCalendarExtras, loadSettings, type LoadSettingsOptions, type Settings } from './settings.js';

/** The roles one process can run; the default runs them all (DESIGN.md section 4). */
export const ROLES = ['web', 'dispatcher', 'timers', 'notify', 'mail'] as const;
export type Role = (typeof ROLES)[number];

/** Parses `--roles web,dispatcher`; throws a USAGE error naming the unknown role. */
export function parseRoles(text: string | undefined): Role[] {
  if (!text) return [...ROLES];
  const roles = text.split(',').map((role) => role.trim()).filter(Boolean);
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) throw new IntakeError('USAGE', `unknown role "${role}"; roles are ${ROLES.join(', ')}`);
  }
  return roles as Role[];
}

/** What a started gateway holds; `stop()` releases it all, within 8 s whatever Redis does (src/stop-sequence.ts). */
export interface Gateway {
  settings: Readonly<Settings>;
  logger: Logger;
  /** Every Redis connection of the gateway comes from here (and tests take theirs from it too). */
  connections: RedisConnections;
  roles: readonly Role[];
  /** The address the HTTP server listens on (web role), else empty. */
  url: string;
  /** The express app (web role): tests enumerate its routes. */
  app: Express | undefined;
  calendar: ServiceCalendar;
  registry: RegistryWatcher;
  store: RequestStore;
  intake: IntakeService;
  attachments: AttachmentStore;
  /** The general-purpose Redis client (leases, rate limits, the request store); auto-pipelined. */
  redis: Redis;
  /** A client without auto-pipelining for the phone's call sessions (latency over throughput). */
  callRedis: Redis;
  /** Engineer API tokens generated because none were configured (embedded default). */
  generatedTokens: Record<string, string>;
  /**
   * Redis did not answer at start: the one plain line saying which Redis, what failed and what
   * to check (also logged). The gateway runs on and takes requests once Redis answers.
   */
  redisProblem: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions extends LoadSettingsOptions {
  logger?: Logger;
  roles?: readonly Role[];
  /** For tests: the clock of stamping and timers. */
  now?: () => number;
}

export async function startGateway(options: StartOptions = {}): Promise<Gateway> {
  const { settings, sourceOf } = loadSettings(options);
  const logger = options.logger ?? createLogger(settings.log.level);
  // Each component registers its bounded close as it starts (src/stop-sequence.ts).
  const stopping = new StopSequence(logger);
  const stop = (): Promise<void> => stopping.run();

  try {
    const calendar = new ServiceCalendar({
      extraClosures: loadCalendarExtras(settings.calendar.extrasFile).closures.map((c) => c.date),
    });
    const registry = await RegistryWatcher.open(settings.contracts.file, {
      onReload: (info) => logger.info(info, 'contract registry reloaded'),
      onError: (error) => logger.error({ err: error, details: error.details }, 'contract registry change rejected; keeping the previous registry'),
    });
    stopping.add('processes', 'contract registry watcher', 500, () => registry.close());

    let embedded: { url: string; password: string | undefined } | undefined;
    let embeddedDefault: EmbeddedDefault | undefined;
    if (!settings.redis.url && settings.redis.sentinels.length === 0) {
      const started = await startEmbeddedDefault(settings.redis.embeddedDir, logger);
      embeddedDefault = started;
      stopping.add('processes', 'private redis-server', 3_000, () => started.stop());
      // The generated password goes to the connection factory, never into a URL that is logged.
      embedded = { url: started.server.url, password: started.server.password };
      logger.info({ dir: started.server.dir, port: started.server.port }, 'started a private redis-server (REDIS_URL is unset)');
    }
    const connections = createRedisConnections({ redis: settings.redis, sourceOf, logger, ...(embedded ? { embedded } : {}) });
    // Whatever a close left open (or a stop cut short) is dropped here.
    stopping.add('connections', 'Redis connections', 0, () => connections.disconnectAll());
    // Never blocks on a Redis that is not there: it is told once, and everything below connects
    // in the background. Only a Redis that refuses us (password, certificate) stops the start.
    const redisProblem = await connections.checkAtStart(settings.redis.commandTimeoutMs + 500, settings.intake.prefix);
    if (redisProblem) logger.warn({ redis: connections.display }, redisProblem);
    /** Waits for a component to connect when Redis is there (tests file right after start), never when it is not. */
    const connected = async (what: Promise<unknown>): Promise<void> => {
      if (redisProblem) {
        what.catch(() => undefined);
        return;
      }
      await withTimeout(what.then(() => undefined), settings.redis.commandTimeoutMs * 2, () => undefined);
    };
    const connect = (purpose: string, autoPipelining: boolean, watched = false): Redis => {
      const client = connections.client({ purpose, autoPipelining, watched });
      stopping.add('intake', `redis client ${purpose}`, 1_000, (grace) => connections.close(client, grace));
      return client;
    };
    // Auto-pipelining: the commands of many requests at once leave in one socket write, which
    // roughly halves what a portal request costs in CPU here and in redis-server (bench/portal:
    // 0.45x → 0.73x of the bare baseline in the same run).
    const redis = connect('general', true, true);
    // But a pipelined client has one batch in flight at a time and a command waits for the
    // batch before it: the phone's call sessions — a caller listening to silence — get their own.
    const callRedis = connect('call-sessions', false);

    const roles = options.roles ?? ROLES;
    const prefix = settings.intake.prefix;
    const store = new RequestStore(redis, prefix);
    const attachments = new AttachmentStore(settings.attachments.dir, settings.attachments.maxBytes);
    const notifier = new Notifier({ connections, settings, logger });
    stopping.add('serving', 'notifier', 5_000, (grace) => notifier.close(grace));
    const alerts = new EngineerAlerts({
      notifier,
      engineerEmails: settings.alerts.engineerEmails,
      escalationManagerEmails: settings.alerts.escalationManagerEmails,
      webhookConfigured: settings.alerts.webhookUrl !== '',
      ...(options.now ? { now: options.now } : {}),
    });
    const timers = new TimerService({
      connections,
      prefix,
      warnMinutesBefore: settings.alerts.warnMinutesBefore,
      calendar,
      store,
      alerts,
      logger,
      ...(options.now ? { now: options.now } : {}),
    });
    stopping.add('serving', 'timers', 5_000, (grace) => timers.close(grace));
    const intake = new IntakeService({
      connections,
      prefix,
      dispatchAttempts: settings.intake.dispatchAttempts,
      timeoutMs: settings.redis.commandTimeoutMs,
      ownMessageIdDomain: settings.mail.messageIdDomain,
      ...(options.now ? { now: options.now } : {}),
    });
    stopping.add('intake', 'intake', 1_000, (grace) => intake.close(grace));
    await connected(intake.ready());

    // The workbench's actions outside a web request: an engineer's reply records "contacted"
    // when the notify worker has sent it (the list of this process is told when it serves one).
    const engineerName = (login: string): string => settings.ops.engineers[login]?.name ?? login;
    const workbench = { store, timers, alerts, calendar, registry: () => registry.current, notifier, engineerName };
    notifier.setOnSent((jobId, notification, sentAtMs) => reporterMailSent(workbench, jobId, notification, sentAtMs));
    if (roles.includes('notify')) notifier.startWorker();
    if (roles.includes('timers')) timers.startWorker();
    if (roles.includes('dispatcher')) {
      const dispatcher = new Dispatcher({
        connections,
        prefix,
        concurrency: settings.intake.dispatchConcurrency,
        lockDurationMs: settings.intake.lockDurationMs,
        stalledIntervalMs: settings.intake.stalledIntervalMs,
        registry: () => registry.current,
        calendar,
        store,
        timers,
        alerts,
        logger,
        ...(options.now ? { now: options.now } : {}),
      });
      dispatcher.start();
      stopping.add('serving', 'dispatcher', 5_000, (grace) => dispatcher.close(grace));
      await connected(dispatcher.ready());
    }

    const generatedTokens: Record<string, string> = {};
    let engineerTokens = settings.api.engineerTokens;
    if (Object.keys(engineerTokens).length === 0) {
      // The embedded default has no configured tokens; one is made for this run and printed
      // by `serve`, so the API can be tried without editing config.
      generatedTokens.local = randomBytes(24).toString('base64url');
      engineerTokens = generatedTokens;
    }

    const engineers = (): string[] => [...new Set([...Object.keys(settings.ops.engineers), ...Object.keys(engineerTokens)])];
    const readiness = new Readiness();
    readiness.register('redis', redisReadiness(redis, connections));
    readiness.register('contracts', () => ({
      ok: registry.current.size > 0,
      detail: `${registry.current.size} contracts from ${registry.file}`,
    }));

    let mail: MailboxSupervisor | undefined;
    if (roles.includes('mail') && settings.mailboxes.list.length > 0) {
      const supervisor = new MailboxSupervisor({
        intake,
        attachments,
        redis,
        settings,
        logger,
        notifier,
        // Where a serial written with spaces ends ("S/N Q48 24 07315 2 szt."): the registry knows.
        registry: () => registry.current,
        onUnreachable: (mailbox, sinceMs, reason) => {
          alerts.mailboxDown(mailbox, sinceMs, reason).catch((error: unknown) => logger.error({ err: error, mailbox }, 'could not queue the mailbox alert'));
        },
      });
      await supervisor.start();
      stopping.add('serving', 'mailbox watchers', 3_000, (grace) => supervisor.stop({ graceMs: grace }));
      for (const { name, check } of supervisor.readinessChecks()) readiness.register(name, check);
      mail = supervisor;
    }

    let url = '';
    let httpApp: Express | undefined;
    if (roles.includes('web')) {
      const ops = createOps({
        store,
        timers,
        alerts,
        calendar,
        attachments,
        redis,
        connections,
        settings,
        logger,
        registry: () => registry.current,
        notifier,
        apiEngineers: Object.keys(engineerTokens),
        ...(options.now ? { now: options.now } : {}),
      });
      // Beside the server's close: it ends the open event streams at once, which would hold it.
      stopping.add('serving', 'ops page', 1_500, (grace) => ops.close(grace));
      await connected(ops.start().catch((error: unknown) => logger.warn({ reason: (error as Error).message }, 'ops change feed not subscribed')));
      const watchers = mail;
      if (watchers) {
        ops.metrics.setMailboxStates(() =>
          watchers.status().map((state) => ({
            mailbox: state.mailbox,
            connected: state.connected,
            state: !state.leaseHeld ? 'watched-elsewhere' : state.connected ? 'connected' : 'reconnecting',
          })),
        );
      }
      const phone = createPhoneChannel({ intake, registry: () => registry.current, calendar, store, redis: callRedis, settings, logger, ...(options.now ? { now: options.now } : {}) });
      // Also files calls left on disk by a previous run while Redis was down.
      phone.start();
      stopping.add('serving', 'phone spool', 3_000, (grace) => phone.close(grace));
      readiness.register('phone-spool', async () => ({ ok: true, detail: `${await phone.spool.pending()} call drafts waiting for Redis` }));
      const portal = portalRoutes({ intake, store, attachments, redis, settings, logger, ...(options.now ? { now: options.now } : {}) });
      const app = buildApp({
        readiness,
        logger,
        routes: [
          { path: '/twilio', router: phone.router },
          { path: PORTAL_API_PATH, router: portal.api },
          { path: PORTAL_PAGE_PATH, router: portal.page },
          { path: '/api/v1/requests', router: requestsApi({ ...workbench, index: ops.index, engineerTokens, engineers, ...(options.now ? { now: options.now } : {}) }) },
          { path: '/api/v1/registry', router: registryApi(() => registry.current, engineerTokens, options.now) },
          { path: '/', router: ops.router },
        ],
      });
      httpApp = app;
      const server = await listen(app, settings.http.port, settings.http.host);
      stopping.add('serving', 'HTTP server', 3_000, (grace) => closeServer(server, grace));
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : settings.http.port;
      url = `http://${settings.http.host.includes(':') ? `[${settings.http.host}]` : settings.http.host}:${port}`;
      embeddedDefault?.listening(url);
      logger.info({ url, publicUrl: settings.http.publicUrl, roles }, 'hezo-intake is listening');
    } else {
      logger.info({ roles }, 'hezo-intake is running');
    }

    return { settings, logger, connections, roles, url, app: httpApp, calendar, registry, store, intake, attachments, redis, callRedis, generatedTokens, redisProblem, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function listen(app: ReturnType<typeof buildApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const refused = (error: Error): void => reject(listenError(error, port, host));
    const server = app.listen(port, host, (error?: Error) => (error ? refused(error) : resolve(server)));
    server.once('error', refused);
  });
}

/** What a person can do about a port the gateway cannot listen on, in one line (no stack). */
function listenError(error: Error, port: number, host: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const choose = 'choose another with --port N (or PORT=N)';
  const message =
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is in use by another program; ${choose}`
      : code === 'EACCES'
        ? `port ${port} on ${host} needs privileges this user does not have (ports below 1024 do); ${choose}`
        : code === 'EADDRNOTAVAIL'
          ? `${host} is not an address of this machine, so port ${port} cannot be listened on there; set http.host (or HOST) to one of its addresses, or 127.0.0.1`
          : undefined;
  return message ? new IntakeError('PORT_UNAVAILABLE', message, { cause: error }) : error;
}

/** In-flight requests get `graceMs` to finish; then their connections are cut. */
async function closeServer(server: Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections would hold close() open; in-flight requests still finish.
    server.closeIdleConnections();
  });
  await closeWithin(() => closed, graceMs, () => server.closeAllConnections());
}
