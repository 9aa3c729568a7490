/**
 * The `maintenance` queue: the daily retention sweep (src/privacy/retention.ts) as a BullMQ job
 * scheduler with a fixed id, so that a deployment has one schedule and one run a day however many
 * processes run the timers role — each of them upserts the same scheduler, and one of their
 * workers takes each day's job. It runs at 03:15 Warsaw time, when the desk is quiet.
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAMES } from '../intake/queues.js';
import type { Logger } from '../logger.js';
import { closeBullmq, WORKER_DEFAULTS } from '../redis/connections.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { StopBudget } from '../util/timeouts.js';
import { sweepRetention, type RetentionDeps, type RetentionResult } from './retention.js';

/** The scheduler's id: the same in every process, so that upserting it twice keeps one. */
export const RETENTION_SCHEDULER_ID = 'retention-daily';
export const RETENTION_PATTERN = '0 15 3 * * *';

export interface MaintenanceOptions extends Omit<RetentionDeps, 'redis'> {
  connections: RedisConnections;
  /** The general client: the sweep's reads and writes. */
  redis: Redis;
  logger: Logger;
  now?: () => number;
}

export class Maintenance {
  private readonly queue: Queue;
  private readonly queueConnection: Redis;
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;
  private readonly now: () => number;

  constructor(private readonly options: MaintenanceOptions) {
    this.now = options.now ?? Date.now;
    this.queueConnection = options.connections.bullmq('maintenance-queue', 'queue');
    this.queue = new Queue(QUEUE_NAMES.maintenance, { connection: this.queueConnection, prefix: options.prefix });
    this.queue.on('error', (error) => options.logger.debug({ err: error }, 'maintenance queue error'));
  }

  /** Registers the daily schedule (idempotent) and takes its jobs. */
  async start(): Promise<void> {
    this.worker = new Worker(QUEUE_NAMES.maintenance, async () => this.sweep(), {
      ...WORKER_DEFAULTS,
      connection: (this.workerConnection = this.options.connections.bullmq('maintenance-worker', 'worker')),
      prefix: this.options.prefix,
      concurrency: 1,
      // A sweep over many requests takes a while: keep its lock well past one lock renewal.
      lockDuration: 120_000,
    });
    this.worker.on('error', (error) => this.options.logger.debug({ err: error }, 'maintenance worker error'));
    this.worker.on('failed', (job, error) => this.options.logger.error({ err: error, jobId: job?.id }, 'retention sweep failed; the next run finishes it'));
    await this.queue.upsertJobScheduler(
      RETENTION_SCHEDULER_ID,
      { pattern: RETENTION_PATTERN, tz: 'Europe/Warsaw' },
      { name: 'retention', opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { count: 30 }, removeOnFail: { count: 30 } } },
    );
  }

  /** One sweep now (what the daily job runs; tests and operators call it directly). */
  async sweep(): Promise<RetentionResult> {
    const { redis, store, attachments, prefix, retention, recordings } = this.options;
    const result = await sweepRetention({ redis, store, attachments, prefix, retention, ...(recordings ? { recordings } : {}) }, this.now());
    this.options.logger.info(
      { anonymized: result.anonymized.length, recordingsRemoved: result.recordingsRemoved.length, recordingsDeleted: result.recordingsDeleted, retryLater: result.retryLater, attachmentsDeleted: result.attachmentsDeleted, quarantineEntriesDropped: result.quarantineEntriesDropped, failedJobsRemoved: result.failedJobsRemoved, appendOnlyFile: result.appendOnlyFile },
      'retention sweep done',
    );
    return result;
  }

  /** The schedules registered (one per deployment). */
  async schedules(): Promise<Array<{ key: string; pattern?: string | null; next?: number }>> {
    return (await this.queue.getJobSchedulers()).map((s) => ({ key: s.key, pattern: s.pattern ?? null, ...(s.next === undefined ? {} : { next: s.next }) }));
  }

  async close(graceMs = 5_000): Promise<void> {
    const budget = new StopBudget(graceMs);
    const worker = this.worker;
    this.worker = undefined;
    if (worker && this.workerConnection) await closeBullmq(worker, this.workerConnection, this.options.connections, budget.grace(graceMs));
    await closeBullmq(this.queue, this.queueConnection, this.options.connections, budget.grace(1_000));
  }
}
