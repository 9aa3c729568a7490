/**
 * What every role's starter is handed: the settings, the logger, where to register its close
 * (src/stop-sequence.ts), Redis, and the services the roles share. main.ts builds it once and
 * passes it to the starter of each role this process runs.
 */
import type { Redis } from 'ioredis';
import type { ServiceCalendar } from '../domain/calendar.js';
import type { AttachmentStore } from '../intake/attachment-store.js';
import type { IntakeService } from '../intake/submit.js';
import type { Logger } from '../logger.js';
import type { EngineerAlerts } from '../notify/engineer-alerts.js';
import type { Notifier } from '../notify/notifier.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { RegistryWatcher } from '../registry/registry-watcher.js';
import type { Settings } from '../settings.js';
import type { StopSequence } from '../stop-sequence.js';
import type { RequestStore } from '../store/request-store.js';
import type { TimerService } from '../dispatcher/timers.js';
import type { ServiceRequest } from '../domain/request.js';
import type { CareSweep } from '../inspections/care-sweep.js';
import type { DataSubjectRequests } from '../privacy/data-subject-requests.js';
import type { TwilioRecordings } from '../privacy/twilio-recordings.js';

export interface StartContext {
  settings: Readonly<Settings>;
  logger: Logger;
  /** Each component registers its bounded close here as it starts. */
  stopping: StopSequence;
  /** For tests: the clock of stamping and timers. */
  now: (() => number) | undefined;
  connections: RedisConnections;
  /** Waits for a component to connect when Redis is there (tests file right after start), never when it is not. */
  connected(what: Promise<unknown>): Promise<void>;
}

/** The services the roles share, made once per process whatever roles it runs. */
export interface SharedServices {
  calendar: ServiceCalendar;
  registry: RegistryWatcher;
  /** The general-purpose Redis client (leases, rate limits, the request store); auto-pipelined. */
  redis: Redis;
  /** A client without auto-pipelining for the phone's call sessions (latency over throughput). */
  callRedis: Redis;
  store: RequestStore;
  attachments: AttachmentStore;
  notifier: Notifier;
  alerts: EngineerAlerts;
  timers: TimerService;
  intake: IntakeService;
  /** Call recordings at Twilio, deleted by retention and erasure. */
  recordings: TwilioRecordings;
  /** Data-subject export and erasure (src/privacy), as the CLI and the privacy API run them. */
  privacy: DataSubjectRequests;
  /** The daily care sweep (inspections, renewals): the timers role schedules it; tests run it at a chosen moment. */
  care: CareSweep;
  /** Records a closed inspection (its date, its record mail): engineer actions call it on close. */
  inspectionClosed(request: ServiceRequest): Promise<void>;
}

/** `{ now }` when a test clock is set, else nothing: spread into options that take one. */
export function clockOption(context: Pick<StartContext, 'now'>): { now?: () => number } {
  return context.now ? { now: context.now } : {};
}
