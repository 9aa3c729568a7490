/**
 * SMS through Twilio's Messages API with the official `twilio` REST client. When
 * `twilio.apiBaseUrl` is set (tests, a proxy), requests are redirected there by a RequestClient
 * that rewrites the `https://api.twilio.com` origin — the rest of the client (auth, form
 * encoding, error mapping) stays Twilio's own.
 */
import twilio from 'twilio';
// Type only: the package's entry point re-exports the class but not its RequestOptions namespace.
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import type { Settings } from '../settings.js';
import type { DeliveryResult, NotificationChannel, NotificationJob, NotificationType } from './notification-channel.js';

const TWILIO_API_ORIGIN = 'https://api.twilio.com';
/** One attempt may not hold the job for long; the queue retries. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Twilio's RequestClient, sending what was meant for api.twilio.com to another base URL. */
class BaseUrlRequestClient extends twilio.RequestClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    super({ timeout: REQUEST_TIMEOUT_MS });
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  override request<TData>(opts: TwilioRequestClient.RequestOptions<TData>) {
    const uri = opts.uri.startsWith(TWILIO_API_ORIGIN) ? this.baseUrl + opts.uri.slice(TWILIO_API_ORIGIN.length) : opts.uri;
    return super.request({ ...opts, uri });
  }
}

export class SmsSender implements NotificationChannel {
  readonly name = 'sms';
  readonly handles: readonly NotificationType[] = ['ack-sms'];
  readonly notConfigured: string | undefined;
  private readonly settings: Readonly<Settings['twilio']>;
  private client: twilio.Twilio | undefined;

  constructor(settings: Readonly<Settings['twilio']>) {
    this.settings = settings;
    this.notConfigured =
      settings.accountSid && settings.authToken && settings.smsFrom ? undefined : 'no Twilio credentials or SMS sender (twilio.smsFrom) configured';
  }

  async send(job: NotificationJob): Promise<DeliveryResult> {
    if (job.type !== 'ack-sms') return { status: 'rejected', reason: `sms cannot deliver "${job.type}"` };
    try {
      const message = await this.twilio().messages.create({ from: this.settings.smsFrom, to: job.to, body: job.text });
      return {
        status: 'sent',
        providerId: message.sid,
        raw: { sid: message.sid, status: message.status, numSegments: message.numSegments, errorCode: message.errorCode },
      };
    } catch (error) {
      // 400 is Twilio's answer to a message it will never send (invalid or unreachable number,
      // opted-out recipient); anything else — 401 after a credential rotation, 429, 5xx, a
      // network fault — may pass later and is retried.
      if (error instanceof twilio.RestException && error.status === 400) {
        return { status: 'rejected', reason: `Twilio ${error.code ?? ''}: ${error.message}`.trim(), raw: { status: error.status, code: error.code ?? null, moreInfo: error.moreInfo ?? null } };
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.client = undefined;
  }

  private twilio(): twilio.Twilio {
    this.client ??= twilioClient(this.settings);
    return this.client;
  }
}

/** Twilio's REST client for the account of the settings (to `twilio.apiBaseUrl` when set). */
export function twilioClient(settings: Readonly<Settings['twilio']>): twilio.Twilio {
  const { accountSid, authToken, apiBaseUrl } = settings;
  return twilio(accountSid, authToken, {
    httpClient: apiBaseUrl ? new BaseUrlRequestClient(apiBaseUrl) : new twilio.RequestClient({ timeout: REQUEST_TIMEOUT_MS }),
  });
}
