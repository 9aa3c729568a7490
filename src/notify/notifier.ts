/**
 * The notify queue and its worker: every reply to a reporter and every engineer alert is a
 * BullMQ job, so a down SMTP relay, Twilio or webhook delays a message and never loses it.
 *
 * Delivery is at-least-once underneath (a job re-runs after a crash or a stalled lock), so the
 * worker makes it effectively once: a "sent" marker in Redis is written right after the
 * provider accepted the message and checked before every send. Acknowledgments are also rate
 * limited per address, because an auto-reply that answers an auto-reply is a mail loop.
 */
import { createHash } from 'node:crypto';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import { bareAddress } from '../util/mail-address.js';
import { MailSender } from './mail-sender.js';
import { SmsSender } from './sms-sender.js';
import { WebhookSender } from './webhook-sender.js';
import { closeBullmq, WORKER_DEFAULTS } from '../redis/connections.js';
import { ReplicaConfirmation } from '../redis/replica-confirmation.js';
import { closeWithin, StopBudget, withTimeout } from '../util/timeouts.js';
import type { NotificationChannel, NotificationJob, NotificationType } from './notification-channel.js';

/** Name of the BullMQ queue (keys live under `<settings.intake.prefix>:notify:`). */
export const NOTIFY_QUEUE = 'notify';

/** How long a "sent" marker stops a resend: longer than completed jobs are kept. */
const SENT_MARKER_SECONDS = 14 * 24 * 3600;
const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 5000 };
const KEEP_FAILED = { age: 30 * 24 * 3600 };
const BACKOFF_TYPE = 'capped-exponential';
const HOUR_MS = 3600_000;

/**
 * A sliding one-hour window per address, as a sorted set of job ids. Counting job ids rather
 * than incrementing a counter keeps the check idempotent: a job that re-runs after a failed
 * send finds itself already counted and is not charged twice.
 * KEYS[1] window; ARGV now, windowMs, limit, jobId. Returns 1 when the job may send.
 */
const ACK_RATE_SCRIPT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** What the worker stores in BullMQ: the message and the caller's id (BullMQ's id is encoded). */
interface StoredJob {
  jobId: string;
  notification: NotificationJob;
}

/** The job's return value, shown on the queue board. */
export type NotifyOutcome =
  | { outcome: 'sent'; channel: string; providerId?: string }
  | { outcome: 'already-sent'; channel: string }
  | { outcome: 'not-sent'; channel: string; reason: string };

export interface NotifierOptions {
  /** Where the queue, the worker and the sent markers each get their own connection. */
  connections: RedisConnections;
  settings: Readonly<Settings>;
  logger: Logger;
  /** Replaces providers by name (`mail`, `sms`, `webhook`), e.g. to plug in another SMS vendor. */
  channels?: Partial<Record<string, NotificationChannel>>;
  /**
   * Told when a message has left (also when a re-run finds it sent before, with the first send's
   * time): an engineer's reply records "contacted" then. A hook that throws fails the job, which
   * runs again, finds the message sent and calls the hook again — so it must be idempotent.
   */
  onSent?: (jobId: string, notification: NotificationJob, sentAtMs: number) => Promise<void>;
}

/**
 * The providers, listed explicitly: adding a channel means adding it here, never discovering
 * it by path.
 */
export function createChannels(settings: Readonly<Settings>): NotificationChannel[] {
  return [new MailSender(settings.mail), new SmsSender(settings.twilio), new WebhookSender(settings.alerts)];
}

/**
 * BullMQ refuses custom ids that contain ':' (its own key separator) or look like integers. The
 * mapping is injective, so two logical ids never share a BullMQ id: '%' and '|' are escaped
 * first, then ':' becomes '|' (readable on the board: `ack-mail|HZ-2026-000123`).
 */
export function queueJobId(jobId: string): string {
  const encoded = jobId.replace(/%/g, '%25').replace(/\|/g, '%7C').replace(/:/g, '|');
  return `${parseInt(encoded, 10)}` === encoded ? `%N${encoded}` : encoded;
}

