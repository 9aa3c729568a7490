/**
 * Breach warnings and reminders as delayed BullMQ jobs: each fires within seconds of its
 * moment (no periodic sweep), survives restarts (it lives in Redis), and does nothing if the
 * request has moved on by then — contacted, or re-stamped with another deadline.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ServiceCalendar } from '../domain/calendar.js';
import { warningInstants } from '../domain/deadlines.js';
import type { ServiceRequest } from '../domain/request.js';
import { runningClock, type ClockKind } from '../domain/running-clock.js';
import { jobIdFor, QUEUE_NAMES } from '../intake/queues.js';
import type { Logger } from '../logger.js';
import type { RequestStore } from '../store/request-store.js';
import type { RequestAlerts } from './request-alerts.js';
import type { TimerJobData, TimerKind } from './timer-job.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { closeBullmq, WORKER_DEFAULTS } from '../redis/connections.js';
import { StopBudget } from '../util/timeouts.js';

export interface TimerServiceOptions {
  connections: RedisConnections;
  prefix: string;
  warnMinutesBefore: readonly number[];
  calendar: ServiceCalendar;
  store: RequestStore;
  alerts: RequestAlerts;
  logger: Logger;
  now?: () => number;
}

/**
 * The timers of each clock: before the deadline (the response warnings at the minutes of
 * settings; an elapsed-time reminder 1 h before delivery and 24 h before return), and at it.
 */
const TIMERS_OF_CLOCK: Record<ClockKind, { before: TimerKind; due: TimerKind; reminderMinutes: number | null }> = {
  response: { before: 'response-warning', due: 'response-breach', reminderMinutes: null },
  delivery: { before: 'delivery-reminder', due: 'delivery-breach', reminderMinutes: 60 },
  return: { before: 'return-reminder', due: 'return-overdue', reminderMinutes: 24 * 60 },
};
const CLOCK_OF_TIMER = Object.fromEntries(
  Object.entries(TIMERS_OF_CLOCK).flatMap(([clock, { before, due }]) => [[before, clock], [due, clock]]),
) as Record<TimerKind, ClockKind>;

export class TimerService {
  private readonly queue: Queue<TimerJobData>;
  private worker: Worker<TimerJobData> | undefined;
  /** What BullMQ's queue and worker were handed (src/redis/connections.ts). */
  private readonly queueConnection: Redis;
  private workerConnection: Redis | undefined;
  private readonly now: () => number;

