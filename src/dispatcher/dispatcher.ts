/**
 * The dispatcher: the `intake` queue's worker. For each job it looks the contract and device
 * up, decides acceptability, stamps the response deadline, stores the request and schedules
 * its timers and notifications. Jobs run at least once (a stalled job runs again), so every
 * step is idempotent: the store creates a request once, attachments apply once per source,
 * timers and notifications have fixed job ids.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { attachToRequest, stampNewRequest } from '../domain/assessment.js';
import type { ServiceCalendar } from '../domain/calendar.js';
import type { ContractRegistry } from '../domain/contracts.js';
import type { RequestEvent } from '../domain/history.js';
import { stampInspectionRequest } from '../domain/inspection-request.js';
import type { ServiceRequest } from '../domain/request.js';
import { replyThreadOf } from '../domain/thread-keys.js';
import { IntakeError } from '../errors.js';
import { QUEUE_NAMES, type IntakeJobData } from '../intake/queues.js';
import type { Logger } from '../logger.js';
import type { RequestStore } from '../store/request-store.js';
import type { RequestAlerts } from './request-alerts.js';
import type { TimerService } from './timers.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { closeBullmq, WORKER_DEFAULTS } from '../redis/connections.js';

export interface DispatcherOptions {
  connections: RedisConnections;
  prefix: string;
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** The registry in force now (it reloads without restart). */
  registry: () => ContractRegistry;
  calendar: ServiceCalendar;
  store: RequestStore;
  timers: TimerService;
  alerts: RequestAlerts;
  logger: Logger;
  now?: () => number;
  /** Called after a request is stamped, with sent→stamped latency (metrics). */
  onStamped?: (request: ServiceRequest) => void;
}

export class Dispatcher {
  private worker: Worker<IntakeJobData> | undefined;
  /** What BullMQ's worker was handed (src/redis/connections.ts). */
  private workerConnection: Redis | undefined;
  private readonly now: () => number;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.worker = new Worker<IntakeJobData>(QUEUE_NAMES.intake, (job) => this.process(job), {
      ...WORKER_DEFAULTS,
      connection: (this.workerConnection = this.options.connections.bullmq('dispatcher', 'worker')),
      prefix: this.options.prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
    });
    this.worker.on('error', (error) => this.options.logger.debug({ err: error }, 'dispatcher worker error'));
    this.worker.on('failed', (job, error) =>
      this.options.logger.warn({ requestNumber: job?.data.requestNumber, attempts: job?.attemptsMade, err: error }, 'intake job failed; it will be retried'),
    );
  }

  /** Resolves once the worker is connected and taking jobs. */
  async ready(): Promise<void> {
    await this.worker?.waitUntilReady();
  }

  /** Processes one intake job; exposed for tests that run a job twice. */
  async process(job: Pick<Job<IntakeJobData>, 'data'>): Promise<string> {
    const data = job.data;
    return data.mode === 'new' ? this.fileNew(data) : this.attach(data);
  }

  private async fileNew(data: IntakeJobData): Promise<string> {
    const { draft, requestNumber } = data;
    // Stamp first and let the atomic create decide: a re-run finds the request stored and
    // keeps the first stamp (one round trip less than reading first).
    // A yearly inspection is stamped with its due date in place of the one-hour clock.
    const stamped =
      draft.kind === 'inspection'
        ? stampInspectionRequest(requestNumber, draft, this.options.registry(), this.now())
        : stampNewRequest(requestNumber, draft, this.options.registry(), this.options.calendar, this.now());
    const created = await this.options.store.create(stamped.request, stamped.events);
    const request = created ? stamped.request : await this.options.store.get(requestNumber);
    if (!request) throw new IntakeError('INTERNAL', `Request ${requestNumber} vanished while being filed.`);
    if (created) {
      this.options.onStamped?.(request);
      this.options.logger.info({ requestNumber, channel: request.channel, status: request.status, deadline: request.responseDeadline?.at }, 'request filed');
    }
    // Side effects run on every attempt; their fixed ids make repeats harmless, and a crash
    // after the store write but before them is mended by the retry. What they are follows from
    // this filing, not from the stored request: between attempts an escalation@ copy of the
    // mail may have attached (and alerted under its own key) or a reply may have moved it on.
    await this.options.timers.schedule(request);
    if (!draft.silent) await this.options.alerts.acknowledge(request, 'filed', replyThreadOf(draft));
    await this.options.alerts.filed(request);
    if (draft.kind === 'escalation') await this.options.alerts.escalation(request, draft.sourceKey);
    return request.status;
  }

  private async attach(data: IntakeJobData): Promise<string> {
    const { draft, requestNumber, eventSource } = data;
    const existing = await this.options.store.get(requestNumber);
    if (!existing) {
      // The request it answers was numbered but is not stamped yet: retry shortly.
      throw new IntakeError('NOT_FOUND', `Request ${requestNumber} is not stored yet; the reply will be attached on retry.`);
    }
    await this.options.store.markQueued(draft.sourceKey);
    const result = await this.options.store.update(requestNumber, (current) =>
      attachToRequest(current, draft, eventSource, this.options.registry(), this.options.calendar, this.now()),
    );
    const events: RequestEvent[] = result.changed
      ? result.events
      : (await this.options.store.history(requestNumber)).filter((event) => event.id.endsWith(`:${eventSource}`));
    const request = result.request;
    if (events.some((event) => event.type === 'clock-started')) {
      await this.options.timers.schedule(request);
      if (!draft.silent) await this.options.alerts.acknowledge(request, `clock:${eventSource}`, replyThreadOf(draft));
    }
    if (events.some((event) => event.type === 'escalation')) await this.options.alerts.escalation(request, eventSource);
    const undeliverable = events.find((event) => event.type === 'acknowledgment-undeliverable');
    if (undeliverable) await this.options.alerts.undeliverable(request, undeliverable.data);
    if (result.changed) this.options.logger.info({ requestNumber, channel: draft.channel, kind: draft.kind, status: request.status }, 'attached to request');
    return result.changed ? 'attached' : 'already-attached';
  }

  /**
   * Lets the jobs in hand finish for up to `graceMs`, then drops the worker's connections: a job
   * cut off is taken over as stalled by another dispatcher (or by this one after a restart).
   */
  async close(graceMs = 5_000): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker && this.workerConnection) {
      if (!(await closeBullmq(worker, this.workerConnection, this.options.connections, graceMs))) {
        this.options.logger.warn({ graceMs }, 'dispatcher worker did not close in time; its jobs are left to stall recovery');
      }
    }
  }
}
