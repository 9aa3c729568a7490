/**
 * The notifier against real servers: a private Redis, a real SMTP server, a stand-in for
 * Twilio's Messages API and a webhook receiver. Each test gets its own queue prefix.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { renderAcknowledgment } from '../../src/notify/acknowledgment-messages.js';
import { renderAlert } from '../../src/notify/alert-messages.js';
import type { NotificationJob } from '../../src/notify/notification-channel.js';
import { NOTIFY_QUEUE, Notifier, queueJobId, type NotifyOutcome } from '../../src/notify/notifier.js';
import { type Settings } from '../../src/settings.js';
import { loadSettings } from '../../src/settings-loader.js';
import { connectionsFor, startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { startTwilioApi, type TwilioApiStandIn } from '../support/twilio-api.js';
import { startWebhook, type TestWebhook } from '../support/webhook.js';

let redis: PrivateRedis;
let smtp: TestSmtpServer;
let twilioApi: TwilioApiStandIn;
let webhook: TestWebhook;
const open: Array<{ close(): Promise<void> }> = [];
const logger = createLogger('silent');
const WAIT = { timeout: 20_000, interval: 50 };

beforeAll(async () => {
  [redis, smtp, twilioApi, webhook] = await Promise.all([startPrivateRedis(), startSmtpServer(), startTwilioApi(), startWebhook()]);
});

afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
  await smtp.start(); // in case a test left it stopped
});

afterAll(async () => {
  await Promise.all([smtp?.stop(), twilioApi?.close(), webhook?.close()]);
  await redis?.cleanup();
});

/** Settings pointing at the test servers, with small backoffs and a fresh prefix. */
function testSettings(change: (settings: Settings) => void = () => undefined): Settings {
  const settings = structuredClone(loadSettings({ env: {} }).settings) as Settings;
  settings.intake.prefix = `t-notify-${randomBytes(4).toString('hex')}`;
  settings.mail.smtp = { ...settings.mail.smtp, host: smtp.host, port: smtp.port, secure: false };
  settings.twilio = { accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, smsFrom: '+48122525600', apiBaseUrl: twilioApi.url };
  settings.alerts.webhookUrl = webhook.url;
  settings.alerts.webhookTimeoutMs = 300;
  settings.notify = { attempts: 20, backoffMs: 100, maxBackoffMs: 400, ackPerSenderPerHour: 3 };
  change(settings);
  return settings;
}

/** A started notifier and a BullMQ queue handle to look at its jobs. */
function startNotifier(settings: Settings): { notifier: Notifier; jobs: Queue } {
  const notifier = new Notifier({ connections: connectionsFor(redis.url), settings, logger });
  notifier.startWorker();
  const jobs = new Queue(NOTIFY_QUEUE, { connection: { url: redis.url }, prefix: settings.intake.prefix });
  open.push(notifier, jobs);
  return { notifier, jobs };
}

async function finished(jobs: Queue, jobId: string): Promise<NotifyOutcome> {
  return vi.waitFor(async () => {
    // State first, then a fresh read: a job fetched just before it completed has no return value yet.
    expect(await jobs.getJobState(queueJobId(jobId))).toBe('completed');
    const job = await jobs.getJob(queueJobId(jobId));
    return job?.returnvalue as NotifyOutcome;
  }, WAIT);
}

function mailsTo(address: string): TestSmtpServer['messages'] {
  return smtp.messages.filter((mail) => mail.envelope.to.includes(address));
}

function ackMail(requestNumber: string, to: string, extra: Partial<NotificationJob & { type: 'ack-mail' }> = {}): NotificationJob {
  const { subject, text } = renderAcknowledgment({ requestNumber, language: 'pl', status: 'accepted', responseDeadline: new Date(Date.now() + 3600_000).toISOString(), subject: 'Awaria biblioteki taśmowej' });
  return { type: 'ack-mail', requestNumber, to, subject, text, ...extra };
}