  constructor(private readonly options: TimerServiceOptions) {
    this.queueConnection = options.connections.bullmq('timers-queue', 'queue');
    this.queue = new Queue<TimerJobData>(QUEUE_NAMES.timers, {
      // No auto-pipelining: ioredis copies BullMQ's ~40 scripts onto every auto-pipeline it
      // makes, which costs more than the socket write it saves (see IntakeService).
      connection: this.queueConnection,
      prefix: options.prefix,
      defaultJobOptions: { attempts: 20, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 86_400 }, removeOnFail: false },
    });
    this.queue.on('error', (error) => options.logger.debug({ err: error }, 'timer queue error'));
    this.now = options.now ?? Date.now;
  }

  /**
   * The timers a request needs in its current state, earliest first (idempotent: fixed job
   * ids): the alerts of its running clock — the warnings of settings on the response hour, one
   * reminder before a delivery or return deadline — then the breach.
   */
  plan(request: ServiceRequest): TimerJobData[] {
    const clock = runningClock(request);
    if (!clock) return [];
    const kinds = TIMERS_OF_CLOCK[clock.kind];
    const minutesBefore = kinds.reminderMinutes === null ? this.options.warnMinutesBefore : [kinds.reminderMinutes];
    return warningInstants(clock.dueMs, clock.window, this.options.calendar, minutesBefore).map((alert) => ({
      kind: alert.kind === 'breach' ? kinds.due : kinds.before,
      requestNumber: request.number,
      deadline: clock.deadline.at,
      minutesBefore: alert.minutesBefore,
      fireAt: new Date(alert.at).toISOString(),
    }));
  }

  /**
   * Schedules the next timer a request needs: one delayed job per request at a time, each
   * scheduling its successor when it fires (a chain), so stamping costs one queue write, not
   * four. A warning whose moment passed already (a request stamped late after an outage) is
   * skipped; the breach itself is never skipped and fires at once when it is due.
   */
  async schedule(request: ServiceRequest, after?: TimerJobData): Promise<void> {
    const now = this.now();
    const next = this.plan(request).find((timer) =>
      after ? timer.deadline === after.deadline && Date.parse(timer.fireAt) > Date.parse(after.fireAt) : Date.parse(timer.fireAt) >= now - 1_000 || timer.minutesBefore === 0,
    );
    if (!next) return;
    const jobId = jobIdFor('timer', `${next.kind}|${next.requestNumber}|${next.deadline}|${next.minutesBefore}`);
    await this.queue.add(next.kind, next, { jobId, delay: Math.max(0, Date.parse(next.fireAt) - now) });
  }

  startWorker(): void {
    this.worker = new Worker<TimerJobData>(QUEUE_NAMES.timers, (job) => this.fire(job), {
      ...WORKER_DEFAULTS,
      connection: (this.workerConnection = this.options.connections.bullmq('timers-worker', 'worker')),
      prefix: this.options.prefix,
      concurrency: 8,
    });
    this.worker.on('error', (error) => this.options.logger.debug({ err: error }, 'timer worker error'));
  }

  /** Number of timers waiting for their moment (metrics, tests). */
  async pending(): Promise<number> {
    return this.queue.getDelayedCount();
  }

  private async fire(job: Job<TimerJobData>): Promise<string> {
    const timer = job.data;
    let request = await this.options.store.get(timer.requestNumber);
    if (!request || !isStillRelevant(request, timer)) return 'moved-on';
    if (timer.kind === 'response-breach') {
      // Relevance is checked again inside the update: an engineer recording "contacted" between
      // the read above and this write must not get a breach in the history of a met deadline.
      const result = await this.options.store.update(request.number, (current) =>
        current.appliedSources.includes(`breach:${timer.deadline}`) || !isStillRelevant(current, timer)
          ? null
          : {
              request: { ...current, appliedSources: [...current.appliedSources, `breach:${timer.deadline}`] },
              events: [
                { id: `breach:${timer.deadline}`, at: new Date(this.now()).toISOString(), type: 'response-breached', actor: 'system', source: 'timer', data: { deadline: timer.deadline } },
              ],
            },
      );
      request = result.request;
      if (!isStillRelevant(request, timer)) return 'moved-on';
    }
    await this.options.alerts.timer(job.id ?? `${timer.kind}:${timer.requestNumber}`, request, timer);
    await this.schedule(request, timer);
    this.options.logger.info({ requestNumber: request.number, kind: timer.kind, minutesBefore: timer.minutesBefore, lateMs: this.now() - Date.parse(timer.fireAt) }, 'timer fired');
    return 'alerted';
  }

  /** Closes the worker and the queue within `graceMs` together, then drops what is left. */
  async close(graceMs = 5_000): Promise<void> {
    const budget = new StopBudget(graceMs);
    const worker = this.worker;
    this.worker = undefined;
    if (worker && this.workerConnection) {
      if (!(await closeBullmq(worker, this.workerConnection, this.options.connections, budget.grace(graceMs)))) {
        this.options.logger.warn({ graceMs }, 'timer worker did not close in time; its jobs are left to stall recovery');
      }
    }
    await closeBullmq(this.queue, this.queueConnection, this.options.connections, budget.grace(1_000));
  }
}

/** A timer matters only while the clock it was set for still runs on the same deadline. */
export function isStillRelevant(request: ServiceRequest, timer: TimerJobData): boolean {
  const clock = runningClock(request);
  return clock !== null && CLOCK_OF_TIMER[timer.kind] === clock.kind && clock.deadline.at === timer.deadline;
}
