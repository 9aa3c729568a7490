/**
 * Engineer alerts as JSON POSTs to `alerts.webhookUrl` (a chat hook, an on-call tool). A
 * non-2xx answer or no answer within `webhookTimeoutMs` fails the attempt and the queue
 * retries. A timed-out POST may still have arrived, so every body carries the job id (also as
 * the Idempotency-Key header) for the receiver to drop repeats.
 */
import { InternalFailure } from '../errors.js';
import type { Settings } from '../settings.js';
import type { DeliveryContext, DeliveryResult, NotificationChannel, NotificationJob, NotificationType } from './notification-channel.js';

/**
 * One failed attempt: thrown, not a `rejected` result, because a later attempt may succeed.
 * An internal failure: the notification queue catches it and retries, no caller waits on it.
 */
export class WebhookDeliveryFailure extends InternalFailure {
  constructor(message: string, options?: { cause?: unknown }) {
    super('WebhookDeliveryFailure', message, options);
  }
}

export class WebhookSender implements NotificationChannel {
  readonly name = 'webhook';
  readonly handles: readonly NotificationType[] = ['alert-webhook'];
  readonly notConfigured: string | undefined;
  private readonly settings: Readonly<Settings['alerts']>;

  constructor(settings: Readonly<Settings['alerts']>) {
    this.settings = settings;
    this.notConfigured = settings.webhookUrl ? undefined : 'no alert webhook URL configured';
  }

  async send(job: NotificationJob, context: DeliveryContext): Promise<DeliveryResult> {
    if (job.type !== 'alert-webhook') return { status: 'rejected', reason: `webhook cannot deliver "${job.type}"` };
    const body = JSON.stringify({ ...job.payload, id: context.jobId, event: job.event, requestNumber: job.requestNumber });
    let response: Response;
    try {
      response = await fetch(this.settings.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': context.jobId, 'user-agent': 'hezo-intake' },
        body,
        signal: AbortSignal.timeout(this.settings.webhookTimeoutMs),
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'TimeoutError') {
        throw new WebhookDeliveryFailure(`alert webhook did not answer within ${this.settings.webhookTimeoutMs} ms`, { cause: error });
      }
      throw error;
    }
    // Read the answer in full either way, so that the keep-alive socket goes back to the pool.
    const answer = await response.text().catch(() => '');
    if (!response.ok) throw new WebhookDeliveryFailure(`alert webhook answered ${response.status}: ${answer.slice(0, 200)}`);
    return { status: 'sent', raw: { status: response.status } };
  }

  async close(): Promise<void> {}
}
