/**
 * Boot: settings, the private Redis when REDIS_URL is unset, the roles this process runs (each
 * started by its starter in src/starters/), and an orderly drain on SIGTERM/SIGINT.
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import type { ServiceCalendar } from './domain/calendar.js';
import { IntakeError } from './errors.js';
import type { AttachmentStore } from './intake/attachment-store.js';
import type { IntakeService } from './intake/submit.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import type { RedisConnections } from './redis/redis-connections.js';
import { redisReadiness } from './redis/redis-readiness.js';
import type { RegistryWatcher } from './registry/registry-watcher.js';
import type { Settings } from './settings.js';
import { loadSettings, type LoadSettingsOptions } from './settings-loader.js';
import { startContractData } from './starters/contract-data.js';
import { startMailRole } from './starters/mail-role.js';
import { startRedis } from './starters/redis-starter.js';
import { startSharedServices } from './starters/shared-services.js';
import type { StartContext } from './starters/start-context.js';
import { startWebRole } from './starters/web-role.js';
import { startCareRole, startDispatcherRole, startMaintenanceRole, startNotifyRole, startTimersRole } from './starters/worker-roles.js';
import type { DataSubjectRequests } from './privacy/data-subject-requests.js';
import type { Maintenance } from './privacy/maintenance.js';
import type { CareSweep } from './inspections/care-sweep.js';
import { forgeableSignatureProblem } from './signature-guard.js';
import { StopSequence } from './stop-sequence.js';
import type { RequestStore } from './store/request-store.js';
import { Readiness } from './util/readiness.js';

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
  /** The daily care sweep (inspections, renewals); tests run it at a chosen moment. */
  care: CareSweep;
  /** The general-purpose Redis client (leases, rate limits, the request store); auto-pipelined. */
  redis: Redis;
  /** A client without auto-pipelining for the phone's call sessions (latency over throughput). */
  callRedis: Redis;
  /** Data-subject export and erasure (src/privacy), as the CLI and the privacy API run them. */
  privacy: DataSubjectRequests;
  /** The daily retention sweep (timers role), else undefined. */
  maintenance: Maintenance | undefined;
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

/**
 * Starts the roles this process runs, each by its starter (src/starters/), on the data and
 * services they share. A failed start releases what had started.
 */
export async function startGateway(options: StartOptions = {}): Promise<Gateway> {
  const { settings, sourceOf } = loadSettings(options);
  const roles = options.roles ?? ROLES;
  if (roles.includes('web')) {
    // Before anything starts: a forgeable webhook check is a settings error (exit 78).
    const forgeable = forgeableSignatureProblem(settings, sourceOf);
    if (forgeable) throw forgeable;
  }
  const logger = options.logger ?? createLogger(settings.log.level);
  // Each component registers its bounded close as it starts (src/stop-sequence.ts).
  const stopping = new StopSequence(logger);
  const stop = (): Promise<void> => stopping.run();

  try {
    const data = await startContractData(settings, logger, stopping);
    const started = await startRedis(settings, sourceOf, logger, stopping);
    const context: StartContext = { settings, logger, stopping, now: options.now, connections: started.connections, connected: started.connected };
    const services = await startSharedServices(context, data, started.connect);

    if (roles.includes('notify')) startNotifyRole(services);
    if (roles.includes('timers')) startTimersRole(services);
    if (roles.includes('timers')) await startCareRole(context, services);
    const maintenance = roles.includes('timers') ? await startMaintenanceRole(context, services) : undefined;
    if (roles.includes('dispatcher')) await startDispatcherRole(context, services);

    const { engineerTokens, generatedTokens } = engineerTokensOf(settings);
    const readiness = new Readiness();
    readiness.register('redis', redisReadiness(services.redis, started.connections));
    readiness.register('contracts', () => ({
      ok: services.registry.current.size > 0,
      // A count, not the file's path: /readyz answers anyone, and paths tell how the host is laid out.
      detail: `${services.registry.current.size} contracts`,
    }));

    const mail = roles.includes('mail') ? await startMailRole(context, services, readiness) : undefined;

    let url = '';
    let httpApp: Express | undefined;
    if (roles.includes('web')) {
      ({ url, app: httpApp } = await startWebRole(context, services, { readiness, mail, engineerTokens, embeddedDefault: started.embeddedDefault }));
      logger.info({ url, publicUrl: settings.http.publicUrl, roles }, 'hezo-intake is listening');
    } else {
      logger.info({ roles }, 'hezo-intake is running');
    }

    const { calendar, registry, store, intake, attachments, redis, callRedis, privacy, care } = services;
    return { settings, logger, connections: started.connections, roles, url, app: httpApp, calendar, registry, store, intake, attachments, care, redis, callRedis, privacy, maintenance, generatedTokens, redisProblem: started.redisProblem, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The engineers' API tokens: those configured, else one made for this run (the embedded
 * default has none configured; `serve` prints it, so the API can be tried without editing config).
 */
function engineerTokensOf(settings: Readonly<Settings>): { engineerTokens: Readonly<Record<string, string>>; generatedTokens: Record<string, string> } {
  const generatedTokens: Record<string, string> = {};
  if (Object.keys(settings.api.engineerTokens).length > 0) return { engineerTokens: settings.api.engineerTokens, generatedTokens };
  generatedTokens.local = randomBytes(24).toString('base64url');
  return { engineerTokens: generatedTokens, generatedTokens };
}
