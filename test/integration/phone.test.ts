/**
 * Whole calls through the IVR on real servers: supertest posts webhooks signed exactly as
 * Twilio signs them (over the public URL https://intake.example.pl, while supertest talks to
 * the app directly — the proxy case), the TwiML is parsed at every step, and the request the
 * dispatcher stores is checked against what the caller heard.
 */
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createPhoneChannel, type PhoneChannel } from '../../src/channels/phone/routes.js';
import { readTwiml, spokenText } from '../../src/channels/phone/twiml-reader.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { instantInWords } from '../../src/domain/instant-in-words.js';
import { Readiness } from '../../src/util/readiness.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { signedPost, TwilioCall } from '../support/twilio-call.js';
import { startTwilioApi, type TwilioApiStandIn } from '../support/twilio-api.js';
import { startWebhook, type TestWebhook } from '../support/webhook.js';

const PUBLIC_URL = 'https://intake.example.pl';
let redis: PrivateRedis;
let twilioApi: TwilioApiStandIn;
/** The engineers' alert webhook: where an escalation alert shows. */
let alertHook: TestWebhook;
let test: TestGateway;
let phone: PhoneChannel;
let app: Express;
/** The phone channel's clock; undefined = real time. */
let clock: number | undefined;

beforeAll(async () => {
  [redis, twilioApi, alertHook] = await Promise.all([startPrivateRedis(), startTwilioApi(), startWebhook()]);
  test = await startTestGateway(
    {
      http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
      intake: { prefix: 'hezo-phone' },
      twilio: { accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, smsFrom: '+48122525600', apiBaseUrl: twilioApi.url },
      notify: { attempts: 5, backoffMs: 100, maxBackoffMs: 500, ackPerSenderPerHour: 1000 },
      alerts: { webhookUrl: alertHook.url },
    },
    { REDIS_URL: redis.url },
  );
  const g = test.gateway;
  phone = createPhoneChannel({
    intake: g.intake,
    registry: () => g.registry.current,
    calendar: g.calendar,
    store: g.store,
    redis: g.redis,
    settings: g.settings,
    logger: g.logger,
    now: () => clock ?? Date.now(),
    spoolDir: `${test.root}/phone-spool`,
  });
  phone.start();
  app = buildApp({ readiness: new Readiness(), logger: g.logger, routes: [{ path: '/twilio', router: phone.router }] });
});
afterAll(async () => {
  await phone?.close();
  await test?.stop();
  await Promise.all([redis?.cleanup(), twilioApi?.close(), alertHook?.close()]);
});

const call = (from: string, line: 'hotline' | 'escalation' = 'hotline') => new TwilioCall(app, { authToken: twilioApi.authToken, publicUrl: PUBLIC_URL, from, line });

async function storedFor(callSid: string): Promise<ServiceRequest> {
  return vi.waitFor(
    async () => {
      const found = (await test.gateway.store.listOpen()).find((r) => r.sourceKey === `call:${callSid}`);
      if (!found) throw new Error(`no request for ${callSid} yet`);
      return found;
    },
    { timeout: 10_000, interval: 50 },
  );
}

/** A request filed on the hotline by a representative recognised by caller ID (1, then 1). */
async function filedByCallerId(from: string): Promise<ServiceRequest> {
  const first = await call(from).start();
  await first.silence();
  await first.press('1');
  await first.press('1');
  return storedFor(first.callSid);
}

/** Waits for the escalation alert on `requestNumber` to reach the alert webhook. */
async function escalationAlerted(requestNumber: string): Promise<void> {
  await vi.waitFor(
    () => expect(alertHook.delivered().some((c) => (c.body as { event?: string; requestNumber?: string }).event === 'escalation' && (c.body as { requestNumber?: string }).requestNumber === requestNumber)).toBe(true),
    { timeout: 10_000, interval: 50 },
  );
}

/** `HZ-2026-000123` as the IVR reads it. */
const spelled = (number: string) => number.replace(/^HZ-(\d{4})-(\d{6})$/, (_, y: string, n: string) => `H Z, ${y.split('').join(' ')}, ${n.split('').join(' ')}`);

