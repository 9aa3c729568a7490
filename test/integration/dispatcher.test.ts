/**
 * A draft's whole journey on real servers: submit() → intake queue → dispatcher → stored,
 * stamped request → acknowledgment (real SMTP, Twilio stand-in) → timers (webhook alerts).
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft, ServiceRequest } from '../../src/domain/request.js';
import { IntakeError } from '../../src/errors.js';
import { warsawClock } from '../../src/domain/warsaw-time.js';
import { IntakeService, validateDraft } from '../../src/intake/submit.js';
import { Queue } from 'bullmq';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import { recordAction } from '../../src/dispatcher/engineer-actions.js';
import { EngineerAlerts } from '../../src/notify/engineer-alerts.js';
import type { RequestStore } from '../../src/store/request-store.js';
import { TimerService } from '../../src/dispatcher/timers.js';
import type { TimerJobData } from '../../src/dispatcher/timer-job.js';
import { QUEUE_NAMES } from '../../src/intake/queues.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { storeClockEventInOldShape } from '../support/old-history.js';
import { connectionsFor, startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { startTwilioApi, type TwilioApiStandIn } from '../support/twilio-api.js';
import { startWebhook, type TestWebhook } from '../support/webhook.js';

const TOKEN = 'engineer-token-for-tests-0123456789';
let redis: PrivateRedis;
let smtp: TestSmtpServer;
let twilio: TwilioApiStandIn;
let webhook: TestWebhook;
let test: TestGateway;

beforeAll(async () => {
  [redis, smtp, twilio, webhook] = await Promise.all([startPrivateRedis(), startSmtpServer(), startTwilioApi(), startWebhook()]);
  test = await startTestGateway(
    {
      alerts: { warnMinutesBefore: [0.1], webhookUrl: webhook.url, webhookTimeoutMs: 2000, engineerEmails: ['serwis@myhezo.pl'], escalationManagerEmails: ['manager@myhezo.pl'] },
      mail: { from: 'myHEZO Pomoc <pomoc@myhezo.pl>', messageIdDomain: 'intake.myhezo.pl', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false } },
      twilio: { accountSid: twilio.accountSid, authToken: twilio.authToken, smsFrom: '+48122525600', apiBaseUrl: twilio.url },
      notify: { attempts: 20, backoffMs: 200, maxBackoffMs: 1000, ackPerSenderPerHour: 1000 },
      api: { engineerTokens: { tester: TOKEN } },
    },
    { REDIS_URL: redis.url },
  );
});
afterAll(async () => {
  await test?.stop();
  await Promise.all([redis?.cleanup(), smtp?.stop(), twilio?.close(), webhook?.close()]);
});

/** A complete, acceptable mail report on the SOS 24x7 contract, unless overridden. */
function draft(overrides: Partial<IntakeDraft> = {}): IntakeDraft {
  return {
    channel: 'email',
    kind: 'service',
    sourceKey: `mail:<${randomUUID()}@example.pl>`,
    sentAt: new Date().toISOString(),
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki taśmowej',
    description: 'Błąd robota.',
    language: 'pl',
    ...overrides,
  };
}

async function stored(number: string): Promise<ServiceRequest> {
  return vi.waitFor(
    async () => {
      const found = await test.gateway.store.get(number);
      if (!found) throw new Error(`${number} not stored yet`);
      return found;
    },
    { timeout: 10_000, interval: 50 },
  );
}

const api = () => request(test.gateway.url);
const auth = { Authorization: `Bearer ${TOKEN}` };

