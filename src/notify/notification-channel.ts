/**
 * The boundary between the notifier and its providers: the message to send, what a provider
 * did with it, and the one contract every provider (mail, SMS, webhook) implements. In its own
 * file so that the notifier and the senders both depend on it and not on each other.
 */

/** One message to send. The caller renders it (acknowledgment-messages.ts, alert-messages.ts); the worker only delivers. */
export type NotificationJob =
  | { type: 'ack-mail'; requestNumber: string; to: string; subject: string; text: string; inReplyTo?: string; references?: string[] }
  | { type: 'ack-sms'; requestNumber: string; to: string; text: string }
  | { type: 'alert-webhook'; requestNumber: string; event: string; payload: Record<string, unknown> }
  | { type: 'alert-mail'; requestNumber: string; to: string[]; subject: string; text: string }
  /** An engineer's own mail to a reporter (a reply, a merge notice); `actor` is who wrote it. */
  | { type: 'reporter-mail'; requestNumber: string; to: string; subject: string; text: string; actor: string; inReplyTo?: string; references?: string[] };

export type NotificationType = NotificationJob['type'];

/** What a provider did with a message, normalized; `raw` keeps the provider's own answer. */
export type DeliveryResult =
  | { status: 'sent'; providerId?: string; raw?: Record<string, unknown> }
  /** Refused for good (an invalid number, a 5xx SMTP reply): retrying cannot help. */
  | { status: 'rejected'; reason: string; raw?: Record<string, unknown> };

/** Facts about the job a channel may use, e.g. to derive a stable Message-ID. */
export interface DeliveryContext {
  /** The caller's logical job id, e.g. `ack-mail:HZ-2026-000123`. */
  jobId: string;
}

/** The one provider contract every channel implements (Novu-style). */
export interface NotificationChannel {
  /** Short name used in logs and job results: `mail`, `sms`, `webhook`. */
  readonly name: string;
  /** The job types this channel delivers; the notifier routes jobs by this list. */
  readonly handles: readonly NotificationType[];
  /**
   * Why the channel cannot send with the current settings ("no SMTP configured"), or undefined
   * when it can. Jobs for an unconfigured channel complete unsent, with this reason logged.
   */
  readonly notConfigured: string | undefined;
  /**
   * Delivers one message. Resolves `sent` once the provider accepted it and `rejected` when the
   * provider refused it for good; throws when a later attempt may succeed (the queue retries).
   */
  send(job: NotificationJob, context: DeliveryContext): Promise<DeliveryResult>;
  /** Releases connections; called once by Notifier.close(). */
  close(): Promise<void>;
}