describe('hotline', () => {
  it('files a request by keypad in Polish and tells the number and the deadline the dispatcher stamps', async () => {
    clock = undefined;
    const c = await call('+48 12 345 67 89').start();
    expect(c.said).toContain('For English, press 9.');
    expect(c.gather?.attributes).toMatchObject({ numDigits: '1', action: '/twilio/voice/step' });
    await c.silence();
    expect(c.said).toContain('Witamy, Piotr Wiśniewski.');
    await c.press('2');
    expect(c.said).toContain('Wpisz na klawiaturze cyfry numeru umowy');
    expect(c.gather?.attributes.finishOnKey).toBe('#');
    await c.press('202600123');
    expect(c.said).toContain('Umowa H Z, 2 0 2 6, 0 0 1 2 3, Wawel Data Center sp. z o.o. Wpisz ostatnie cyfry numeru seryjnego');
    expect(c.gather?.attributes).toMatchObject({ input: 'dtmf speech', language: 'pl-PL' });
    expect(c.gather?.children[0]?.attributes).toMatchObject({ voice: 'Polly.Ewa', language: 'pl-PL' });
    await c.press('240517');
    expect(c.said).toContain('numer seryjny X L S 8 1 2, 2 4 0 5 1 7');
    await c.press('1');
    expect(c.verbs.at(-1)?.name).toBe('Hangup');

    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ status: 'accepted', channel: 'phone', language: 'pl', serialNumber: 'XLS812-240517', contractNumber: 'HZ-2026-00123' });
    expect(stored.reporter.phone).toBe('+48 12 345 67 89');
    expect(c.said).toContain(`Numer Twojego zgłoszenia: ${spelled(stored.number)}.`);
    const deadline = stored.responseDeadline?.at as string;
    expect(Date.parse(deadline) - Date.parse(stored.sentAt)).toBe(60 * 60_000);
    expect(c.said).toContain(`Inżynier HEZO skontaktuje się z Tobą ${instantInWords(deadline, 'pl', Date.now())}.`);
    expect(c.said).toContain('Potwierdzenie wyślemy SMS-em.');
    // The acknowledgment SMS is the dispatcher's, to the caller's number.
    await vi.waitFor(() => expect(twilioApi.messages.find((m) => m.body.includes(stored.number))?.to).toBe('+48123456789'), { timeout: 10_000 });
    // The status callback after a filed call files nothing more.
    expect(await c.hangUp()).toBe(204);
  });

  it('tells the same number again when the last webhook arrives a second time (its first answer was lost)', async () => {
    clock = undefined;
    const c = await call('+48 601 200 300').start();
    await c.silence();
    await c.press('1');
    const last = { CallSid: c.callSid, AccountSid: 'ACtest', From: '+48 601 200 300', To: '+48122525600', Direction: 'inbound', CallStatus: 'in-progress', Digits: '1' };
    await c.press('1');
    const first = c.said;
    const stored = await storedFor(c.callSid);
    expect(first).toContain(spelled(stored.number));
    const again = await signedPost(app, { authToken: twilioApi.authToken, publicUrl: PUBLIC_URL }, '/twilio/voice/step', last);
    expect(again.status).toBe(200);
    expect(spokenText(readTwiml(again.text)).join(' ')).toBe(first);
    expect((await test.gateway.store.listOpen()).filter((r) => r.sourceKey === `call:${c.callSid}`)).toHaveLength(1);
  });

  it('speaks English after "9", with en-US speech and voice', async () => {
    clock = undefined;
    const c = await call('+48 500 000 001').start();
    await c.press('9');
    expect(c.said).toContain('Enter the digits of your service contract number');
    expect(c.gather?.children[0]?.attributes).toMatchObject({ voice: 'Polly.Joanna', language: 'en-US' });
    await c.press('202600123');
    // Not a representative of the contract: the digits typed, never whose contract it is (issue 20).
    expect(c.said).toContain('You entered contract number 2 0 2 6 0 0 1 2 3.');
    expect(c.said).not.toContain('Wawel');
    expect(c.gather?.attributes.language).toBe('en-US');
    await c.speak('Q80-23-11842');
    expect(c.said).toContain('Serial number ending in Q 8 0 2 3 1 1 8 4 2.');
    expect(c.said).not.toContain('Qualstar');
    await c.press('1');
    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ language: 'en', serialNumber: 'Q80-23-11842', status: 'unauthorized-reporter' });
    expect(c.said).toContain(`Your request number is ${spelled(stored.number)}.`);
    expect(c.said).toContain('We are checking your contract and device.');
  });

  it('recognises a representative by caller ID and takes the serial by speech', async () => {
    clock = undefined;
    const c = await call('+48600100200').start();
    await c.silence();
    expect(c.said).toContain('Czy zgłoszenie dotyczy umowy H Z, 2 0 2 6, 0 0 1 2 3, Wawel Data Center sp. z o.o.?');
    await c.press('1');
    await c.speak('Q48 24 07315');
    expect(c.said).toContain('Urządzenie Qualstar Q48, numer seryjny Q 4 8, 2 4, 0 7 3 1 5.');
    await c.press('1');
    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ status: 'accepted', serialNumber: 'Q48-24-07315', reporter: { name: 'Anna Nowak' } });
  });

  it('asks for more digits when they fit several devices, and takes "2" as retry', async () => {
    clock = undefined;
    const c = await call('+48600100200').start();
    await c.silence();
    await c.press('1');
    await c.press('315');
    expect(c.said).toContain('Ten fragment pasuje do 2 urządzeń. Podaj więcej cyfr.');
    await c.press('7315');
    expect(c.said).toContain('Q 4 8, 2 4, 0 7 3 1 5');
    await c.press('2');
    expect(c.said).toContain('ostatnie cyfry numeru seryjnego');
    await c.press('9315');
    await c.press('1');
    expect((await storedFor(c.callSid)).serialNumber).toBe('Q48-24-09315');
  });

  it('confirms the only device of a contract, and says the clock starts Monday for an 8x5 call on Saturday', async () => {
    clock = Date.parse('2026-11-28T11:00:00+01:00'); // Saturday
    const c = await call('+48 601 200 300').start();
    await c.silence();
    await c.press('1');
    expect(c.said).toContain('Umowa obejmuje urządzenie Qualstar Q80 o numerze seryjnym Q 8 0, 2 5, 0 0 4 1 2.');
    await c.press('1');
    expect(c.said).toContain('Inżynier HEZO skontaktuje się z Tobą w poniedziałek 30 listopada do 10:00.');
    expect(c.said).toContain('czas reakcji zacznie biec w poniedziałek 30 listopada o 09:00.');
    const stored = await storedFor(c.callSid);
    expect(stored.sentAt).toBe('2026-11-28T10:00:00.000Z');
    expect(stored.responseDeadline?.at).toBe('2026-11-30T09:00:00.000Z');
  });

  it('says in words when the clock runs inside the 8x5 window', async () => {
    clock = Date.parse('2026-12-01T10:15:00+01:00'); // Tuesday
    const c = await call('+48 601 200 300').start();
    await c.silence();
    await c.press('1');
    await c.press('1');
    expect(c.said).toContain('Inżynier HEZO skontaktuje się z Tobą dziś do 11:15.');
    expect(c.said).not.toContain('czas reakcji zacznie biec');
  });

  it('says what was wrong, asks again, and after three failures records a message filed as needs-info', async () => {
    clock = undefined;
    const c = await call('+48 500 000 002').start();
    await c.silence();
    await c.press('999');
    expect(c.said).toContain('Nie znaleźliśmy umowy o numerze 9 9 9.');
    expect(c.said).toContain('Wpisz na klawiaturze cyfry numeru umowy');
    await c.silence();
    expect(c.said).toContain('Nie usłyszeliśmy odpowiedzi.');
    await c.press('202600123');
    await c.press('55555');
    expect(c.said).toContain('Żadne urządzenie tej umowy nie ma numeru seryjnego kończącego się na 5 5 5 5 5.');
    expect(c.verbs.map((v) => v.name)).toEqual(['Say', 'Say', 'Record']);
    const recording = 'https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/RE0123';
    await c.record(recording);
    expect(c.said).toContain('Dziękujemy, wiadomość została nagrana.');
    expect(c.said).toContain('Oddzwonimy, aby uzupełnić brakujące dane.');
    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ status: 'needs-info', contractNumber: 'HZ-2026-00123', raw: { location: recording, payload: { recordingUrl: recording } } });
    expect(stored.reporter.phone).toBe('+48 500 000 002');
  });

  it('tells a caller their contract expired, with the reactivation fee, and still files it', async () => {
    // Before 2026-12-01, when the renewal HZ-2026-00311 of the same device starts.
    clock = Date.parse('2026-11-26T10:00:00+01:00');
    const c = await call('+48 58 123 45 67').start();
    await c.silence();
    await c.press('1');
    expect(c.said).toContain('Ta umowa wygasła 2025-09-30.');
    expect(c.said).toContain('opłatą reaktywacyjną');
    await c.press('1');
    expect(c.said).toContain('w sprawie przedłużenia umowy');
    expect(await storedFor(c.callSid)).toMatchObject({ status: 'contract-expired', serialNumber: 'Q48-21-04410' });
  });

  it('puts the same caller on the renewed contract once it has started', async () => {
    clock = Date.parse('2026-12-01T10:00:00+01:00'); // the renewal's first day
    const c = await call('+48 58 123 45 67').start();
    await c.silence();
    await c.press('1');
    expect(c.said).toContain('Umowa obejmuje urządzenie Qualstar Q48 o numerze seryjnym Q 4 8, 2 1, 0 4 4 1 0.');
    expect(c.said).not.toContain('wygasła');
    await c.press('1');
    expect(await storedFor(c.callSid)).toMatchObject({ status: 'accepted', contractNumber: 'HZ-2026-00311', serialNumber: 'Q48-21-04410' });
  });

  it('files what was collected as needs-info when the caller hangs up mid-way', async () => {
    clock = undefined;
    const c = await call('+48 500 000 003').start();
    await c.silence();
    await c.press('202500208');
    // A stranger is asked for the serial rather than offered the contract's only device.
    expect(c.said).toContain('Wpisany numer umowy: 2 0 2 5 0 0 2 0 8.');
    expect(c.said).not.toContain('Q 2 4, 2 5, 1 0 2 7 7');
    expect(await c.hangUp('completed')).toBe(204);
    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ status: 'needs-info', contractNumber: 'HZ-2025-00208', reporter: { phone: '+48 500 000 003' } });
    expect(stored.serialNumber).toBeUndefined();
    expect(stored.raw.payload).toMatchObject({ callStatus: 'completed', step: 'serial' });
  });
});