describe('notifier', () => {
  it('delivers an acknowledgment marked auto-replied, threaded to the reporter\'s mail, with a Message-ID that names the request', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    const to = 'anna.nowak@klient-1.pl';
    await notifier.enqueue('ack-mail:HZ-2026-000101', ackMail('HZ-2026-000101', to, { inReplyTo: 'CAF-1@mail.klient-1.pl', references: ['<CAF-0@mail.klient-1.pl>', 'CAF-1@mail.klient-1.pl'] }));

    await vi.waitFor(() => expect(mailsTo(to)).toHaveLength(1), WAIT);
    const mail = mailsTo(to)[0]!;
    expect(mail.header('auto-submitted')).toBe('auto-replied');
    expect(mail.header('x-auto-response-suppress')).toBe('All');
    expect(mail.header('x-loop')).toBe('pomoc@myhezo.pl');
    expect(mail.header('from')).toContain('<pomoc@myhezo.pl>');
    expect(mail.header('in-reply-to')).toBe('<CAF-1@mail.klient-1.pl>');
    expect(mail.header('references')).toBe('<CAF-0@mail.klient-1.pl> <CAF-1@mail.klient-1.pl>');
    expect(mail.header('message-id')).toMatch(/^<hz-2026-000101\.ack\.[0-9a-f]{20}@intake\.myhezo\.pl>$/);
    expect(mail.subject).toBe('Re: Awaria biblioteki taśmowej [HZ-2026-000101]');
    expect(mail.text).toContain('Inżynier HEZO skontaktuje się z Tobą');
    expect(await finished(jobs, 'ack-mail:HZ-2026-000101')).toMatchObject({ outcome: 'sent', channel: 'mail' });
  });

  it('sends one mail for a job id enqueued twice, and none when it is enqueued again after completion', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    const to = 'dup@klient-2.pl';
    const job = ackMail('HZ-2026-000102', to);
    await Promise.all([notifier.enqueue('ack-mail:HZ-2026-000102', job), notifier.enqueue('ack-mail:HZ-2026-000102', job)]);
    expect(await finished(jobs, 'ack-mail:HZ-2026-000102')).toMatchObject({ outcome: 'sent' });
    expect(await jobs.getJobCounts('wait', 'delayed', 'active')).toEqual({ wait: 0, delayed: 0, active: 0 });

    // Once the completed job is gone (kept jobs are trimmed), the same id is a new BullMQ job:
    // the sent marker is what stops the second mail.
    await jobs.remove(queueJobId('ack-mail:HZ-2026-000102'));
    await notifier.enqueue('ack-mail:HZ-2026-000102', job);
    expect(await finished(jobs, 'ack-mail:HZ-2026-000102')).toMatchObject({ outcome: 'already-sent' });
    expect(mailsTo(to)).toHaveLength(1);
  });

  it('keeps a mail while the SMTP server is down and delivers it once when it is back', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    const to = 'outage@klient-3.pl';
    await smtp.stop();
    await notifier.enqueue('ack-mail:HZ-2026-000103', ackMail('HZ-2026-000103', to));
    await vi.waitFor(async () => expect((await jobs.getJob(queueJobId('ack-mail:HZ-2026-000103')))?.attemptsMade).toBeGreaterThanOrEqual(2), WAIT);

    await smtp.start();
    expect(await finished(jobs, 'ack-mail:HZ-2026-000103')).toMatchObject({ outcome: 'sent' });
    expect(mailsTo(to)).toHaveLength(1);
  });

  it('lets a send still in flight at close() mark itself sent, so a restarted notifier does not send it again', async () => {
    const settings = testSettings();
    const first = new Notifier({ connections: connectionsFor(redis.url), settings, logger });
    first.startWorker();
    const jobs = new Queue(NOTIFY_QUEUE, { connection: { url: redis.url }, prefix: settings.intake.prefix });
    open.push(jobs);
    const to = 'slow-relay@klient-9.pl';
    // The relay takes longer to accept than close() gives the worker (5 s).
    smtp.acceptDelayMs = 6_000;
    try {
      await first.enqueue('ack-mail:HZ-2026-000109', ackMail('HZ-2026-000109', to));
      await vi.waitFor(async () => expect(await jobs.getJobState(queueJobId('ack-mail:HZ-2026-000109'))).toBe('active'), WAIT);
      await first.close();
    } finally {
      smtp.acceptDelayMs = 0;
    }
    expect(mailsTo(to)).toHaveLength(1);
    startNotifier(settings);
    expect((await finished(jobs, 'ack-mail:HZ-2026-000109')).outcome).toMatch(/^(sent|already-sent)$/);
    expect(mailsTo(to)).toHaveLength(1);
  });

  it('fails a mail the server refuses for good (550) without retrying it', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    const to = 'nobody@klient-4.pl';
    smtp.rejectedRecipients.add(to);
    await notifier.enqueue('ack-mail:HZ-2026-000104', ackMail('HZ-2026-000104', to));
    // State first, then a fresh read: a job fetched while still active shows attemptsMade 0.
    const job = await vi.waitFor(async () => {
      expect(await jobs.getJobState(queueJobId('ack-mail:HZ-2026-000104'))).toBe('failed');
      return jobs.getJob(queueJobId('ack-mail:HZ-2026-000104'));
    }, WAIT);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toContain('550');
  });

  it('retries an alert webhook that answered 500 and delivers it once', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    const alert = renderAlert('warning', { requestNumber: 'HZ-2026-000105', minutesBefore: 15, deadline: new Date(Date.now() + 900_000).toISOString() });
    webhook.failNext(1);
    await notifier.enqueue('alert-webhook:HZ-2026-000105:warn-15', { type: 'alert-webhook', requestNumber: 'HZ-2026-000105', event: 'warning', payload: alert.payload });

    expect(await finished(jobs, 'alert-webhook:HZ-2026-000105:warn-15')).toMatchObject({ outcome: 'sent', channel: 'webhook' });
    const calls = webhook.calls.filter((call) => (call.body as { requestNumber?: string }).requestNumber === 'HZ-2026-000105');
    expect(calls.map((call) => call.answer)).toEqual([500, 200]);
    expect(calls[1]?.headers['idempotency-key']).toBe('alert-webhook:HZ-2026-000105:warn-15');
    expect(calls[1]?.body).toMatchObject({ id: 'alert-webhook:HZ-2026-000105:warn-15', event: 'warning', requestNumber: 'HZ-2026-000105', minutesBefore: 15 });
  });

  it('retries an alert webhook that did not answer within webhookTimeoutMs', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    webhook.hangNext(1);
    await notifier.enqueue('alert-webhook:HZ-2026-000106:breach', { type: 'alert-webhook', requestNumber: 'HZ-2026-000106', event: 'breach', payload: {} });

    expect(await finished(jobs, 'alert-webhook:HZ-2026-000106:breach')).toMatchObject({ outcome: 'sent' });
    const calls = webhook.calls.filter((call) => (call.body as { requestNumber?: string }).requestNumber === 'HZ-2026-000106');
    expect(calls.map((call) => call.answer)).toEqual(['hung', 200]);
  });

  it('sends the SMS through the Twilio REST client with Basic auth and the Messages form fields, retrying a 500', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    const to = '+48600100107';
    twilioApi.failNext(1);
    await notifier.enqueue('ack-sms:HZ-2026-000107', { type: 'ack-sms', requestNumber: 'HZ-2026-000107', to, text: 'HEZO: zgłoszenie HZ-2026-000107 przyjęte, kontakt dziś do 10:30' });

    const outcome = await finished(jobs, 'ack-sms:HZ-2026-000107');
    const sent = twilioApi.messages.filter((message) => message.to === to);
    expect(sent).toHaveLength(1);
    expect(outcome).toEqual({ outcome: 'sent', channel: 'sms', providerId: sent[0]?.sid });
    const requests = twilioApi.requests.filter((request) => request.form.To === to);
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe(`/2010-04-01/Accounts/${twilioApi.accountSid}/Messages.json`);
      expect(request.auth).toEqual({ user: twilioApi.accountSid, password: twilioApi.authToken });
      expect(request.contentType).toContain('application/x-www-form-urlencoded');
      expect(request.form).toEqual({ To: to, From: '+48122525600', Body: 'HEZO: zgłoszenie HZ-2026-000107 przyjęte, kontakt dziś do 10:30' });
    }
  });

  it('does not send the (limit+1)th acknowledgment to one address within an hour, whatever its case', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    const ids = ['HZ-2026-000110', 'HZ-2026-000111', 'HZ-2026-000112', 'HZ-2026-000113'];
    const addresses = ['loop@klient-5.pl', 'Loop@Klient-5.pl', 'LOOP@klient-5.pl', 'Auto Reply <loop@KLIENT-5.pl>'];
    await Promise.all(ids.map((id, i) => notifier.enqueue(`ack-mail:${id}`, ackMail(id, addresses[i]!))));

    const outcomes = await Promise.all(ids.map((id) => finished(jobs, `ack-mail:${id}`)));
    expect(outcomes.filter((o) => o.outcome === 'sent')).toHaveLength(3);
    const refused = outcomes.filter((o) => o.outcome === 'not-sent');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ reason: expect.stringContaining('rate limit') });
    expect(smtp.messages.filter((mail) => mail.envelope.to.some((rcpt) => rcpt.toLowerCase() === 'loop@klient-5.pl'))).toHaveLength(3);
  });

  it('completes jobs without sending when SMTP, Twilio or the webhook is not configured', async () => {
    const { notifier, jobs } = startNotifier(
      testSettings((settings) => {
        settings.mail.smtp.host = '';
        settings.twilio.smsFrom = '';
        settings.alerts.webhookUrl = '';
      }),
    );
    const to = 'unconfigured@klient-6.pl';
    await notifier.enqueue('ack-mail:HZ-2026-000120', ackMail('HZ-2026-000120', to));
    await notifier.enqueue('alert-mail:HZ-2026-000120', { type: 'alert-mail', requestNumber: 'HZ-2026-000120', to: [to], subject: 'x', text: 'y' });
    await notifier.enqueue('ack-sms:HZ-2026-000120', { type: 'ack-sms', requestNumber: 'HZ-2026-000120', to: '+48600100120', text: 'x' });
    await notifier.enqueue('alert-webhook:HZ-2026-000120', { type: 'alert-webhook', requestNumber: 'HZ-2026-000120', event: 'new-request', payload: {} });

    expect(await finished(jobs, 'ack-mail:HZ-2026-000120')).toEqual({ outcome: 'not-sent', channel: 'mail', reason: 'no SMTP configured' });
    expect(await finished(jobs, 'alert-mail:HZ-2026-000120')).toMatchObject({ outcome: 'not-sent', channel: 'mail' });
    expect(await finished(jobs, 'ack-sms:HZ-2026-000120')).toMatchObject({ outcome: 'not-sent', channel: 'sms' });
    expect(await finished(jobs, 'alert-webhook:HZ-2026-000120')).toMatchObject({ outcome: 'not-sent', channel: 'webhook' });
    expect(mailsTo(to)).toHaveLength(0);
    expect(twilioApi.requests.filter((request) => request.form.To === '+48600100120')).toHaveLength(0);
    expect(webhook.calls.filter((call) => (call.body as { requestNumber?: string }).requestNumber === 'HZ-2026-000120')).toHaveLength(0);
  });

  it('mails engineer alerts to a list, marked auto-generated', async () => {
    const { notifier, jobs } = startNotifier(testSettings());
    const alert = renderAlert('breach', { requestNumber: 'HZ-2026-000130', deadline: new Date().toISOString() });
    const to = ['inz1@myhezo.pl', 'inz2@myhezo.pl'];
    await notifier.enqueue('alert-mail:HZ-2026-000130:breach', { type: 'alert-mail', requestNumber: 'HZ-2026-000130', to, subject: alert.subject, text: alert.text });

    expect(await finished(jobs, 'alert-mail:HZ-2026-000130:breach')).toMatchObject({ outcome: 'sent' });
    const mail = smtp.messages.find((m) => m.subject.includes('[HZ-2026-000130]'));
    expect(mail?.envelope.to).toEqual(to);
    expect(mail?.header('auto-submitted')).toBe('auto-generated');
    expect(mail?.header('message-id')).toMatch(/^<hz-2026-000130\.alert\.[0-9a-f]{20}@intake\.myhezo\.pl>$/);
    expect(mail?.subject).toContain('Przekroczony termin reakcji');
  });
});
