/**
 * Breach warnings and reminders as delayed BullMQ jobs: each fires within seconds of its
 * moment (no periodic sweep), survives restarts (it lives in Redis), and does nothing if the
 * request has moved on by then — contacted, or re-stamped with another deadline.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ServiceCalendar } from '../domain/calendar.js';
import { subtractWindowTime } from '../domain/deadlines.js';
import type { ServiceRequest } from '../domain/request.js';
import { jobIdFor, QUEUE_NAMES } from '../intake/queues.js';
import type { Logger } from '../logger.js';
import type { EngineerAlerts } from './engineer-alerts.js';
import type { RequestStore } from './request-store.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { closeBullmq, WORKER_DEFAULTS } from '../redis/connections.js';
import { StopBudget } from '../util/timeouts.js';

export type TimerKind = 'response-warning' | 'response-breach' | 'delivery-reminder' | 'delivery-breach' | 'return-reminder' | 'return-overdue';

export interface TimerJobData {
  kind: TimerKind;
  requestNumber: string;
  /** The deadline this timer belongs to; a request re-stamped since then ignores it. */
  deadline: string;
  /** Window-minutes (response) or elapsed minutes (delivery, return) before the deadline. */
  minutesBefore: number;
  fireAt: string;
}

export interface TimerServiceOptions {
  connections: RedisConnections;
  prefix: string;
  warnMinutesBefore: readonly number[];
  calendar: ServiceCalendar;
  store: RequestStore;
  alerts: EngineerAlerts;
  logger: Logger;
  now?: () => number;
}

/** Elapsed-time reminders before delivery and return deadlines (minutes). */
const DELIVERY_REMINDER_MINUTES = 60;
const RETURN_REMINDER_MINUTES = 24 * 60;

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

  /** The timers a request needs in its current state (idempotent: fixed job ids). */
  plan(request: ServiceRequest): TimerJobData[] {
    const timers: TimerJobData[] = [];
    const add = (kind: TimerKind, deadline: string, minutesBefore: number, fireAtMs: number): void => {
      timers.push({ kind, requestNumber: request.number, deadline, minutesBefore, fireAt: new Date(fireAtMs).toISOString() });
    };
    if (request.status === 'accepted' && request.responseDeadline && !request.firstResponse && request.window) {
      const due = Date.parse(request.responseDeadline.at);
      for (const minutes of this.options.warnMinutesBefore) {
        add('response-warning', request.responseDeadline.at, minutes, subtractWindowTime(due, minutes * 60_000, request.window, this.options.calendar));
      }
      add('response-breach', request.responseDeadline.at, 0, due);
    }
    if ((request.status === 'verified' || request.status === 'shipped') && request.deliveryDeadline) {
      const due = Date.parse(request.deliveryDeadline.at);
      add('delivery-reminder', request.deliveryDeadline.at, DELIVERY_REMINDER_MINUTES, due - DELIVERY_REMINDER_MINUTES * 60_000);
      add('delivery-breach', request.deliveryDeadline.at, 0, due);
    }
    if (request.status === 'delivered' && request.returnDeadline) {
      const due = Date.parse(request.returnDeadline.at);
      add('return-reminder', request.returnDeadline.at, RETURN_REMINDER_MINUTES, due - RETURN_REMINDER_MINUTES * 60_000);
      add('return-overdue', request.returnDeadline.at, 0, due);
    }
    return timers;
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

/** A timer matters only while the request is still in the state it was set for. */
export function isStillRelevant(request: ServiceRequest, timer: TimerJobData): boolean {
  switch (timer.kind) {
    case 'response-warning':
    case 'response-breach':
      return request.status === 'accepted' && !request.firstResponse && request.responseDeadline?.at === timer.deadline;
    case 'delivery-reminder':
    case 'delivery-breach':
      return (request.status === 'verified' || request.status === 'shipped') && request.deliveryDeadline?.at === timer.deadline;
    case 'return-reminder':
    case 'return-overdue':
      return request.status === 'delivered' && request.returnDeadline?.at === timer.deadline;
  }
}
