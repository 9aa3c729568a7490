/**
 * Webhooks of one call that race, on real servers: the status callback arriving with the last
 * step or with the <Record> action (a caller hanging up to end a message does both at once), a
 * retried webhook, a status callback reaching a web process that does not hold the call's
 * session. Whatever the order, and whether Redis is up or the drafts wait in the spool, each
 * call is one request, every webhook is answered, and a recorded message is kept exactly once.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createPhoneChannel, type PhoneChannel, type PhoneDeps } from '../../src/channels/phone/routes.js';
import type { IntakeDraft, ServiceRequest } from '../../src/domain/request.js';
import { QUEUE_NAMES } from '../../src/intake/queues.js';
import { Readiness } from '../../src/util/readiness.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { signedPost, TwilioCall } from '../support/twilio-call.js';

const PUBLIC_URL = 'https://intake.example.pl';
const AUTH_TOKEN = 'phone-races-token';
const PREFIX = 'hezo-phone-races';
const REGISTERING = 'Twoje zgłoszenie jest rejestrowane.';
const APOLOGY = 'wystąpił problem techniczny';
let redis: PrivateRedis;
let test: TestGateway;
let deps: PhoneDeps;
let spoolDir: string;
/** The web process under test; its spool is retried in the background. */
let phone: PhoneChannel;
let app: Express;
/** Channels built only for their router or spool; never started. */
const others: PhoneChannel[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway(
    { http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL }, intake: { prefix: PREFIX }, twilio: { accountSid: '', authToken: AUTH_TOKEN, smsFrom: '', apiBaseUrl: '' } },
    { REDIS_URL: redis.url },
  );
  const g = test.gateway;
  spoolDir = `${test.root}/phone-spool`;
  deps = { intake: g.intake, registry: () => g.registry.current, calendar: g.calendar, store: g.store, redis: g.redis, settings: g.settings, logger: g.logger, spoolRetryMs: 200, spoolDir };
  phone = createPhoneChannel(deps);
  phone.start();
  app = appOf(phone);
});
afterEach(async () => {
  // A test that failed with Redis stopped must not fail the next ones too.
  if (!redis.server.running) await redis.server.restart();
  for (const name of await readdir(spoolDir)) if (name.endsWith('.rejected')) await unlink(path.join(spoolDir, name));
});
afterAll(async () => {
  await Promise.all([phone, ...others].map((channel) => channel?.close()));
  await test?.stop();
  await redis?.cleanup();
});

function appOf(channel: PhoneChannel): Express {
  return buildApp({ readiness: new Readiness(), logger: test.gateway.logger, routes: [{ path: '/twilio', router: channel.router }] });
}

/** A second channel over the same gateway, as another web process would run it. */
function otherChannel(dir: string): PhoneChannel {
  const channel = createPhoneChannel({ ...deps, spoolDir: dir });
  others.push(channel);
  return channel;
}

const call = (from: string, options: { line?: 'hotline' | 'escalation'; on?: Express } = {}) =>
  new TwilioCall(options.on ?? app, { authToken: AUTH_TOKEN, publicUrl: PUBLIC_URL, from, ...(options.line ? { line: options.line } : {}) });

/** +48600100200 up to "is the serial XLS812-240517 right? 1 yes": the next "1" files the call. */
async function atSerialConfirm(): Promise<TwilioCall> {
  const c = await call('+48600100200').start();
  await c.silence();
  await c.press('1');
  await c.press('240517');
  expect(c.said).toContain('numer seryjny X L S 8 1 2, 2 4 0 5 1 7');
  return c;
}

/** An unknown caller who failed three times and is asked to leave a message (<Record>). */
async function atRecord(line: 'hotline' | 'escalation' = 'hotline'): Promise<TwilioCall> {
  const c = await call('+48500000321', { line }).start();
  await c.silence();
  for (const digits of ['1', '2', '3']) await c.press(digits);
  expect(c.verbs.map((v) => v.name)).toContain('Record');
  return c;
}

const recordingUrl = () => `https://api.twilio.com/2010-04-01/Accounts/ACtest/Recordings/RE${randomBytes(8).toString('hex')}`;

