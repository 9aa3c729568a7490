/**
 * Runs the care sweep daily as a BullMQ job scheduler with a fixed id: however many processes
 * start, Redis holds one schedule per deployment and each day's run is one job taken by one
 * worker. Each process also sweeps once at start (a gateway started after the scheduled hour
 * files what is due without waiting for tomorrow); the sweep is idempotent, so those runs
 * overlapping the scheduled one change nothing twice.
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { WARSAW_ZONE } from '../domain/calendar.js';
import { QUEUE_NAMES } from '../intake/queues.js';
import type { Logger } from '../logger.js';
import { closeBullmq, WORKER_DEFAULTS } from '../redis/connections.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { CareSweep, SweepResult } from './care-sweep.js';

/** The queue of the daily sweep (BullMQ keys under `<prefix>:care:`). */
export const CARE_QUEUE = QUEUE_NAMES.care;
/** The job scheduler's fixed id: one daily sweep per deployment. */
export const CARE_SCHEDULER_ID = 'care-daily-sweep';

export interface CareSchedulerOptions {
  connections: RedisConnections;
  prefix: string;
  sweep: CareSweep;
  /** Cron pattern in Warsaw time (settings.inspection.sweepCron). */
  cron: string;
  logger: Logger;
  now?: () => number;
}

export class CareScheduler {
  private readonly queue: Queue;
  private readonly queueConnection: Redis;
  private worker: Worker | undefined;
  private workerConnection: Redis | undefined;
  private readonly now: () => number;
  /** The next try at the schedule after Redis refused it at start. */
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: CareSchedulerOptions) {
    this.queueConnection = options.connections.bullmq('care-queue', 'queue');
    this.queue = new Queue(CARE_QUEUE, {
      connection: this.queueConnection,
      prefix: options.prefix,
      defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    });
    this.queue.on('error', (error) => options.logger.debug({ err: error }, 'care queue error'));
    this.now = options.now ?? Date.now;
  }

  /**
   * Starts the worker, puts the daily schedule in Redis (idempotent) and sweeps once. With Redis
   * away at start, the schedule and the sweep are tried again every `retryMs` until they pass:
   * a gateway started during a Redis outage must not go without its daily sweep until restarted.
   */
  async start(retryMs = 30_000): Promise<void> {
    this.worker = new Worker(CARE_QUEUE, () => this.options.sweep.sweep(this.now()), {
      ...WORKER_DEFAULTS,
      connection: (this.workerConnection = this.options.connections.bullmq('care-worker', 'worker')),
      prefix: this.options.prefix,
      concurrency: 1,
    });
    this.worker.on('error', (error) => this.options.logger.debug({ err: error }, 'care worker error'));
    this.worker.on('failed', (_job, error) => this.options.logger.warn({ err: error }, 'care sweep failed; it will be retried'));
    await this.schedule(retryMs);
  }

  private async schedule(retryMs: number): Promise<void> {
    if (this.closed) return;
    try {
      await this.queue.upsertJobScheduler(CARE_SCHEDULER_ID, { pattern: this.options.cron, tz: WARSAW_ZONE }, { name: 'sweep' });
    } catch (error) {
      this.options.logger.warn({ err: error, retryMs }, 'care sweep schedule not set (Redis?); trying again');
      this.retry = setTimeout(() => void this.schedule(retryMs), retryMs);
      this.retry.unref();
      return;
    }
    await this.sweepNow();
  }

  /** One sweep now (also what start() runs); a failure is logged, the daily run will try again. */
  async sweepNow(): Promise<SweepResult | undefined> {
    try {
      return await this.options.sweep.sweep(this.now());
    } catch (error) {
      this.options.logger.warn({ err: error }, 'care sweep at start failed; the scheduled run will try again');
      return undefined;
    }
  }

  /** The schedules in Redis (tests: one per deployment whatever the processes). */
  async schedulers(): Promise<Array<{ id: string; next?: number }>> {
    const list = await this.queue.getJobSchedulers();
    return list.map((scheduler) => ({ id: String(scheduler.key), ...(scheduler.next !== undefined ? { next: scheduler.next } : {}) }));
  }

  async close(graceMs = 2_000): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const worker = this.worker;
    this.worker = undefined;
    if (worker && this.workerConnection) await closeBullmq(worker, this.workerConnection, this.options.connections, graceMs);
    await closeBullmq(this.queue, this.queueConnection, this.options.connections, graceMs);
  }
}