export class Notifier {
  private readonly settings: Readonly<Settings>;
  private readonly logger: Logger;
  private readonly connections: RedisConnections;
  private readonly queue: Queue<StoredJob>;
  /** What BullMQ's queue and worker were handed (src/redis/connections.ts). */
  private readonly queueConnection: Redis;
  private readonly workerConnection: Redis;
  /** For the sent markers and the rate windows; not BullMQ's connections. */
  private readonly redis: Redis;
  private readonly channels: NotificationChannel[];
  /**
   * A reporter hears a request number only once the request is on the replicas (WAIT): the
   * dispatcher may stamp a request whose submit() is still waiting for its confirmation, or
   * was refused it (503) — its acknowledgment waits, retried, until the replicas have it.
   */
  private readonly replicas: ReplicaConfirmation;
  private readonly routes = new Map<NotificationType, NotificationChannel>();
  private worker: Worker<StoredJob, NotifyOutcome> | undefined;
  /** Deliveries running now: close() lets them write their sent markers before Redis goes. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private onSent: NotifierOptions['onSent'];

  constructor(options: NotifierOptions) {
    this.onSent = options.onSent;
    this.settings = options.settings;
    this.logger = options.logger.child({ component: 'notifier' });
    this.connections = options.connections;
    const prefix = this.settings.intake.prefix;
    this.queueConnection = this.connections.bullmq('notify-queue', 'queue');
    this.workerConnection = this.connections.bullmq('notify-worker', 'worker');
    this.queue = new Queue<StoredJob>(NOTIFY_QUEUE, {
      connection: this.queueConnection,
      prefix,
      defaultJobOptions: {
        attempts: this.settings.notify.attempts,
        backoff: { type: BACKOFF_TYPE, delay: this.settings.notify.backoffMs },
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
    });
    this.queue.on('error', (error) => this.logger.debug({ err: error }, 'notify queue: Redis error'));
    this.redis = this.connections.client({ purpose: 'notify-markers' });
    this.replicas = new ReplicaConfirmation(this.connections, prefix);
    const overrides = options.channels ?? {};
    this.channels = createChannels(this.settings).map((channel) => overrides[channel.name] ?? channel);
    for (const channel of this.channels) for (const type of channel.handles) this.routes.set(type, channel);
  }

  /**
   * Queues one message under a deterministic id (`ack-mail:HZ-2026-000123`): adding the same id
   * again while the job is kept is ignored by BullMQ, and after that the sent marker stops it.
   */
  async enqueue(jobId: string, job: NotificationJob): Promise<void> {
    await this.queue.add(job.type, { jobId, notification: job }, { jobId: queueJobId(jobId) });
  }

  /** Sets the hook told of every sent message (main.ts wires it once the store exists). */
  setOnSent(onSent: NotifierOptions['onSent']): void {
    this.onSent = onSent;
  }

  /** Starts the worker that delivers queued messages (once per process that sends). */
  startWorker(): void {
    if (this.worker) return;
    const { backoffMs, maxBackoffMs } = this.settings.notify;
    this.worker = new Worker<StoredJob, NotifyOutcome>(NOTIFY_QUEUE, (job) => this.tracked(this.deliver(job)), {
      ...WORKER_DEFAULTS,
      connection: this.workerConnection,
      prefix: this.settings.intake.prefix,
      concurrency: 8,
      settings: {
        // Doubles from backoffMs and stays at maxBackoffMs: an SMTP relay down for an hour is
        // retried every few minutes, not once a day.
        backoffStrategy: (attemptsMade, type) =>
          type === BACKOFF_TYPE ? Math.min(backoffMs * 2 ** Math.max(0, attemptsMade - 1), maxBackoffMs) : backoffMs,
      },
    });
    this.worker.on('error', (error) => this.logger.debug({ err: error }, 'notify worker: Redis error'));
    this.worker.on('failed', (job, error) => {
      if (!job) return;
      const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      const fields = { jobId: job.data.jobId, attempt: job.attemptsMade, err: error };
      if (final) this.logger.error(fields, 'notification not delivered; kept as failed on the queue board');
      else this.logger.warn(fields, 'notification delivery failed; will retry');
    });
  }