describe('calls that end early', () => {
  it('keeps a message recorded after the status callback already filed the call', async () => {
    clock = undefined;
    const c = await call('+48 500 000 004').start();
    await c.silence();
    await c.press('1');
    await c.press('2');
    await c.press('3');
    expect(c.verbs.map((v) => v.name)).toContain('Record');
    expect(await c.hangUp('completed')).toBe(204);
    const stored = await storedFor(c.callSid);
    expect(stored.status).toBe('needs-info');
    await c.record('https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/RE-late');
    expect(c.said).toContain('Dziękujemy, do widzenia.');
    await vi.waitFor(
      async () => {
        const history = await test.gateway.store.history(stored.number);
        const recording = history.find((e) => e.source === `call:${c.callSid}:recording`);
        expect(recording?.type === 'reply' || recording?.type === 'escalation' ? recording.data.description : undefined).toContain('RE-late');
      },
      { timeout: 10_000 },
    );
  });

  it('files a needs-info request for a call that never reached the IVR (busy)', async () => {
    const callSid = 'CAbusy0001';
    const response = await signedPost(app, { authToken: twilioApi.authToken, publicUrl: PUBLIC_URL }, '/twilio/status', {
      CallSid: callSid,
      From: '+48 500 000 005',
      To: '+48122525600',
      CallStatus: 'busy',
      CallDuration: '0',
    });
    expect(response.status).toBe(204);
    expect(await storedFor(callSid)).toMatchObject({ status: 'needs-info', reporter: { phone: '+48 500 000 005' }, raw: { payload: { callStatus: 'busy' } } });
  });
});

