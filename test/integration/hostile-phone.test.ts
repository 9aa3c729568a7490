/**
 * Hostile and malformed Twilio webhooks, every one CORRECTLY SIGNED (so they pass the door and
 * reach the call flow): missing, repeated, oversized, control-character and wrong-type
 * parameters on every route of src/channels/phone/routes.ts. Each gets valid TwiML that says
 * something sensible, a 204 (status callback) or a 4xx with a code — never a 5xx — and the calls
 * around them are filed exactly once.
 *
 * What is filed by design (checked exactly below): a status callback with a final CallStatus and
 * a recording callback file a request for a well-formed CallSid even without a session (a busy
 * call, a lost session — nothing is lost). A CallSid that is missing, repeated or not shaped
 * like one (`CA` + 1–62 letters/digits) is refused with 400 and files nothing, as is a status
 * callback without exactly one CallStatus; /twilio/fallback needs no CallSid (static apology).
 *
 * The refusal of a signed webhook replayed with one parameter changed is proved in
 * test/integration/route-auth.test.ts ("Twilio signatures"), not repeated here.
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import fc from 'fast-check';
import request from 'supertest';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createPhoneChannel, type PhoneChannel } from '../../src/channels/phone/routes.js';
import { readTwiml, spokenText, type TwimlVerb } from '../../src/channels/phone/twiml-reader.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { Readiness } from '../../src/util/readiness.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { TwilioCall } from '../support/twilio-call.js';

const PUBLIC_URL = 'https://intake.example.pl';
const TOKEN = 'hostile-phone-test-token';
const PREFIX = 'hezo-hostile-phone';
/** Polly voices refuse a <Say> longer than this (Twilio warning 13521). */
const SAY_LIMIT = 3000;
let redis: PrivateRedis;
let test: TestGateway;
let phone: PhoneChannel;
let app: Express;
/** Every Twilio route as Twilio calls it, read from the phone router (plus the no-input redirects). */
let routes: string[];

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway(
    { http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL }, intake: { prefix: PREFIX }, twilio: { accountSid: 'AC00000000000000000000000000000000', authToken: TOKEN, smsFrom: '', apiBaseUrl: '' } },
    { REDIS_URL: redis.url },
  );
  const g = test.gateway;
  phone = createPhoneChannel({ intake: g.intake, registry: () => g.registry.current, calendar: g.calendar, store: g.store, redis: g.redis, settings: g.settings, logger: g.logger, spoolDir: `${test.root}/phone-spool` });
  phone.start();
  app = buildApp({ readiness: new Readiness(), logger: g.logger, routes: [{ path: '/twilio', router: phone.router }] });
  const stack = (phone.router as unknown as { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> }).stack;
  // Twilio POSTs; GET /twilio is for people and the simulator.
  const paths = stack.flatMap((layer) => (layer.route?.methods.post ? [`/twilio${layer.route.path}`] : []));
  routes = [...paths, ...paths.filter((p) => p.endsWith('/step')).map((p) => `${p}?noInput=1`)];
});
afterAll(async () => {
  await phone?.close();
  await test?.stop();
  await redis?.cleanup();
});

type Pairs = Array<[string, string]>;
const sid = () => `CA${randomBytes(16).toString('hex')}`;
const normalCall = (from = '+48600100200') => new TwilioCall(app, { authToken: TOKEN, publicUrl: PUBLIC_URL, from });

/**
 * What Twilio signs for a form body: the public URL, then the parameters as decoded from the
 * body, keys sorted, each key followed by its value — a repeated key by each of its values
 * (the twilio package's getExpectedTwilioSignature takes them as an array, sorts them and drops
 * exact repeats; validateRequest on our side does the same over express's parsed arrays).
 */
function signatureFor(path: string, body: string): string {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(body)) grouped.set(key, [...(grouped.get(key) ?? []), value]);
  // fromEntries defines own properties, so a `__proto__` key is a parameter like any other.
  const params = Object.fromEntries([...grouped].map(([key, values]) => [key, values.length === 1 ? values[0] : values]));
  return twilio.getExpectedTwilioSignature(TOKEN, `${PUBLIC_URL}${path}`, params);
}

/** Posts a signed form body (pairs in order, repeats kept). */
function post(path: string, pairs: Pairs | string) {
  const body = typeof pairs === 'string' ? pairs : new URLSearchParams(pairs).toString();
  return request(app).post(path).set('Content-Type', 'application/x-www-form-urlencoded').set('X-Twilio-Signature', signatureFor(path, body)).send(body);
}