  /**
   * Stops the worker, the queue, the channels and Redis, all within `graceMs`. The worker gets
   * 5 s for the sends in hand; a send still in flight then (an SMTP relay may take 30 s to
   * answer) is waited for while the grace lasts, with the worker still connected: with Redis
   * closed under it, a message the provider took would get no sent marker and no completion, and
   * would be sent again after the restart. Past the grace that is the price of stopping: the
   * worker is dropped (docs/redis.md lists it). The marker connection's QUIT is bounded too — on
   * a Redis that is gone it used to wait for ever.
   */
  async close(graceMs = 6_500): Promise<void> {
    const budget = new StopBudget(graceMs);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) {
      // Without Redis no send can be marked anyway, and a graceful close would wait for it (see closeBullmq).
      const closing = worker.close(!this.connections.connected(this.workerConnection)).then(
        () => true,
        () => true,
      );
      if (!(await withTimeout(closing, budget.grace(5_000), () => false))) {
        if (this.inFlight.size > 0) {
          this.logger.warn({ sends: this.inFlight.size }, 'notify worker: waiting for notifications in flight before closing');
          await withTimeout(Promise.allSettled([...this.inFlight]), budget.grace(graceMs), () => undefined);
        }
        // A send that finished completes its job through the worker: give that a moment.
        if (!(await withTimeout(closing, budget.grace(500), () => false))) {
          this.logger.warn({ graceMs, sends: this.inFlight.size }, 'notify worker did not close in time; dropped (a send cut off may be sent again)');
        }
      }
    }
    await this.connections.close(this.workerConnection, budget.grace(500));
    await closeBullmq(this.queue, this.queueConnection, this.connections, budget.grace(1_000));
    await closeWithin(() => Promise.all(this.channels.map((channel) => channel.close())), budget.grace(1_000), () => undefined);
    await this.connections.close(this.redis, budget.grace(500));
    await this.replicas.close(budget.grace(500));
  }

  private async deliver(job: Job<StoredJob>): Promise<NotifyOutcome> {
    const { jobId, notification } = job.data;
    const channel = this.routes.get(notification.type);
    if (!channel) throw new UnrecoverableError(`no channel delivers "${notification.type}" notifications`);
    const log = this.logger.child({ jobId, channel: channel.name, requestNumber: notification.requestNumber });

    const sentKey = `${this.settings.intake.prefix}:notify:sent:${jobId}`;
    const marker = await this.redis.get(sentKey);
    if (marker !== null) {
      log.info('notification already sent; not sending it again');
      const sentAtMs = Date.parse((JSON.parse(marker) as { at?: string }).at ?? '');
      await this.onSent?.(jobId, notification, Number.isNaN(sentAtMs) ? Date.now() : sentAtMs);
      return { outcome: 'already-sent', channel: channel.name };
    }
    if (channel.notConfigured) {
      log.warn(`not sent: ${channel.notConfigured}`);
      return { outcome: 'not-sent', channel: channel.name, reason: channel.notConfigured };
    }
    if (notification.type === 'ack-mail' && !(await this.mayAcknowledge(notification.to, jobId))) {
      const reason = `rate limit: more than ${this.settings.notify.ackPerSenderPerHour} acknowledgments to this address in an hour`;
      log.warn({ to: notification.to }, `not sent: ${reason}`);
      return { outcome: 'not-sent', channel: channel.name, reason };
    }

    if (notification.type === 'ack-mail' || notification.type === 'ack-sms') await this.replicas.confirm();
    const result = await channel.send(notification, { jobId });
    if (result.status === 'rejected') throw new UnrecoverableError(`${channel.name} refused the message: ${result.reason}`);
    // Right after the provider took it: a crash between here and completion re-runs the job,
    // which then stops at the marker instead of sending twice. A marker that cannot be written
    // does not fail the job: the message is out, and a failed job would be sent again.
    const sentAtMs = Date.now();
    await this.redis.set(sentKey, JSON.stringify({ at: new Date(sentAtMs).toISOString(), providerId: result.providerId ?? null }), 'EX', SENT_MARKER_SECONDS).catch((error: unknown) => {
      log.error({ err: error }, 'notification sent, but its sent marker could not be written: a crash before the job completes would send it again');
    });
    log.info({ providerId: result.providerId }, 'notification sent');
    await this.onSent?.(jobId, notification, sentAtMs);
    return { outcome: 'sent', channel: channel.name, ...(result.providerId ? { providerId: result.providerId } : {}) };
  }

  private tracked<T>(delivery: Promise<T>): Promise<T> {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery)).catch(() => undefined);
    return delivery;
  }

  private async mayAcknowledge(to: string, jobId: string): Promise<boolean> {
    const address = bareAddress(to);
    // Hashed so that addresses (personal data) do not show up in Redis key listings.
    const key = `${this.settings.intake.prefix}:notify:ack-rate:${createHash('sha256').update(address).digest('hex').slice(0, 32)}`;
    const allowed = await this.redis.eval(ACK_RATE_SCRIPT, 1, key, Date.now(), HOUR_MS, this.settings.notify.ackPerSenderPerHour, jobId);
    return allowed === 1;
  }
}