/** Waits until the spool is empty and the dispatcher has run every intake job (a late double would show). */
async function settled(): Promise<void> {
  const jobs = new Queue(QUEUE_NAMES.intake, { connection: { url: redis.url }, prefix: PREFIX });
  try {
    await vi.waitFor(
      async () => {
        expect(await phone.spool.pending()).toBe(0);
        expect(await jobs.getJobCounts('wait', 'active', 'delayed', 'prioritized')).toEqual({ wait: 0, active: 0, delayed: 0, prioritized: 0 });
      },
      { timeout: 20_000, interval: 100 },
    );
  } finally {
    await jobs.close();
  }
}

/** The requests filed for a call (by its source key). */
async function requestsOf(callSid: string): Promise<ServiceRequest[]> {
  return (await test.gateway.store.listOpen()).filter((r) => r.sourceKey === `call:${callSid}`);
}

/** How many times the recording reached the call's one request: in the request itself, or attached to it. */
async function timesKept(callSid: string, url: string): Promise<number> {
  const [request, ...more] = await requestsOf(callSid);
  expect(more, `call ${callSid} filed more than once`).toHaveLength(0);
  if (!request) throw new Error(`no request for ${callSid}`);
  const inRequest = request.raw.payload?.recordingUrl === url ? 1 : 0;
  const attached = (await test.gateway.store.history(request.number)).filter(
    (event) => (event.type === 'reply' || event.type === 'escalation') && event.source === `call:${callSid}:recording` && String(event.data.description).includes(url),
  );
  return inRequest + attached.length;
}

/** Restarts Redis (stopped by a test) and waits until what was spooled is filed. */
async function redisBack(): Promise<void> {
  await redis.server.restart();
  await settled();
  const names = await readdir(spoolDir);
  expect(names.filter((name) => name.endsWith('.rejected'))).toEqual([]);
}

