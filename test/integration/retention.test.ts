/**
 * Retention on a running gateway with a settable clock: a call's recording is deleted at Twilio
 * (the stand-in) and its address goes after retention.recordingDays while its request stays; a closed request keeps its personal data
 * until retention.closedRequestMonths have passed since it was closed, and then loses it —
 * every Redis key and every file under var/ and the Redis folder searched afterwards — while
 * what the SLA statistics need stays. The sweep is a daily job scheduler with one fixed id,
 * however many processes register it, and its worker runs the same sweep.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/channels/portal/api-keys.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { Maintenance, RETENTION_SCHEDULER_ID } from '../../src/privacy/maintenance.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { tracesInFiles, tracesInRedis } from '../support/trace-scan.js';
import { TwilioCall } from '../support/twilio-call.js';
import { startTwilioApi, type TwilioApiStandIn } from '../support/twilio-api.js';

const PUBLIC_URL = 'https://intake.example.pl';
const PORTAL_KEY = 'portal-retention-key-0123456789abcdef';
const ENGINEER = 'engineer-retention-token-0123456789';
const PERSON = { name: 'Halina Kowalczyk', email: 'halina.kowalczyk@example.pl', phone: '+48 603 456 789' };
const NEEDLES = [PERSON.name, PERSON.email, '+48603456789', '603456789', '603 456 789'];
const CALLER = '+48604567890';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const RECORDING = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Recordings/REretention01`;
const DAY = 86_400_000;

let redis: PrivateRedis;
let twilioApi: TwilioApiStandIn;
let test: TestGateway;
let app: Express;
/** The gateway's clock; undefined = real time. */
let clock: number | undefined;

beforeAll(async () => {
  [redis, twilioApi] = await Promise.all([startPrivateRedis(), startTwilioApi({ accountSid: ACCOUNT })]);
  test = await startTestGateway(
    {
      http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
      intake: { prefix: 'hezo-retention' },
      twilio: { accountSid: ACCOUNT, authToken: twilioApi.authToken, smsFrom: '', apiBaseUrl: twilioApi.url },
      portal: { apiKeys: { alpha: hashApiKey(PORTAL_KEY) } },
      api: { engineerTokens: { eng: ENGINEER } },
      retention: { closedRequestMonths: 24, recordingDays: 90 },
    },
    { REDIS_URL: redis.url },
    { roles: ['web', 'dispatcher', 'timers', 'notify'], now: () => clock ?? Date.now() },
  );
  app = test.gateway.app as Express;
}, 60_000);
afterAll(async () => {
  await test?.stop();
  await Promise.all([redis?.cleanup(), twilioApi?.close()]);
});

async function stored(number: string): Promise<ServiceRequest> {
  await expect.poll(() => test.gateway.store.get(number), { timeout: 20_000, interval: 50 }).not.toBeNull();
  return (await test.gateway.store.get(number)) as ServiceRequest;
}

const numbers = { portal: '', phone: '' };
let filedAt = 0;