describe('submit()', () => {
  it('gives one request for the same source key submitted 100 times at once', async () => {
    const one = draft();
    const results = await Promise.all(Array.from({ length: 100 }, () => test.gateway.intake.submit(one)));
    const numbers = new Set(results.map((r) => r.requestNumber));
    expect(numbers.size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const [number] = [...numbers] as [string];
    expect(number).toMatch(/^HZ-\d{4}-\d{6}$/);
    await stored(number);
    const history = await test.gateway.store.history(number);
    expect(history.filter((e) => e.type === 'filed')).toHaveLength(1);
  });

  it('binds a guard key with the allocation: the same value repeats, another value is refused and files nothing', async () => {
    const guardKey = `${test.gateway.settings.intake.prefix}:test-guard:${randomUUID()}`;
    const one = draft();
    const guard = (value: string) => ({ guard: { key: guardKey, value, ttlMs: 60_000 } });
    // Two values racing for one key at once: exactly one binds, the other is refused.
    const raced = await Promise.allSettled([test.gateway.intake.submit(one, guard('body-a')), test.gateway.intake.submit({ ...draft(), sourceKey: one.sourceKey }, guard('body-b'))]);
    const won = raced.filter((r) => r.status === 'fulfilled');
    const lost = raced.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as IntakeError).code).toBe('IDEMPOTENCY_KEY_REUSED');
    const winner = raced[0]!.status === 'fulfilled' ? 'body-a' : 'body-b';
    const loser = winner === 'body-a' ? 'body-b' : 'body-a';
    const first = (won[0] as PromiseFulfilledResult<{ requestNumber: string }>).value;

    const again = await test.gateway.intake.submit(one, guard(winner));
    expect(again).toMatchObject({ requestNumber: first.requestNumber, duplicate: true });
    expect(await test.gateway.redis.get(guardKey)).toBe(winner);
    expect(await test.gateway.redis.pttl(guardKey)).toBeGreaterThan(50_000);

    // A new source with a conflicting value is refused before a number is allocated.
    const sequence = `${test.gateway.settings.intake.prefix}:seq:${warsawClock(Date.now()).year}`;
    const before = await test.gateway.redis.get(sequence);
    const refused = await test.gateway.intake.submit(draft(), guard(loser)).catch((e: unknown) => e);
    expect((refused as IntakeError).code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await test.gateway.redis.get(sequence)).toBe(before);
    await stored(first.requestNumber);
  });

  it('refuses a malformed draft with every field at fault', async () => {
    const error = await test.gateway.intake.submit({ ...draft(), sentAt: 'yesterday', channel: 'fax' as 'email' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).code).toBe('DRAFT_INVALID');
    expect((error as IntakeError).details.map((d) => d.path).sort()).toEqual(['channel', 'sentAt']);
  });

  it('rejects quickly with a retryable error when Redis is unreachable', async () => {
    const intake = new IntakeService({ connections: connectionsFor('redis://127.0.0.1:1'), prefix: 'nowhere', dispatchAttempts: 1, timeoutMs: 500 });
    try {
      const started = Date.now();
      const error = await intake.submit(draft()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntakeError);
      expect((error as IntakeError).code).toBe('REDIS_UNAVAILABLE');
      expect((error as IntakeError).retryable).toBe(true);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await intake.close();
    }
  });
});

describe('acceptability', () => {
  it('accepts a complete report from a representative and stamps 60 minutes on 24x7', async () => {
    const sentAt = '2026-11-26T10:00:00.000Z';
    const { requestNumber } = await test.gateway.intake.submit(draft({ sentAt }));
    const filed = await stored(requestNumber);
    expect(filed).toMatchObject({ status: 'accepted', customer: 'Wawel Data Center sp. z o.o.', window: '24x7', device: { model: expect.stringMatching(/XLS-812/) } });
    expect(filed.responseDeadline?.at).toBe('2026-11-26T11:00:00.000Z');
    expect(filed.responseDeadline?.trace).toMatch(/60 min elapsed/);
  });

  it('stamps an 8x5 report sent on Friday 16:30 for Monday 09:30', async () => {
    const { requestNumber } = await test.gateway.intake.submit(
      draft({ sentAt: '2026-11-27T16:30:00+01:00', contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412', reporter: { email: 'Katarzyna.Wojcik@example.pl' } }),
    );
    const filed = await stored(requestNumber);
    expect(filed.status).toBe('accepted');
    expect(filed.responseDeadline?.at).toBe('2026-11-30T08:30:00.000Z');
  });

  it.each([
    ['without a serial', { serialNumber: undefined }, 'needs-info', /serial number/],
    ['without a contract, with an unknown serial', { contractNumber: undefined, serialNumber: 'NOPE-1' }, 'needs-info', /contract number/],
    ['with an unknown contract', { contractNumber: 'HZ-1999-00001' }, 'needs-info', /not in the registry/],
    ['with a serial the contract does not cover', { serialNumber: 'Q24-25-10277' }, 'needs-info', /not covered/],
    ['from someone who is not a representative', { reporter: { email: 'intruz@example.com' } }, 'unauthorized-reporter', /not an authorized representative/],
    [
      'on an expired contract',
      { contractNumber: 'HZ-2024-00042', serialNumber: 'Q48-21-04410', reporter: { email: 'magdalena.lewandowska@example.pl' } },
      'contract-expired',
      /expired on 2025-09-30.*reactivation fee/,
    ],
  ])('files a report %s as %s, with no clock', async (_name, overrides, status, reason) => {
    const { requestNumber } = await test.gateway.intake.submit(draft(overrides as Partial<IntakeDraft>));
    const filed = await stored(requestNumber);
    expect(filed.status).toBe(status);
    expect(filed.reason).toMatch(reason);
    expect(filed.responseDeadline).toBeUndefined();
  });

  it('finds the contract from the serial alone when one contract covers it', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft({ contractNumber: undefined, serialNumber: 'q80 23 11842' }));
    expect(await stored(requestNumber)).toMatchObject({ status: 'accepted', contractNumber: 'HZ-2026-00123' });
  });
});