describe('two saves of one call in the spool', () => {
  const draft = (callSid: string, description: string): IntakeDraft => ({
    channel: 'phone',
    kind: 'service',
    sourceKey: `call:${callSid}`,
    sentAt: '2026-03-02T09:00:00.000Z',
    reporter: { phone: '+48600100200' },
    language: 'pl',
    description,
  });

  it('keeps one whole draft, the first, when saves of a call overlap', async () => {
    const dir = path.join(test.root, 'spool-overlap');
    const spool = otherChannel(dir).spool;
    const pairs = Array.from({ length: 50 }, (_, i) => [draft(`CAoverlap${i}`, 'x'.repeat(20_000)), draft(`CAoverlap${i}`, 'short')] as const);
    const saves = await Promise.allSettled(pairs.flatMap(([long, short]) => [spool.save(long), spool.save(short)]));
    expect(saves.filter((save) => save.status === 'rejected')).toEqual([]);

    const names = await readdir(dir);
    // No temp left behind, one file per call.
    expect(names.filter((name) => !name.endsWith('.json'))).toEqual([]);
    expect(names).toHaveLength(pairs.length);
    const kept = await Promise.all(names.map(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8')) as IntakeDraft));
    for (const [long, short] of pairs) {
      const found = kept.filter((d) => d.sourceKey === long.sourceKey);
      expect(found).toHaveLength(1);
      expect([long.description, short.description]).toContain(found[0]?.description);
    }

    // In sequence, the second save of a call is the one dropped (as submit() keeps the first).
    await spool.save(draft('CAsequence', 'the finished call'));
    await spool.save(draft('CAsequence', 'a late status callback'));
    const all = await Promise.all((await readdir(dir)).map(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8')) as IntakeDraft));
    expect(all.filter((d) => d.sourceKey === 'call:CAsequence').map((d) => d.description)).toEqual(['the finished call']);
  });
});

describe('Redis down', () => {
  it('answers both the last step and the status callback when they come together, and files each call once', async () => {
    const calls = await Promise.all(Array.from({ length: 5 }, () => atSerialConfirm()));
    await redis.server.stop();
    const answers = await Promise.all(calls.map((c) => Promise.all([c.press('1'), c.hangUp()])));
    for (const [c, status] of answers) {
      expect(status).toBe(204);
      expect(c.said).not.toContain(APOLOGY);
      expect(c.said).toContain(REGISTERING);
    }

    await redisBack();
    for (const c of calls) expect(await requestsOf(c.callSid)).toHaveLength(1);
  });

  it('keeps the finished call when its status callback reaches a process without the session', async () => {
    const c = await atSerialConfirm();
    await redis.server.stop();
    await c.press('1');
    expect(c.said).toContain(REGISTERING);
    // Another web process sharing the spool folder: no copy of the session, Redis down.
    const elsewhere = appOf(otherChannel(spoolDir));
    const status = await signedPost(elsewhere, { authToken: AUTH_TOKEN, publicUrl: PUBLIC_URL }, '/twilio/status', {
      CallSid: c.callSid,
      From: '+48600100200',
      To: '+48122525600',
      CallStatus: 'completed',
      CallDuration: '42',
    });
    expect(status.status).toBe(204);

    await redisBack();
    const [stored, ...more] = await requestsOf(c.callSid);
    expect(more).toHaveLength(0);
    expect(stored).toMatchObject({ status: 'accepted', serialNumber: 'XLS812-240517' });
    expect(stored?.description ?? '').not.toContain('status: completed');
  });

  it('keeps a message recorded after the status callback spooled the call', async () => {
    const calls = await Promise.all([atRecord('escalation'), atRecord('hotline')]);
    const urls = new Map(calls.map((c) => [c.callSid, recordingUrl()]));
    await redis.server.stop();
    for (const c of calls) {
      expect(await c.hangUp()).toBe(204);
      await c.record(urls.get(c.callSid) as string);
      expect(c.said).toContain('Dziękujemy, do widzenia.');
    }

    await redisBack();
    for (const c of calls) expect(await timesKept(c.callSid, urls.get(c.callSid) as string), c.callSid).toBe(1);
  });

  it('keeps a message recorded as the status callback comes, whichever is spooled first', async () => {
    const calls = await Promise.all(Array.from({ length: 4 }, (_, i) => atRecord(i % 2 === 0 ? 'escalation' : 'hotline')));
    const urls = new Map(calls.map((c) => [c.callSid, recordingUrl()]));
    await redis.server.stop();
    // Sent together, in either order.
    const answers = await Promise.all(
      calls.map(async (c, i) => {
        const record = () => c.record(urls.get(c.callSid) as string);
        if (i % 2 === 0) return (await Promise.all([c.hangUp(), record()]))[0];
        return (await Promise.all([record(), c.hangUp()]))[1];
      }),
    );
    expect(answers).toEqual(calls.map(() => 204));
    for (const c of calls) expect(c.said).not.toContain(APOLOGY);

    await redisBack();
    for (const c of calls) expect(await timesKept(c.callSid, urls.get(c.callSid) as string), c.callSid).toBe(1);
  });
});

describe('Redis up', () => {
  it('keeps a message exactly once when the <Record> action races the status callback or its own retry', async () => {
    const withStatus = await Promise.all(Array.from({ length: 10 }, () => atRecord()));
    const retried = await Promise.all(Array.from({ length: 4 }, () => atRecord()));
    const urls = new Map([...withStatus, ...retried].map((c) => [c.callSid, recordingUrl()]));

    const record = (c: TwilioCall) => c.record(urls.get(c.callSid) as string);
    // Twilio sends both as the caller hangs up to end the message, in either order.
    await Promise.all([
      ...withStatus.map((c, i) => (i % 2 === 0 ? Promise.all([record(c), c.hangUp()]) : Promise.all([c.hangUp(), record(c)]))),
      ...retried.map((c) => Promise.all([record(c), record(c)])),
    ]);
    for (const c of [...withStatus, ...retried]) expect(c.said).not.toContain(APOLOGY);

    await settled();
    for (const c of [...withStatus, ...retried]) expect(await timesKept(c.callSid, urls.get(c.callSid) as string), c.callSid).toBe(1);
  });
});