describe('retention', () => {
  it('registers one daily schedule per deployment, whoever registers it', async () => {
    const second = new Maintenance({ connections: test.gateway.connections, redis: test.gateway.redis, store: test.gateway.store, attachments: test.gateway.attachments, prefix: 'hezo-retention', retention: test.gateway.settings.retention, logger: test.gateway.logger });
    await second.start();
    try {
      const schedules = await second.schedules();
      expect(schedules).toEqual([expect.objectContaining({ key: RETENTION_SCHEDULER_ID, pattern: '0 15 3 * * *' })]);
    } finally {
      await second.close();
    }
  }, 60_000);

  it('files a closed portal request with an upload and an open call with a recording', async () => {
    filedAt = Date.now();
    const response = await request(app)
      .post('/api/v1/portal/requests')
      .set('Authorization', `Bearer ${PORTAL_KEY}`)
      .set('Idempotency-Key', randomUUID())
      .send({ reporter: PERSON, contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517', subject: 'Awaria', description: `Kontakt: ${PERSON.name}, ${PERSON.phone}`, language: 'pl' });
    expect(response.status).toBe(202);
    numbers.portal = response.body.requestNumber as string;
    await stored(numbers.portal);
    const upload = await request(app)
      .post(`/api/v1/portal/requests/${numbers.portal}/attachments`)
      .set('Authorization', `Bearer ${PORTAL_KEY}`)
      .attach('files', Buffer.from(`error 0x42; ${PERSON.email}\n`), { filename: 'robot.log', contentType: 'text/plain' });
    expect(upload.status).toBe(202);
    const note = await request(app).post(`/api/v1/requests/${numbers.portal}/notes`).set('Authorization', `Bearer ${ENGINEER}`).send({ text: `Oddzwonić do ${PERSON.name} na ${PERSON.phone}` });
    expect(note.status).toBe(201);
    const closed = await request(app).post(`/api/v1/requests/${numbers.portal}/closed`).set('Authorization', `Bearer ${ENGINEER}`).send({});
    expect(closed.status).toBe(200);

    const call = new TwilioCall(app, { authToken: twilioApi.authToken, publicUrl: PUBLIC_URL, from: CALLER });
    await call.start();
    await call.silence();
    await call.press('999');
    await call.silence();
    await call.press('202600123');
    await call.press('55555');
    await call.record(RECORDING);
    await expect.poll(() => test.gateway.redis.hget(test.gateway.store.keys.source(`call:${call.callSid}`), 'number'), { timeout: 20_000, interval: 50 }).not.toBeNull();
    numbers.phone = (await test.gateway.redis.hget(test.gateway.store.keys.source(`call:${call.callSid}`), 'number')) as string;
    expect((await stored(numbers.phone)).raw.location).toBe(RECORDING);

    // Two mails set aside (as quarantine.ts records them): one now, one a year later.
    const entry = (at: number, uid: number) => JSON.stringify({ mailbox: 'pomoc', uidValidity: '1', uid, reason: 'oversize', detail: 'too large', from: `${PERSON.name} <${PERSON.email}>`, at: new Date(at).toISOString() });
    await test.gateway.redis.rpush('hezo-retention:quarantine', entry(filedAt, 1), entry(filedAt + 365 * DAY, 2));
  }, 60_000);

  it('keeps everything for 89 days, then removes the recording address of a 91-day-old call but keeps its request', async () => {
    clock = filedAt + 89 * DAY;
    const early = await test.gateway.maintenance?.sweep();
    expect(early).toMatchObject({ anonymized: [], recordingsRemoved: [] });

    clock = filedAt + 91 * DAY;
    // Twilio failing: the address is kept, so that the next sweep can still delete the recording.
    twilioApi.failNext(1);
    const failed = await test.gateway.maintenance?.sweep();
    expect(failed).toMatchObject({ recordingsRemoved: [], retryLater: [numbers.phone] });
    expect((await test.gateway.store.get(numbers.phone))?.raw.location).toBe(RECORDING);

    const result = await test.gateway.maintenance?.sweep();
    expect(result?.recordingsRemoved).toEqual([numbers.phone]);
    // Deleted at Twilio before its address was forgotten.
    expect(result?.recordingsDeleted).toBe(1);
    expect(twilioApi.deletedRecordings).toEqual(['REretention01']);
    expect(result?.anonymized).toEqual([]);
    const phone = await test.gateway.store.get(numbers.phone);
    expect(JSON.stringify(phone)).not.toContain('REretention01');
    expect(JSON.stringify(await test.gateway.store.history(numbers.phone))).not.toContain('REretention01');
    expect(phone).toMatchObject({ status: 'needs-info', reporter: { phone: CALLER }, recordingsRemovedAt: new Date(clock).toISOString() });
    expect((await test.gateway.store.history(numbers.phone)).at(-1)).toMatchObject({ type: 'personal-data-removed', actor: 'system', data: { reason: 'recording-retention', recordingsRemoved: 1 } });
    // The closed request is not due yet.
    expect((await test.gateway.store.get(numbers.portal))?.reporter).toEqual(PERSON);
  }, 60_000);

  it('anonymizes a request closed 24 months ago, deletes its attachment, and leaves no trace of its reporter anywhere', async () => {
    clock = filedAt + 730 * DAY - DAY;
    expect((await test.gateway.maintenance?.sweep())?.anonymized).toEqual([]);

    clock = filedAt + 731 * DAY + DAY;
    // Through the queue, as the daily job runs it: the worker of the timers role takes it.
    const queue = new Queue('maintenance', { connection: test.gateway.redis, prefix: 'hezo-retention' });
    try {
      const job = await queue.add('retention', {});
      await expect.poll(() => job.getState(), { timeout: 60_000, interval: 100 }).toBe('completed');
      const done = await queue.getJob(job.id as string);
      expect(done?.returnvalue).toMatchObject({ anonymized: [numbers.portal], attachmentsDeleted: 1, quarantineEntriesDropped: 1, appendOnlyFile: 'rewritten' });
    } finally {
      await queue.close();
    }

    const portal = await test.gateway.store.get(numbers.portal);
    expect(portal).toMatchObject({
      number: numbers.portal,
      status: 'closed',
      channel: 'portal',
      contractNumber: 'HZ-2026-00123',
      serialNumber: 'XLS812-240517',
      reporter: {},
      attachments: [],
      raw: {},
      personalDataRemoved: { reason: 'retention' },
    });
    expect(portal?.subject).toBeUndefined();
    expect(portal?.description).toBeUndefined();
    const history = await test.gateway.store.history(numbers.portal);
    expect(history.find((e) => e.type === 'closed')?.at).toBeTruthy();
    expect(history.at(-1)).toMatchObject({ type: 'personal-data-removed', actor: 'system', source: 'retention', data: { reason: 'retention', attachmentsDeleted: 1 } });
    expect(JSON.stringify(history.at(-1))).not.toMatch(/halina/i);

    // The quarantine entry of a year later is not due yet: it is the one trace left.
    expect(await tracesInRedis(test.gateway.redis, NEEDLES)).toEqual([expect.stringMatching(/^hezo-retention:quarantine: /)]);
    expect((await test.gateway.redis.lrange('hezo-retention:quarantine', 0, -1)).map((line) => (JSON.parse(line) as { uid: number }).uid)).toEqual([2]);
    await test.gateway.redis.del('hezo-retention:quarantine');
    await test.gateway.redis.bgrewriteaof();
    await expect.poll(async () => /aof_rewrite_in_progress:0/.test(await test.gateway.redis.info('persistence')) && /aof_rewrite_scheduled:0/.test(await test.gateway.redis.info('persistence')), { timeout: 30_000 }).toBe(true);
    expect(tracesInFiles([path.join(test.root, 'var'), redis.server.dir], NEEDLES)).toEqual([]);
    // The open call keeps its caller (only its recording went).
    expect((await test.gateway.store.get(numbers.phone))?.reporter.phone).toBe(CALLER);

    // Done once: the next day's sweep changes nothing.
    clock += DAY;
    expect(await test.gateway.maintenance?.sweep()).toMatchObject({ anonymized: [], recordingsRemoved: [], appendOnlyFile: 'not needed' });
  }, 120_000);
});