describe('acknowledgments', () => {
  it('mails the reporter the number and deadline, threaded to their mail, and texts a phone reporter', async () => {
    const messageId = `<${randomUUID()}@example.pl>`;
    const { requestNumber } = await test.gateway.intake.submit(draft({ sourceKey: `mail:${messageId}`, raw: { payload: { messageId } } }));
    const mail = await vi.waitFor(
      () => {
        const found = smtp.messages.find((m) => m.subject.includes(`[${requestNumber}]`) && m.envelope.to.includes('anna.nowak@example.pl'));
        if (!found) throw new Error('no acknowledgment yet');
        return found;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(mail.header('auto-submitted')).toBe('auto-replied');
    expect(mail.header('in-reply-to')).toBe(messageId);

    const call = await test.gateway.intake.submit(
      draft({ channel: 'phone', sourceKey: `CA${randomUUID().replace(/-/g, '')}`, reporter: { phone: '+48 600 100 200' } }),
    );
    const sms = await vi.waitFor(
      () => {
        const found = twilio.messages.find((m) => m.body.includes(call.requestNumber));
        if (!found) throw new Error('no SMS yet');
        return found;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(sms.to).toBe('+48600100200');
    expect(sms.body.length).toBeLessThanOrEqual(70);
  });

  it('tells a reporter who is no representative of the contract named only the number and that it is being checked, by mail and SMS', async () => {
    // Issue 20: a real contract number, any serial and any address got the customer's name back.
    const captured = async (requestNumber: string, to: string) =>
      vi.waitFor(
        () => {
          const found = smtp.messages.find((m) => m.subject.includes(`[${requestNumber}]`) && m.envelope.to.includes(to));
          if (!found) throw new Error('no acknowledgment yet');
          return found;
        },
        { timeout: 10_000, interval: 50 },
      );
    const stranger = `ktos-${randomUUID().slice(0, 8)}@example.com`;
    const cases = [
      draft({ reporter: { email: stranger }, contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412' }), // real contract and serial
      draft({ reporter: { email: stranger }, contractNumber: 'HZ-2025-00017', serialNumber: 'NIE-MA-TAKIEGO' }), // serial not covered
      draft({ reporter: { email: stranger }, contractNumber: 'HZ-2024-00042', serialNumber: 'Q48-21-04410' }), // expired contract
      draft({ reporter: { email: stranger }, contractNumber: 'HZ-1999-99999', serialNumber: 'Q80-25-00412' }), // no such contract
    ];
    for (const report of cases) {
      const { requestNumber } = await test.gateway.intake.submit(report);
      const mail = await captured(requestNumber, stranger);
      expect(mail.text).toContain(`Zarejestrowaliśmy zgłoszenie ${requestNumber}.`);
      expect(mail.text).toContain('Sprawdzamy Twoją umowę i urządzenie.');
      expect(`${mail.subject}\n${mail.text}`).not.toMatch(/Spółdzielnia|Archiwum|Klient:|Urządzenie:|Q80|wygas|nie obowiązywała|nie znaleźliśmy|Brakuje/);
    }
    // Only what the stranger left out is named: it says nothing of the registry.
    const withoutSerial = await test.gateway.intake.submit(draft({ reporter: { email: stranger }, contractNumber: 'HZ-2025-00017', serialNumber: undefined }));
    const asked = await captured(withoutSerial.requestNumber, stranger);
    expect(asked.text).toContain('Brakuje: numeru seryjnego urządzenia.');
    expect(asked.text).not.toMatch(/Spółdzielnia|Klient/);

    // The same contract's representative reads the customer and device.
    const own = await test.gateway.intake.submit(draft({ reporter: { email: 'katarzyna.wojcik@example.pl' }, contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412' }));
    expect((await captured(own.requestNumber, 'katarzyna.wojcik@example.pl')).text).toMatch(/Klient: Spółdzielnia Mleczarska Mazowsze-Wschód[\s\S]*Urządzenie: .*Q80-25-00412/);

    // By phone, a caller ID of nobody on the contract gets the same words by SMS.
    const call = await test.gateway.intake.submit(
      draft({ channel: 'phone', sourceKey: `CA${randomUUID().replace(/-/g, '')}`, reporter: { phone: '+48 500 000 777' }, contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412' }),
    );
    const sms = await vi.waitFor(
      () => {
        const found = twilio.messages.find((m) => m.body.includes(call.requestNumber));
        if (!found) throw new Error('no SMS yet');
        return found;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(sms.body).toBe(`HEZO: zgłoszenie ${call.requestNumber}, sprawdzamy umowę i urządzenie`);
  });

  it('sends an acknowledgment once even when the SMTP server was down at first', async () => {
    await smtp.stop();
    const { requestNumber } = await test.gateway.intake.submit(draft({ reporter: { email: 'piotr.wisniewski@example.pl' } }));
    await stored(requestNumber);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await smtp.start();
    await vi.waitFor(() => expect(smtp.messages.some((m) => m.subject.includes(`[${requestNumber}]`))).toBe(true), { timeout: 15_000, interval: 100 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.messages.filter((m) => m.subject.includes(`[${requestNumber}]`))).toHaveLength(1);
  });
});

describe('replies and escalations', () => {
  it('attaches replies by request number, by the reporter\'s Message-ID and by our Message-ID, instead of filing new ones', async () => {
    const messageId = `<${randomUUID()}@example.pl>`;
    const original = await test.gateway.intake.submit(draft({ sourceKey: `mail:${messageId}`, raw: { payload: { messageId } } }));
    await stored(original.requestNumber);
    const byNumber = await test.gateway.intake.submit(draft({ subject: `Re: [${original.requestNumber}]`, references: [original.requestNumber] }));
    const byHeader = await test.gateway.intake.submit(draft({ subject: 'Re: awaria', references: [messageId] }));
    const toOurAck = await test.gateway.intake.submit(
      draft({ subject: 'Re: potwierdzenie', references: [`<${original.requestNumber.toLowerCase()}.ack.0123456789abcdef0123@intake.myhezo.pl>`] }),
    );
    expect(toOurAck).toMatchObject({ requestNumber: original.requestNumber, mode: 'attach' });
    expect(byNumber).toMatchObject({ requestNumber: original.requestNumber, mode: 'attach' });
    expect(byHeader).toMatchObject({ requestNumber: original.requestNumber, mode: 'attach' });
    await vi.waitFor(async () => {
      const history = await test.gateway.store.history(original.requestNumber);
      expect(history.filter((e) => e.type === 'reply')).toHaveLength(3);
    });
  });

  it('starts the clock of a needs-info request when the missing serial arrives', async () => {
    const first = await test.gateway.intake.submit(draft({ serialNumber: undefined, sentAt: '2026-11-26T09:00:00.000Z' }));
    expect((await stored(first.requestNumber)).status).toBe('needs-info');
    await test.gateway.intake.submit(draft({ serialNumber: 'Q48-24-07315', sentAt: '2026-11-26T09:40:00.000Z', references: [first.requestNumber] }));
    await vi.waitFor(async () => {
      const now = await test.gateway.store.get(first.requestNumber);
      expect(now).toMatchObject({ status: 'accepted', clockStartedAt: '2026-11-26T09:40:00.000Z', responseDeadline: { at: '2026-11-26T10:40:00.000Z' } });
    });
  });

  it('judges the contract on the day the request was sent when the missing serial arrives after the contract ended', async () => {
    // HZ-2024-00042 ended on 2025-09-30: reported on its last day, completed the day after.
    const reporter = { name: 'Magdalena Lewandowska', email: 'magdalena.lewandowska@example.pl' };
    const first = await test.gateway.intake.submit(draft({ reporter, contractNumber: 'HZ-2024-00042', serialNumber: undefined, sentAt: '2025-09-30T12:00:00.000Z' }));
    expect((await stored(first.requestNumber)).status).toBe('needs-info');
    await test.gateway.intake.submit(draft({ reporter, contractNumber: undefined, serialNumber: 'Q48-21-04410', sentAt: '2025-10-01T08:00:00.000Z', references: [first.requestNumber] }));
    await vi.waitFor(async () => {
      const now = await test.gateway.store.get(first.requestNumber);
      expect(now).toMatchObject({ status: 'accepted', contractNumber: 'HZ-2024-00042', clockStartedAt: '2025-10-01T08:00:00.000Z', responseDeadline: { at: '2025-10-01T09:00:00.000Z' } });
    });
  });

  it('marks an escalation on its request and alerts the escalation manager at once', async () => {
    const original = await test.gateway.intake.submit(draft());
    await stored(original.requestNumber);
    await test.gateway.intake.submit(draft({ kind: 'escalation', subject: `Eskalacja ${original.requestNumber}`, references: [original.requestNumber] }));
    await vi.waitFor(async () => expect((await test.gateway.store.get(original.requestNumber))?.escalated).toBe(true));
    await vi.waitFor(() => expect(smtp.messages.some((m) => m.envelope.to.includes('manager@myhezo.pl') && m.subject.includes(original.requestNumber))).toBe(true), {
      timeout: 10_000,
    });
  });

  it('makes one mail sent to pomoc@ and escalation@ one request, flagged as an escalation', async () => {
    const shared = draft();
    const asService = await test.gateway.intake.submit(shared);
    const asEscalation = await test.gateway.intake.submit({ ...shared, kind: 'escalation' });
    expect(asEscalation).toMatchObject({ requestNumber: asService.requestNumber, duplicate: true });
    await vi.waitFor(async () => expect((await test.gateway.store.get(asService.requestNumber))?.escalated).toBe(true));
  });

  it('alerts once when a filing job runs again after the escalation@ copy of its mail attached', async () => {
    // The filing's first attempt stores the request and fails at its alert; the escalation@
    // copy then attaches (and alerts the escalation manager); the filing's retry must not alert
    // the manager a second time, nor send engineers a second kind of filing alert.
    const queued: string[] = [];
    let failures = 1;
    const alerts = new EngineerAlerts({
      notifier: {
        enqueue: async (jobId) => {
          if (jobId.startsWith('alert-') && failures-- > 0) throw new Error('Redis hiccup');
          queued.push(jobId);
        },
      },
      engineerEmails: ['serwis@myhezo.pl'],
      escalationManagerEmails: ['manager@myhezo.pl'],
      webhookConfigured: true,
      registry: () => test.gateway.registry.current,
    });
    const prefix = `retry-${randomUUID().slice(0, 8)}`;
    const timers = new TimerService({ connections: test.gateway.connections, prefix, warnMinutesBefore: [], calendar: test.gateway.calendar, store: test.gateway.store, alerts, logger: test.gateway.logger });
    const dispatcher = new Dispatcher({
      connections: test.gateway.connections,
      prefix,
      concurrency: 1,
      lockDurationMs: 30_000,
      stalledIntervalMs: 15_000,
      registry: () => test.gateway.registry.current,
      calendar: test.gateway.calendar,
      store: test.gateway.store,
      timers,
      alerts,
      logger: test.gateway.logger,
    });
    const requestNumber = `HZ-2026-${String(900_000 + Math.floor(Math.random() * 99_999))}`;
    const mail = validateDraft(draft({ silent: true, serialNumber: undefined, contractNumber: undefined }));
    const copy = validateDraft({ ...mail, kind: 'escalation' });
    const filing = { data: { requestNumber, mode: 'new' as const, draft: mail, submittedAt: new Date().toISOString(), eventSource: mail.sourceKey } };
    await expect(dispatcher.process(filing)).rejects.toThrow('Redis hiccup');
    await dispatcher.process({ data: { requestNumber, mode: 'attach', draft: copy, submittedAt: new Date().toISOString(), eventSource: `${mail.sourceKey}#escalation` } });
    expect(await dispatcher.process(filing)).toBe('needs-info');
    expect((await test.gateway.store.get(requestNumber))?.escalated).toBe(true);
    expect(queued.filter((id) => id.startsWith('alert-webhook:'))).toEqual([
      `alert-webhook:escalation:${requestNumber}:${mail.sourceKey}#escalation`,
      `alert-webhook:filed:${requestNumber}`,
    ]);
    await timers.close();
  });
});

describe('engineer actions', () => {
  it('records contacted (met), verified (SOS 8h delivery clock), shipped, delivered (7-day return), returned, closed', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft());
    await stored(requestNumber);
    const contacted = await api().post(`/api/v1/requests/${requestNumber}/contacted`).set(auth).send({ note: 'Rozmowa z klientem' });
    expect(contacted.status).toBe(200);
    expect(contacted.body.request.firstResponse).toMatchObject({ met: true, by: 'engineer:tester' });
    const verified = await api().post(`/api/v1/requests/${requestNumber}/verified`).set(auth).send({});
    expect(verified.body.request.deliveryDeadline.trace).toMatch(/8 h elapsed/);
    for (const action of ['shipped', 'delivered', 'returned', 'closed']) {
      const res = await api().post(`/api/v1/requests/${requestNumber}/${action}`).set(auth).send(action === 'closed' ? { resolution: 'device-replaced' } : {});
      expect(res.status, action).toBe(200);
      expect(res.body.request.status).toBe(action);
    }
    const detail = await api().get(`/api/v1/requests/${requestNumber}`).set(auth);
    expect(detail.body.request.returnDeadline.trace).toMatch(/7 calendar days/);
    expect(detail.body.history.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['filed', 'clock-started', 'contacted', 'verified', 'shipped', 'delivered', 'returned', 'closed']),
    );
    const list = await api().get('/api/v1/requests').set(auth);
    expect(list.body.requests.map((r: { number: string }) => r.number)).not.toContain(requestNumber);
  });

  it('shows an old request’s clock event with its start and deadline, and the new shape for a new one', async () => {
    // Sent 40 minutes before it was stamped (a backlog): the start is not when the event was written.
    const sentAt = new Date(Date.now() - 40 * 60_000).toISOString();
    const { requestNumber } = await test.gateway.intake.submit(draft({ sentAt }));
    const request = await stored(requestNumber);
    const clockEvent = async () => {
      const detail = await api().get(`/api/v1/requests/${requestNumber}`).set(auth);
      expect(detail.status).toBe(200);
      return detail.body.history.find((event: { type: string }) => event.type === 'clock-started');
    };
    const written = await clockEvent();
    expect(written.data).toEqual({ clockStartedAt: sentAt, responseDeadline: request.responseDeadline });
    expect(Date.parse(written.at)).toBeGreaterThan(Date.parse(sentAt));

    const old = await storeClockEventInOldShape(test.gateway.redis, test.gateway.store, requestNumber);
    expect(old).toEqual(request.responseDeadline);
    expect(await clockEvent()).toEqual(written);
  });

  it('changes a request whose text holds a lone UTF-16 surrogate (a mail body cut through an emoji)', async () => {
    // JSON.stringify writes it as "\\ud83d", which Redis's Lua cjson refuses to parse: the
    // store must never parse a request in Lua, or such a request could never change again.
    const description = `${'a'.repeat(50)}😀`.slice(0, 51);
    const { requestNumber } = await test.gateway.intake.submit(draft({ description }));
    expect((await stored(requestNumber)).description).toBe(description);
    const contacted = await api().post(`/api/v1/requests/${requestNumber}/contacted`).set(auth).send({});
    expect(contacted.status).toBe(200);
    expect((await test.gateway.store.get(requestNumber))?.status).toBe('contacted');
  });

  it('changes a request stored before versions had a key of their own', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft());
    await stored(requestNumber);
    await test.gateway.redis.del(test.gateway.store.keys.version(requestNumber));
    const note = await api().post(`/api/v1/requests/${requestNumber}/notes`).set(auth).send({ text: 'Stary zapis' });
    expect(note.status).toBe(201);
    const after = await test.gateway.store.update(requestNumber, (current) => ({ request: { ...current, subject: 'Nowy temat' }, events: [] }));
    expect(after.changed).toBe(true);
    expect(await test.gateway.redis.get(test.gateway.store.keys.version(requestNumber))).toBe(String(after.request.version));
  });

  it('re-plans the timers when a retried action finds itself recorded (the first try failed after the store write)', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft());
    await stored(requestNumber);
    expect((await api().post(`/api/v1/requests/${requestNumber}/contacted`).set(auth).send({})).status).toBe(200);
    const { prefix } = test.gateway.settings.intake;
    const timers = new TimerService({
      connections: test.gateway.connections,
      prefix,
      warnMinutesBefore: [30],
      calendar: test.gateway.calendar,
      store: test.gateway.store,
      alerts: undefined as never, // only schedule() runs here; firing is tested below
      logger: test.gateway.logger,
    });
    let hiccups = 1;
    const deps = {
      store: test.gateway.store,
      calendar: test.gateway.calendar,
      alerts: { acknowledge: async () => undefined },
      timers: {
        schedule: async (changed: ServiceRequest) => {
          if (hiccups-- > 0) throw new Error('Redis hiccup');
          await timers.schedule(changed);
        },
      },
    };
    const verified = { action: 'verified', atMs: Date.now(), actor: 'engineer:tester', id: randomUUID() } as const;
    await expect(recordAction(deps, requestNumber, verified)).rejects.toThrow('Redis hiccup');
    const retry = await recordAction(deps, requestNumber, verified);
    expect(retry).toMatchObject({ changed: false, request: { status: 'verified' } });
    const queue = new Queue<TimerJobData>(QUEUE_NAMES.timers, { connection: { url: redis.url }, prefix });
    const delivery = (await queue.getDelayed()).filter((job) => job.data.requestNumber === requestNumber && job.data.kind.startsWith('delivery'));
    expect(delivery.map((job) => job.data.deadline)).toEqual([retry.request.deliveryDeadline?.at]);
    await queue.close();
    await timers.close();
  });

  it('keeps a late first response as breached', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft({ sentAt: new Date(Date.now() - 2 * 3_600_000).toISOString() }));
    await stored(requestNumber);
    const res = await api().post(`/api/v1/requests/${requestNumber}/contacted`).set(auth).send({});
    expect(res.body.request.firstResponse.met).toBe(false);
  });

  it('answers 409 with the current status for an illegal transition, 404 for an unknown request, 401 without a token', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft());
    await stored(requestNumber);
    const illegal = await api().post(`/api/v1/requests/${requestNumber}/shipped`).set(auth).send({});
    expect(illegal.status).toBe(409);
    expect(illegal.body.error).toMatchObject({ code: 'ILLEGAL_TRANSITION', message: expect.stringContaining('it is accepted') });
    expect((await api().post('/api/v1/requests/HZ-2026-999999/contacted').set(auth).send({})).status).toBe(404);
    // Names on Object.prototype are not actions (an `in` check would let them through to a 500).
    for (const name of ['constructor', 'toString', '__proto__']) {
      expect((await api().post(`/api/v1/requests/${requestNumber}/${name}`).set(auth).send({})).status, name).toBe(404);
    }
    expect((await api().post(`/api/v1/requests/${requestNumber}/contacted`).send({})).status).toBe(401);
    expect((await api().post(`/api/v1/requests/${requestNumber}/contacted`).set({ Authorization: 'Bearer wrong' }).send({})).status).toBe(401);
    expect((await api().post(`/api/v1/requests/${requestNumber}/contacted`).set(auth).send({ at: 'soon' })).status).toBe(400);
  });

  it('records "contacted" only on an accepted request, and no action dated before the request or its clock', async () => {
    // A call to a customer whose serial is missing is a note: as "contacted" it would end the
    // needs-info state, and the reply carrying the serial would no longer start the clock.
    const missing = await test.gateway.intake.submit(draft({ serialNumber: undefined }));
    expect((await stored(missing.requestNumber)).status).toBe('needs-info');
    const early = await api().post(`/api/v1/requests/${missing.requestNumber}/contacted`).set(auth).send({});
    expect(early.status).toBe(409);
    expect(early.body.error.message).toContain('it is needs-info');

    const sentAt = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const { requestNumber } = await test.gateway.intake.submit(draft({ sentAt }));
    await stored(requestNumber);
    const backdated = await api()
      .post(`/api/v1/requests/${requestNumber}/contacted`)
      .set(auth)
      .send({ at: new Date(Date.parse(sentAt) - 86_400_000).toISOString() });
    expect(backdated.status).toBe(400);
    expect(backdated.body.error.details).toEqual([{ path: 'at', message: expect.stringContaining(sentAt) }]);
    const late = await api().post(`/api/v1/requests/${requestNumber}/contacted`).set(auth).send({});
    expect(late.body.request.firstResponse).toMatchObject({ met: false });
  });

  it('starts the clock of an unconfirmed reporter when an engineer confirms them', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft({ reporter: { email: 'nowy.pracownik@example.pl' } }));
    expect((await stored(requestNumber)).status).toBe('unauthorized-reporter');
    const res = await api().post(`/api/v1/requests/${requestNumber}/reporter-confirmed`).set(auth).send({});
    expect(res.body.request.status).toBe('accepted');
    expect(Date.parse(res.body.request.responseDeadline.at) - Date.parse(res.body.request.clockStartedAt)).toBe(3_600_000);
  });

  it('keeps internal notes in the history', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft());
    await stored(requestNumber);
    const res = await api().post(`/api/v1/requests/${requestNumber}/notes`).set(auth).send({ text: 'Klient prosi o kontakt po 12:00' });
    expect(res.status).toBe(201);
    const history = await test.gateway.store.history(requestNumber);
    expect(history.at(-1)).toMatchObject({ type: 'note', internal: true, data: { text: 'Klient prosi o kontakt po 12:00' } });
  });
});