describe('escalation line', () => {
  it('attaches an escalation to the request named by keypad and says the manager was alerted', async () => {
    clock = undefined;
    const original = await filedByCallerId('+48 601 200 300');

    const c = await call('+48 601 200 300', 'escalation').start();
    expect(c.said).toContain('linia eskalacji');
    await c.silence();
    await c.press('2099000001');
    expect(c.said).toContain('Nie znaleźliśmy zgłoszenia H Z, 2 0 9 9, 0 0 0 0 0 1.');
    await c.press(original.number.replace(/\D/g, ''));
    expect(c.said).toContain(`Zgłoszenie ${spelled(original.number)}. Naciśnij 1`);
    await c.press('1');
    expect(c.said).toContain(`Eskalacja zgłoszenia ${spelled(original.number)} została przyjęta.`);
    expect(c.said).toContain('Kierownik eskalacji został powiadomiony.');
    await vi.waitFor(async () => expect((await test.gateway.store.get(original.number))?.escalated).toBe(true), { timeout: 10_000 });
    await escalationAlerted(original.number);
  });

  it('files a caller who fails three times and leaves a message as a new escalation and alerts the manager', async () => {
    clock = undefined;
    const c = await call('+48 500 000 502', 'escalation').start();
    await c.silence();
    for (const digits of ['2099000001', '2099000002', '2099000003']) await c.press(digits);
    expect(c.verbs.map((v) => v.name)).toContain('Record');
    await c.record('https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/REescalation1');
    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ kind: 'escalation', escalated: true, raw: { location: 'https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/REescalation1' } });
    expect(c.said).toContain(`Eskalacja została zarejestrowana pod numerem ${spelled(stored.number)}.`);
    expect(c.said).toContain('Kierownik eskalacji został powiadomiony.');
    expect(c.said).not.toContain('brakujące dane');
    await escalationAlerted(stored.number);
  });

  it('escalates the request whose number was read back when the caller hangs up before confirming', async () => {
    clock = undefined;
    const original = await filedByCallerId('+48 601 200 300');
    expect(original.escalated).toBe(false);

    const c = await call('+48 601 200 300', 'escalation').start();
    await c.silence();
    await c.press(original.number.replace(/\D/g, ''));
    expect(c.said).toContain(`Zgłoszenie ${spelled(original.number)}. Naciśnij 1`);
    expect(await c.hangUp()).toBe(204);
    await vi.waitFor(async () => expect((await test.gateway.store.get(original.number))?.escalated).toBe(true), { timeout: 10_000 });
    await escalationAlerted(original.number);
    expect((await test.gateway.store.listOpen()).some((r) => r.sourceKey === `call:${c.callSid}`)).toBe(false);
  });

  it('attaches a message recorded after the hang-up escalated the call as a reply, not a second escalation', async () => {
    clock = undefined;
    const c = await call('+48 500 000 504', 'escalation').start();
    await c.silence();
    for (const digits of ['1', '2', '3']) await c.press(digits);
    expect(c.verbs.map((v) => v.name)).toContain('Record');
    expect(await c.hangUp('completed')).toBe(204);
    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ kind: 'escalation', escalated: true });
    await escalationAlerted(stored.number);
    await c.record('https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/RE-late-escalation');
    const late = await vi.waitFor(
      async () => {
        const event = (await test.gateway.store.history(stored.number)).find((e) => e.source === `call:${c.callSid}:recording`);
        expect(event?.type === 'reply' || event?.type === 'escalation' ? event.data.description : undefined).toContain('RE-late-escalation');
        return event;
      },
      { timeout: 10_000 },
    );
    // As an escalation it would alert the manager a second time for the same call.
    expect(late?.type).toBe('reply');
  });

  it('files a caller who hangs up before giving a number as a new escalation', async () => {
    clock = undefined;
    const c = await call('+48 500 000 503', 'escalation').start();
    expect(await c.hangUp()).toBe(204);
    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ kind: 'escalation', escalated: true, reporter: { phone: '+48 500 000 503' } });
    await escalationAlerted(stored.number);
  });

  it('files a new escalation when the caller has no request number ("0")', async () => {
    clock = undefined;
    const c = await call('+48 603 400 500', 'escalation').start();
    await c.silence();
    await c.press('0');
    const stored = await storedFor(c.callSid);
    expect(stored).toMatchObject({ kind: 'escalation', escalated: true });
    expect(c.said).toContain(`Eskalacja została zarejestrowana pod numerem ${spelled(stored.number)}.`);
    expect(c.said).toContain('Kierownik eskalacji został powiadomiony.');
    await escalationAlerted(stored.number);
  });
});

