/**
 * The part of the Notifier that those who send need (the alerts, the mail channel's notice of an
 * oversize mail): queue one message under a fixed id. Its own file, so that they depend on this
 * contract and not on the Notifier's worker.
 */
import type { NotificationJob } from './notification-channel.js';

export interface NotificationSink {
  /** Queues a notification under a fixed id (a second enqueue with the same id is ignored). */
  enqueue(jobId: string, job: NotificationJob): Promise<void>;
}