describe('timers', () => {
  it('warns before the deadline and at breach, on time, and stays silent for a contacted request', async () => {
    const dueInMs = 8_000;
    const sentAt = new Date(Date.now() - 3_600_000 + dueInMs).toISOString();
    const watched = await test.gateway.intake.submit(draft({ sentAt }));
    const contactedEarly = await test.gateway.intake.submit(draft({ sentAt }));
    await stored(watched.requestNumber);
    await stored(contactedEarly.requestNumber);
    await api().post(`/api/v1/requests/${contactedEarly.requestNumber}/contacted`).set(auth).send({});
    const due = Date.parse(sentAt) + 3_600_000;

    const alertsFor = (number: string, event: string) =>
      webhook.delivered().filter((call) => {
        const body = call.body as { event?: string; requestNumber?: string; payload?: { requestNumber?: string } };
        return JSON.stringify(body).includes(number) && JSON.stringify(body).includes(`"${event}"`);
      });
    const warningAt = await vi.waitFor(
      () => {
        if (alertsFor(watched.requestNumber, 'warning').length === 0) throw new Error('no warning yet');
        return Date.now();
      },
      { timeout: 15_000, interval: 50 },
    );
    // 0.1 window-minutes = 6 s before the deadline, fired within a couple of seconds of it.
    expect(Math.abs(warningAt - (due - 6_000))).toBeLessThan(2_500);
    const breachAt = await vi.waitFor(
      () => {
        if (alertsFor(watched.requestNumber, 'breach').length === 0) throw new Error('no breach yet');
        return Date.now();
      },
      { timeout: 15_000, interval: 50 },
    );
    expect(Math.abs(breachAt - due)).toBeLessThan(2_500);
    const history = await test.gateway.store.history(watched.requestNumber);
    expect(history.some((e) => e.type === 'response-breached')).toBe(true);
    expect(alertsFor(contactedEarly.requestNumber, 'warning')).toHaveLength(0);
    expect(alertsFor(contactedEarly.requestNumber, 'breach')).toHaveLength(0);
  });

  it('plans the alerts of the running clock earliest first — every response warning whatever order settings list them in — then the breach', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft());
    const filed = await stored(requestNumber);
    const due = Date.parse(filed.responseDeadline?.at ?? '');
    // Timers are chained: each schedules the first planned one after itself, so a plan out of
    // order ([5, 30, 15] as listed) would start at the 5-minute warning and never send the others.
    const timers = new TimerService({ connections: connectionsFor(redis.url), prefix: `plan-${randomUUID().slice(0, 8)}`, warnMinutesBefore: [5, 30, 15], calendar: test.gateway.calendar, store: test.gateway.store, alerts: undefined as never, logger: test.gateway.logger });
    try {
      expect(timers.plan(filed).map((timer) => [timer.kind, timer.minutesBefore, Date.parse(timer.fireAt)])).toEqual([
        ['response-warning', 30, due - 30 * 60_000],
        ['response-warning', 15, due - 15 * 60_000],
        ['response-warning', 5, due - 5 * 60_000],
        ['response-breach', 0, due],
      ]);
      // Delivery and return count elapsed time: one reminder (1 h, 24 h before), then the breach.
      const delivery = { at: '2026-11-24T16:00:00.000Z', trace: 'verified' };
      expect(timers.plan({ ...filed, status: 'shipped', deliveryDeadline: delivery }).map((timer) => [timer.kind, timer.minutesBefore, timer.fireAt])).toEqual([
        ['delivery-reminder', 60, '2026-11-24T15:00:00.000Z'],
        ['delivery-breach', 0, delivery.at],
      ]);
      const back = { at: '2026-12-01T11:00:00.000Z', trace: 'delivered' };
      expect(timers.plan({ ...filed, status: 'delivered', deliveryDeadline: delivery, returnDeadline: back }).map((timer) => [timer.kind, timer.minutesBefore, timer.fireAt])).toEqual([
        ['return-reminder', 1440, '2026-11-30T11:00:00.000Z'],
        ['return-overdue', 0, back.at],
      ]);
      expect(timers.plan({ ...filed, status: 'contacted' })).toEqual([]);
    } finally {
      await timers.close();
    }
  });

  it('records no breach when "contacted" lands between the breach timer reading the request and writing it', async () => {
    const { requestNumber } = await test.gateway.intake.submit(draft());
    const filed = await stored(requestNumber);
    const deadline = filed.responseDeadline?.at ?? '';
    // The real store, except that each read lets an engineer record "contacted" right after it:
    // the timer then holds a copy from before the first response.
    const store = test.gateway.store;
    const racing = {
      get: async (number: string) => {
        const before = await store.get(number);
        await recordAction(
          { store, calendar: test.gateway.calendar, timers: { schedule: async () => undefined }, alerts: { acknowledge: async () => undefined } },
          number,
          { action: 'contacted', atMs: Date.now(), actor: 'engineer:tester', id: 'race' },
        );
        return before;
      },
      update: store.update.bind(store),
    } as unknown as RequestStore;
    const queued: string[] = [];
    const alerts = new EngineerAlerts({
      notifier: { enqueue: async (jobId) => void queued.push(jobId) },
      engineerEmails: ['serwis@myhezo.pl'],
      escalationManagerEmails: [],
      webhookConfigured: true,
      registry: () => test.gateway.registry.current,
    });
    // A queue of its own (another prefix), so the gateway's timer worker does not take the job.
    const prefix = `race-${randomUUID().slice(0, 8)}`;
    const timers = new TimerService({ connections: test.gateway.connections, prefix, warnMinutesBefore: [], calendar: test.gateway.calendar, store: racing, alerts, logger: test.gateway.logger });
    timers.startWorker();
    const queue = new Queue<TimerJobData>(QUEUE_NAMES.timers, { connection: { url: redis.url }, prefix });
    const job = await queue.add('response-breach', { kind: 'response-breach', requestNumber, deadline, minutesBefore: 0, fireAt: deadline });
    const outcome = await vi.waitFor(
      async () => {
        // State first, then a fresh read: a job fetched while still active has no return value yet.
        if ((await queue.getJobState(job.id ?? '')) !== 'completed') throw new Error('timer not run yet');
        return (await queue.getJob(job.id ?? ''))?.returnvalue;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(outcome).toBe('moved-on');
    expect((await store.history(requestNumber)).map((event) => event.type)).not.toContain('response-breached');
    expect(queued).toEqual([]);
    await queue.close();
    await timers.close();
  });
});