describe('webhook door', () => {
  const params = { CallSid: 'CAdoor', From: '+48600100200', To: '+48122525600', AccountSid: 'ACtest' };

  it('refuses an unsigned webhook with 403', async () => {
    const response = await request(app).post('/twilio/voice').type('form').send(params);
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a webhook signed for the internal URL instead of the public one, or with another token', async () => {
    const local = await signedPost(app, { authToken: twilioApi.authToken, publicUrl: 'http://127.0.0.1' }, '/twilio/voice', params);
    expect(local.status).toBe(403);
    const otherToken = await signedPost(app, { authToken: 'not-the-token', publicUrl: PUBLIC_URL }, '/twilio/voice', params);
    expect(otherToken.status).toBe(403);
    const ok = await signedPost(app, { authToken: twilioApi.authToken, publicUrl: PUBLIC_URL }, '/twilio/voice', params);
    expect(ok.status).toBe(200);
  });

  it('refuses a body that is not form-encoded with 415', async () => {
    const response = await request(app).post('/twilio/voice').set('X-Twilio-Signature', 'x').send(params);
    expect(response.status).toBe(415);
  });

  it('answers the fallback URL with an apology and a recording', async () => {
    const response = await signedPost(app, { authToken: twilioApi.authToken, publicUrl: PUBLIC_URL }, '/twilio/fallback', { ...params, CallSid: 'CAfallback' });
    expect(response.status).toBe(200);
    expect(response.text).toContain('Przepraszamy, wystąpił problem techniczny.');
    expect(response.text).toMatch(/<Record action="\/twilio\/fallback\/recorded"/);
  });
});