/** Tally of answers, printed at the end. */
const tally = new Map<string, number>();
/** CallSids the design files a request for (see the header). */
const expectedFilings = new Set<string>();
const normalCalls = new Set<string>();

/**
 * The answer's shape, whatever the input: 200 with TwiML a caller can hear (parsed, each <Say>
 * within Polly's limit), 204 from the status callback, or a 4xx with an error code.
 */
function checkAnswer(path: string, res: request.Response, label: string): TwimlVerb[] | undefined {
  tally.set(`${res.status}`, (tally.get(`${res.status}`) ?? 0) + 1);
  const where = `${label} → POST ${path} answered ${res.status}: ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  if (res.status === 200) {
    expect(String(res.headers['content-type']), where).toMatch(/xml/);
    const verbs = readTwiml(res.text);
    expect(verbs.length, where).toBeGreaterThan(0);
    for (const text of spokenText(verbs)) expect(text.length, where).toBeLessThanOrEqual(SAY_LIMIT);
    // The apology is the fallback's; from any other route it means a handler failed (Redis is up here).
    if (path !== '/twilio/fallback') expect(spokenText(verbs).join(' '), where).not.toContain('wystąpił problem techniczny');
    return verbs;
  }
  if (res.status === 204) {
    expect(path, where).toBe('/twilio/status');
    return undefined;
  }
  expect([400, 403, 413, 415], where).toContain(res.status);
  expect(res.body.error?.code, where).toEqual(expect.any(String));
  expect(res.body.error?.message, where).toEqual(expect.any(String));
  return undefined;
}

/** Request numbers allocated so far (numbers are allocated at submit, before the dispatcher stores them). */
async function allocatedNumbers(): Promise<string[]> {
  return (await test.gateway.redis.keys(`${PREFIX}:number:*`)).map((key) => key.slice(`${PREFIX}:number:`.length));
}

/** Every filed request, once the dispatcher has stored them all. */
async function storedRequests(): Promise<ServiceRequest[]> {
  const numbers = await allocatedNumbers();
  return vi.waitFor(
    async () => {
      const found = await Promise.all(numbers.map((n) => test.gateway.store.get(n)));
      if (found.some((r) => r === null)) throw new Error('not all requests stored yet');
      return found as ServiceRequest[];
    },
    { timeout: 15_000, interval: 50 },
  );
}

/** Completes a normal call by keypad and returns its stored request. */
async function completeNormalCall(c = normalCall()): Promise<ServiceRequest> {
  if (c.verbs.length === 0) await c.start();
  await c.silence();
  await c.press('1');
  await c.speak('Q48 24 07315');
  await c.press('1');
  expect(c.said).toContain('Numer Twojego zgłoszenia');
  normalCalls.add(c.callSid);
  const stored = await vi.waitFor(
    async () => {
      const found = (await test.gateway.store.listOpen()).find((r) => r.sourceKey === `call:${c.callSid}`);
      if (!found) throw new Error(`no request for ${c.callSid} yet`);
      return found;
    },
    { timeout: 10_000, interval: 50 },
  );
  expect(stored).toMatchObject({ status: 'accepted', serialNumber: 'Q48-24-07315', reporter: { name: 'Anna Nowak', phone: '+48600100200' } });
  return stored;
}

const UNICODE = 'zażółć\u0000\u0007\u001b[31m\u202e\uFFFF💥\r\n<Say>&amp;</Say>';
const BAD_SIDS: Array<[string, Pairs]> = [
  ['no CallSid', []],
  ['CallSid twice with different values', [['CallSid', sid()], ['CallSid', sid()]]],
  ['CallSid twice with the same value', (() => { const s = sid(); return [['CallSid', s], ['CallSid', s]] as Pairs; })()],
  ['CallSid not starting with CA', [['CallSid', 'hello']]],
  ['CallSid with a colon (would collide with `call:<sid>:recording`)', [['CallSid', `${sid()}:recording`]]],
  ['CallSid with NUL and control characters', [['CallSid', `CA12\u0000\u0007`]]],
  ['CallSid in unicode', [['CallSid', 'CAżółw💥']]],
  ['CallSid of 5,000 characters', [['CallSid', `CA${'a'.repeat(4998)}`]]],
  ['CallSid as array syntax', [['CallSid[]', sid()]]],
  ['empty CallSid', [['CallSid', '']]],
];

describe('hostile Twilio webhooks, correctly signed', () => {
  let before: ServiceRequest;
  /** A call left half-way through the hostile batch; it must finish normally afterwards. */
  let open: TwilioCall;

  it('finds every Twilio route in the phone router', () => {
    expect(routes).toEqual(expect.arrayContaining(['/twilio/voice', '/twilio/voice/step', '/twilio/voice/recorded', '/twilio/escalation', '/twilio/escalation/step', '/twilio/escalation/recorded', '/twilio/status', '/twilio/fallback', '/twilio/fallback/recorded']));
    console.log(`Twilio routes under test (${routes.length}): ${routes.join(', ')}`);
  });

  it('files a normal call before the batch, and leaves another one open', async () => {
    before = await completeNormalCall();
    open = await normalCall().start();
    await open.silence();
    expect(open.said).toContain('Witamy, Anna Nowak.');
  });

  it('refuses a missing, repeated or malformed CallSid with 400 on every route but the fallback, and files nothing', async () => {
    for (const route of routes) {
      for (const [label, sidPairs] of BAD_SIDS) {
        const pairs: Pairs = [...sidPairs, ['From', '+48600100200'], ['To', '+48122525600'], ['CallStatus', 'completed'], ['RecordingUrl', 'https://api.twilio.com/rec/RE1']];
        const res = await post(route, pairs);
        checkAnswer(route, res, label);
        if (route === '/twilio/fallback') {
          // The fallback touches no state: it apologises to whoever Twilio sends there.
          expect(res.status, label).toBe(200);
        } else {
          expect(res.status, `${label} at ${route}`).toBe(400);
          expect(res.body.error).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('CallSid') });
        }
      }
    }
  });

  it('answers an empty body with 400 (no CallSid), the fallback with its apology', async () => {
    for (const route of routes) {
      const res = await post(route, '');
      checkAnswer(route, res, 'empty body');
      expect(res.status, route).toBe(route === '/twilio/fallback' ? 200 : 400);
    }
  });

  it('answers bodies over the limit with 413 and a reason', async () => {
    const cases: Array<[string, Pairs]> = [
      ['SpeechResult of 100 KB', [['CallSid', sid()], ['SpeechResult', 'Q48 24 07315 '.repeat(8_000)]]],
      ['a body of 70 KB', [['CallSid', sid()], ['Junk', 'x'.repeat(70_000)]]],
      ['1,001 parameters', [['CallSid', sid()], ...Array.from({ length: 1_000 }, (_, i): [string, string] => [`P${i}`, '1'])]],
    ];
    for (const route of routes) {
      for (const [label, pairs] of cases) {
        const res = await post(route, pairs);
        checkAnswer(route, res, label);
        expect(res.status, `${label} at ${route}`).toBe(413);
        expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      }
    }
  });

  it('takes odd but well-formed-CallSid webhooks on every route: TwiML, 204 or a clear 4xx, and files by design', async () => {
    const cases: Array<[string, (callSid: string, route: string) => Pairs]> = [
      ['no From', (s, route) => [['CallSid', s], ['To', '+48122525600'], ['CallStatus', route.endsWith('status') ? 'completed' : 'in-progress']]],
      ['From not a phone number', (s) => [['CallSid', s], ['From', '<script>alert(1)</script>'], ['CallStatus', 'busy']]],
      ['From of 10,000 characters', (s) => [['CallSid', s], ['From', '+48'.padEnd(10_000, '9')], ['CallStatus', 'no-answer']]],
      ['anonymous From', (s) => [['CallSid', s], ['From', 'anonymous'], ['CallStatus', 'failed']]],
      ['no Digits', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'completed']]],
      ['Digits twice', (s) => [['CallSid', s], ['From', '+48500000001'], ['Digits', '1'], ['Digits', '2'], ['CallStatus', 'completed']]],
      ['Digits of 10,000 characters', (s) => [['CallSid', s], ['From', '+48500000001'], ['Digits', '9'.repeat(10_000)], ['CallStatus', 'completed']]],
      ['SpeechResult of 60 KB', (s) => [['CallSid', s], ['From', '+48500000001'], ['SpeechResult', 'Q48 '.repeat(15_000)], ['CallStatus', 'completed']]],
      ['unicode, control characters and NUL in every value', (s) => [['CallSid', s], ['From', UNICODE], ['To', UNICODE], ['Digits', UNICODE], ['SpeechResult', UNICODE], ['RecordingUrl', UNICODE], ['CallDuration', UNICODE], ['CallStatus', 'canceled']]],
      ['CallDuration not a number', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'completed'], ['CallDuration', 'forty-two']]],
      ['CallDuration of 1e400 seconds', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'completed'], ['CallDuration', '1e400']]],
      ['CallDuration negative', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'completed'], ['CallDuration', '-86400000']]],
      ['RecordingUrl not a URL', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'completed'], ['RecordingUrl', 'javascript:alert(1)']]],
      ['RecordingUrl of 10,000 characters', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'completed'], ['RecordingUrl', `https://api.twilio.com/${'r'.repeat(10_000)}`]]],
      ['RecordingUrl twice', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'completed'], ['RecordingUrl', 'https://a.example/1'], ['RecordingUrl', 'https://a.example/2']]],
      ['parameters in array syntax', (s) => [['CallSid', s], ['From[]', '+48500000001'], ['Digits[]', '1'], ['CallStatus', 'completed']]],
      ['prototype names as parameters', (s) => [['CallSid', s], ['From', '+48500000001'], ['toString', '1'], ['hasOwnProperty', '1'], ['constructor', '1'], ['CallStatus', 'completed']]],
      ['no CallStatus', (s) => [['CallSid', s], ['From', '+48500000001']]],
      ['CallStatus twice', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'completed'], ['CallStatus', 'busy']]],
      ['CallStatus unknown', (s) => [['CallSid', s], ['From', '+48500000001'], ['CallStatus', 'exploded']]],
    ];
    const numbersBefore = (await allocatedNumbers()).length;
    for (const route of routes) {
      for (const [label, make] of cases) {
        const callSid = sid();
        const pairs = make(callSid, route);
        const res = await post(route, pairs);
        checkAnswer(route, res, label);
        const status = pairs.filter(([key]) => key === 'CallStatus').map(([, value]) => value);
        if (route === '/twilio/status') {
          if (status.length !== 1) {
            expect(res.status, `${label} at ${route}`).toBe(400);
            expect(res.body.error.message).toContain('CallStatus');
          } else {
            expect(res.status, `${label} at ${route}`).toBe(204);
            if (['completed', 'busy', 'no-answer', 'failed', 'canceled'].includes(status[0] as string)) expectedFilings.add(callSid);
          }
        } else {
          expect(res.status, `${label} at ${route}`).toBe(200);
          if (route.endsWith('/recorded')) expectedFilings.add(callSid);
        }
      }
    }
    const requests = await storedRequests();
    const filedNow = requests.filter((r) => !normalCalls.has(r.sourceKey.slice('call:'.length)));
    const filedSids = new Set(filedNow.map((r) => r.sourceKey.replace(/^call:/, '')));
    expect([...filedSids].sort()).toEqual([...expectedFilings].sort());
    expect((await allocatedNumbers()).length - numbersBefore).toBe(expectedFilings.size);
    for (const r of filedNow) {
      // A caller ID that is no phone number is kept in the payload, never as the reporter's phone.
      if (r.reporter.phone !== undefined) expect(r.reporter.phone).toMatch(/^\+?[0-9][0-9 ()./-]{2,39}$/);
      expect(JSON.stringify(r).length).toBeLessThan(20_000);
    }
    console.log(`odd webhooks: ${routes.length * cases.length} posted, ${filedNow.length} filed by design (status callbacks with a final status, recording callbacks)`);
  });

  it('asks again at a gather step for missing, repeated, oversized or garbled Digits, and the call goes on', async () => {
    const cases: Array<[string, Pairs, RegExp]> = [
      ['no Digits', [], /Nie usłyszeliśmy odpowiedzi\./],
      ['Digits=1&Digits=2', [['Digits', '1'], ['Digits', '2']], /Nie usłyszeliśmy odpowiedzi\./],
      ['Digits of 10,000 characters', [['Digits', '9'.repeat(10_000)]], /Nie znaleźliśmy umowy o numerze/],
      // Only the digits count: the escape sequence's "31" is read back as a contract number not found.
      ['Digits in unicode with NUL', [['Digits', UNICODE]], /Nie znaleźliśmy umowy o numerze 3 1\./],
      ['Digits with a SpeechResult of 60 KB', [['Digits', '#'], ['SpeechResult', 'Q48 '.repeat(15_000)]], /Nie usłyszeliśmy odpowiedzi\./],
    ];
    for (const [label, extra, heard] of cases) {
      const c = await normalCall('+48500000009').start();
      await c.silence(); // unknown caller: asked for the contract digits
      expect(c.said).toContain('Wpisz na klawiaturze cyfry numeru umowy');
      const res = await post('/twilio/voice/step', [['CallSid', c.callSid], ['From', '+48500000009'], ['To', '+48122525600'], ['CallStatus', 'in-progress'], ...extra]);
      const verbs = checkAnswer('/twilio/voice/step', res, label) as TwimlVerb[];
      const said = spokenText(verbs).join(' ');
      expect(said, label).toMatch(heard);
      expect(said, label).toContain('Wpisz na klawiaturze cyfry numeru umowy');
      expect(verbs.find((v) => v.name === 'Gather')?.attributes.action).toBe('/twilio/voice/step');
      // The same call then goes on as normal.
      await c.press('202600123');
      expect(c.said).toContain('ostatnie cyfry numeru seryjnego');
    }
    // At the serial step a 60 KB speech result is read back within Polly's limit.
    const c = await normalCall('+48500000009').start();
    await c.silence();
    await c.press('202600123');
    const res = await post('/twilio/voice/step', [['CallSid', c.callSid], ['From', '+48500000009'], ['CallStatus', 'in-progress'], ['SpeechResult', 'Q48 '.repeat(15_000)]]);
    const said = spokenText(checkAnswer('/twilio/voice/step', res, 'speech of 60 KB at the serial step') as TwimlVerb[]).join(' ');
    expect(said).toContain('Żadne urządzenie tej umowy nie ma numeru seryjnego');
  });

  it('answers any signed random form body on any route with 200 TwiML, 204, 400, 403, 413 or 415', async () => {
    const keys = fc.oneof(
      fc.constantFrom('CallSid', 'From', 'To', 'Digits', 'SpeechResult', 'CallStatus', 'CallDuration', 'RecordingUrl', 'AccountSid', 'Confidence'),
      fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }),
    );
    const values = fc.oneof(fc.string({ maxLength: 40, unit: 'binary' }), fc.constantFrom('completed', 'busy', '1', '9', '202600123', ''), fc.constant('dummy-sid'), fc.string({ minLength: 1_000, maxLength: 5_000 }));
    const bodies = fc.array(fc.tuple(keys, values), { maxLength: 12 });
    const counts = { runs: 0, byStatus: new Map<number, number>() };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodies, fc.nat(3), async (route, pairs, sidDraw) => {
        // Three bodies in four carry a well-formed CallSid, so most reach the call flow; 'dummy-sid' values become one too.
        const withSid = sidDraw > 0;
        const filled: Pairs = pairs.map(([k, v]) => [k, v === 'dummy-sid' ? sid() : v]);
        const body = withSid ? [['CallSid', sid()] as [string, string], ...filled] : filled;
        const res = await post(route, body);
        counts.runs += 1;
        counts.byStatus.set(res.status, (counts.byStatus.get(res.status) ?? 0) + 1);
        checkAnswer(route, res, `random body ${JSON.stringify(body).slice(0, 200)}`);
        expect([200, 204, 400, 403, 413, 415]).toContain(res.status);
        if (res.status === 403) {
          // Only where the body parser drops a parameter Twilio would have signed.
          expect(body.some(([key]) => key === '' || key === '__proto__'), JSON.stringify(body)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    console.log(`random signed bodies: ${counts.runs} runs, answers ${JSON.stringify(Object.fromEntries(counts.byStatus))}`);
    // Room for fast-check to shrink a counterexample rather than time out.
  }, 180_000);

  it('files the call left open and a new call normally after the batch; nothing stray was filed', async () => {
    await open.press('1');
    await open.speak('Q48 24 07315');
    await open.press('1');
    expect(open.said).toContain('Numer Twojego zgłoszenia');
    normalCalls.add(open.callSid);
    const after = await completeNormalCall();
    expect(after.number).not.toBe(before.number);
    const requests = await storedRequests();
    for (const callSid of normalCalls) expect(requests.filter((r) => r.sourceKey === `call:${callSid}`), callSid).toHaveLength(1);
    // Every request belongs to a well-formed CallSid: garbage never reached submit().
    for (const r of requests) expect(r.sourceKey).toMatch(/^call:CA[A-Za-z0-9]{1,62}$/);
    expect((await request(app).get('/healthz')).status).toBe(200);
    console.log(`answers over the whole file: ${JSON.stringify(Object.fromEntries(tally))}; requests filed: ${requests.length} (${normalCalls.size} normal calls)`);
  });
});
