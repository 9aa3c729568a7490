/**
 * A data subject's export and erasure on a whole running gateway, with every channel real: a
 * portal request with an upload, a mail through Dovecot (acknowledged through the SMTP
 * capture), a call through the IVR with a recording (webhooks signed as Twilio signs them).
 * Afterwards every key of the Redis (every type, BullMQ's jobs and event streams included) and
 * every file under the gateway's var/ and the Redis folder (its append-only files included) is
 * searched for the person's e-mail, phone and name — and must hold none, while another
 * person's request is left whole.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hashApiKey } from '../../src/channels/portal/api-keys.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { buildMail } from '../support/mail-gateway.js';
import { startPrivateDovecot, type PrivateDovecot } from '../support/dovecot.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { keyCount, tracesInFiles, tracesInRedis } from '../support/trace-scan.js';
import { TwilioCall } from '../support/twilio-call.js';
import { startTwilioApi, type TwilioApiStandIn } from '../support/twilio-api.js';

const PUBLIC_URL = 'https://intake.example.pl';
const PORTAL_KEY = 'portal-privacy-key-0123456789abcdef';
const ENGINEER = 'engineer-privacy-token-0123456789';
const ADMIN = 'admin-privacy-token-0123456789abcdefghijkl';
const PERSON = { name: 'Zofia Wiśniewska', email: 'Zofia.Wisniewska@example.pl', phone: '+48 601 234 567' };
/** Every spelling of the person that must be gone. */
const NEEDLES = [PERSON.name, PERSON.email, '+48601234567', '601234567', '601 234 567', 'Wiśniewska'];
const OTHER = { name: 'Piotr Zieliński', email: 'piotr.zielinski@example.pl' };
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const RECORDING = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT}/Recordings/REprivacy0001`;

let redis: PrivateRedis;
let dovecot: PrivateDovecot;
let smtp: TestSmtpServer;
let twilioApi: TwilioApiStandIn;
let test: TestGateway;
let app: Express;
const numbers: Record<'portal' | 'mail' | 'phone' | 'other', string> = { portal: '', mail: '', phone: '', other: '' };

beforeAll(async () => {
  [redis, dovecot, smtp, twilioApi] = await Promise.all([startPrivateRedis(), startPrivateDovecot(), startSmtpServer(), startTwilioApi({ accountSid: ACCOUNT })]);
  const imap = { host: dovecot.host, port: dovecot.port, secure: false, user: 'pomoc-privacy', password: dovecot.password, rejectUnauthorized: false };
  test = await startTestGateway(
    {
      http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
      intake: { prefix: 'hezo-privacy' },
      twilio: { accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, smsFrom: '+48122525600', apiBaseUrl: twilioApi.url },
      mail: { from: 'myHEZO Pomoc <pomoc@myhezo.pl>', messageIdDomain: 'intake.myhezo.pl', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false } },
      mailboxes: { list: [{ name: 'pomoc', address: 'pomoc@myhezo.pl', kind: 'service', imap, processedFolder: 'Processed', quarantineFolder: 'Quarantine' }] },
      notify: { attempts: 5, backoffMs: 100, maxBackoffMs: 500, ackPerSenderPerHour: 1000 },
      portal: { apiKeys: { alpha: hashApiKey(PORTAL_KEY) } },
      api: { engineerTokens: { eng: ENGINEER }, adminTokens: { dpo: ADMIN } },
    },
    { REDIS_URL: redis.url },
  );
  app = test.gateway.app as Express;
}, 120_000);

afterAll(async () => {
  await test?.stop();
  await Promise.all([redis?.cleanup(), dovecot?.cleanup(), smtp?.stop(), twilioApi?.close()]);
});

async function stored(number: string): Promise<ServiceRequest> {
  return vi.waitFor(
    async () => {
      const found = await test.gateway.store.get(number);
      if (!found) throw new Error(`${number} not stored yet`);
      return found;
    },
    { timeout: 20_000, interval: 50 },
  );
}

async function filePortal(reporter: Record<string, string>, description: string): Promise<string> {
  const response = await request(app)
    .post('/api/v1/portal/requests')
    .set('Authorization', `Bearer ${PORTAL_KEY}`)
    .set('Idempotency-Key', randomUUID())
    .send({ reporter, contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517', subject: 'Awaria biblioteki', description, language: 'pl' });
  expect(response.status).toBe(202);
  const number = response.body.requestNumber as string;
  await stored(number);
  return number;
}

const admin = { Authorization: `Bearer ${ADMIN}` };

describe('a data subject on every channel', () => {
  it('files the person by portal (with an upload), mail and phone, and another person by portal', async () => {
    numbers.portal = await filePortal(PERSON, `Proszę o kontakt: ${PERSON.name}, tel. 601 234 567.`);
    const upload = await request(app)
      .post(`/api/v1/portal/requests/${numbers.portal}/attachments`)
      .set('Authorization', `Bearer ${PORTAL_KEY}`)
      .attach('files', Buffer.from(`robot error 0x42, operator ${PERSON.name} ${PERSON.email}\n`), { filename: 'robot.log', contentType: 'text/plain' });
    expect(upload.status).toBe(202);

    const mail = buildMail({ from: `${PERSON.name} <${PERSON.email}>`, subject: 'Awaria XLS812-240517', body: `Umowa HZ-2026-00123, S/N XLS812-240517.\nPozdrawiam, ${PERSON.name}\ntel. ${PERSON.phone}` });
    await dovecot.append('pomoc-privacy', mail.raw);
    numbers.mail = await vi.waitFor(
      async () => {
        const number = await test.gateway.redis.hget(test.gateway.store.keys.source(`mail:${mail.messageId.slice(1, -1).toLowerCase()}`), 'number');
        if (!number) throw new Error('mail not filed yet');
        return number;
      },
      { timeout: 30_000, interval: 100 },
    );
    await stored(numbers.mail);

    const call = new TwilioCall(app, { authToken: twilioApi.authToken, publicUrl: PUBLIC_URL, from: '+48601234567' });
    await call.start();
    await call.silence();
    await call.press('999');
    await call.silence();
    await call.press('202600123');
    await call.press('55555');
    await call.record(RECORDING);
    numbers.phone = await vi.waitFor(
      async () => {
        const number = await test.gateway.redis.hget(test.gateway.store.keys.source(`call:${call.callSid}`), 'number');
        if (!number) throw new Error('call not filed yet');
        return number;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect((await stored(numbers.phone)).raw.location).toBe(RECORDING);

    numbers.other = await filePortal(OTHER, 'Drugi zgłaszający.');
    // A mail of theirs set aside (as quarantine.ts records it) and a call draft the spool could
    // not file (moved aside as .rejected for a human).
    await test.gateway.redis.rpush('hezo-privacy:quarantine', JSON.stringify({ mailbox: 'pomoc', uidValidity: '1', uid: 99, reason: 'oversize', detail: 'too large', messageId: '<q1@example.pl>', from: `${PERSON.name} <${PERSON.email}>`, at: new Date().toISOString() }));
    mkdirSync(path.join(test.root, 'var', 'phone-spool'), { recursive: true });
    writeFileSync(path.join(test.root, 'var', 'phone-spool', 'deadbeef.json.rejected'), JSON.stringify({ channel: 'phone', sourceKey: 'call:CAold', reporter: { phone: '+48601234567' } }));
    // The mail's acknowledgment went out through the notify queue (a job holding the address).
    await vi.waitFor(() => expect(smtp.messages.some((m) => m.envelope.to.includes(PERSON.email.toLowerCase()) || m.envelope.to.includes(PERSON.email))).toBe(true), { timeout: 30_000, interval: 100 });
    // Before erasure the scan finds the person: it does look where the traces are.
    expect((await tracesInRedis(test.gateway.redis, NEEDLES)).length).toBeGreaterThan(5);
  }, 120_000);

  it('exports everything held about them by e-mail through the admin API, and refuses engineers', async () => {
    const refused = await request(app).get('/api/v1/privacy/export').query({ email: PERSON.email }).set('Authorization', `Bearer ${ENGINEER}`);
    expect(refused.status).toBe(401);
    const invalid = await request(app).get('/api/v1/privacy/export').query({ email: PERSON.email, phone: PERSON.phone }).set(admin);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('INPUT_INVALID');

    const response = await request(app).get('/api/v1/privacy/export').query({ email: PERSON.email.toUpperCase() }).set(admin);
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const exported = response.body;
    const byNumber = new Map((exported.requests as Array<{ role: string; request: ServiceRequest }>).map((r) => [r.request.number, r]));
    expect(byNumber.get(numbers.portal)?.role).toBe('reporter');
    expect(byNumber.get(numbers.mail)?.role).toBe('reporter');
    expect(byNumber.get(numbers.portal)?.request.description).toContain('Proszę o kontakt');
    expect(byNumber.has(numbers.other)).toBe(false);
    expect(exported.attachments).toEqual([expect.objectContaining({ requestNumber: numbers.portal, name: 'robot.log', storedOnDisk: true })]);
    // The acknowledgment sent to them is a job that names them.
    expect(exported.queuedJobs.some((job: { queue: string }) => job.queue === 'notify')).toBe(true);

    const byPhone = await request(app).get('/api/v1/privacy/export').query({ phone: '601-234-567' }).set(admin);
    expect(byPhone.status).toBe(200);
    expect(byPhone.body.subject).toEqual({ phone: '+48601234567' });
    expect(byPhone.body.requests.map((r: { request: ServiceRequest }) => r.request.number).sort()).toEqual([numbers.portal, numbers.mail, numbers.phone].sort());
    expect(byPhone.body.recordings).toEqual([{ requestNumber: numbers.phone, url: RECORDING }]);
    expect(byPhone.body.spooledCalls).toEqual([expect.objectContaining({ sourceKey: 'call:CAold' })]);
    expect(exported.quarantinedMail).toEqual([expect.objectContaining({ reason: 'oversize', from: `${PERSON.name} <${PERSON.email}>` })]);
  }, 60_000);

  it('refuses to erase while their requests are open, and changes nothing', async () => {
    const before = await test.gateway.store.get(numbers.portal);
    const response = await request(app).post('/api/v1/privacy/erase').set(admin).send({ email: PERSON.email });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('OPEN_REQUESTS_HELD');
    expect(response.body.error.message).toContain(numbers.portal);
    expect(await test.gateway.store.get(numbers.portal)).toEqual(before);
  }, 60_000);

  it('erases them everywhere once closed — by e-mail through the API, by phone forced — and leaves no trace in Redis or on disk', async () => {
    for (const number of [numbers.portal, numbers.mail]) {
      const closed = await request(app).post(`/api/v1/requests/${number}/closed`).set('Authorization', `Bearer ${ENGINEER}`).send({});
      expect(closed.status).toBe(200);
    }
    const byEmail = await request(app).post('/api/v1/privacy/erase').set(admin).send({ email: PERSON.email });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.requests.map((r: { number: string }) => r.number).sort()).toEqual([numbers.portal, numbers.mail].sort());
    expect(byEmail.body.attachmentsDeleted).toBe(1);
    expect(byEmail.body.appendOnlyFile).toBe('rewritten');
    expect(byEmail.body.leftover).toBe(0);
    expect(JSON.stringify(byEmail.body).toLowerCase()).not.toContain('wiśniewska');

    // The call is still open (needs-info): forced.
    const byPhone = await request(app).post('/api/v1/privacy/erase').set(admin).send({ phone: PERSON.phone, force: true });
    expect(byPhone.status).toBe(200);
    expect(byPhone.body.requests.map((r: { number: string }) => r.number)).toContain(numbers.phone);
    expect(byPhone.body.spoolFilesDeleted).toBe(1);
    // The recording itself is deleted at Twilio, not only its address here.
    expect(byPhone.body.recordingsDeleted).toBe(1);
    expect(twilioApi.deletedRecordings).toEqual(['REprivacy0001']);
    expect(existsSync(path.join(test.root, 'var', 'phone-spool', 'deadbeef.json.rejected'))).toBe(false);
    // The quarantine entry keeps why and when, not whose.
    const quarantine = (await test.gateway.redis.lrange('hezo-privacy:quarantine', 0, -1)).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(quarantine).toEqual([expect.objectContaining({ reason: 'oversize', uid: 99 })]);
    expect(quarantine[0]?.from).toBeUndefined();

    const redisTraces = await tracesInRedis(test.gateway.redis, NEEDLES);
    expect(redisTraces).toEqual([]);
    expect(await keyCount(test.gateway.redis)).toBeGreaterThan(20);
    const fileTraces = tracesInFiles([path.join(test.root, 'var'), redis.server.dir], NEEDLES);
    expect(fileTraces).toEqual([]);

    // What the SLA statistics need stays, with the erasure recorded and no one named.
    const portal = await test.gateway.store.get(numbers.portal);
    expect(portal).toMatchObject({ number: numbers.portal, status: 'closed', channel: 'portal', contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517', reporter: {}, attachments: [], personalDataRemoved: { reason: 'erasure' } });
    expect(portal?.sentAt).toBeTruthy();
    expect(portal?.stampedAt).toBeTruthy();
    const history = await test.gateway.store.history(numbers.portal);
    expect(history.map((e) => e.type)).toEqual(expect.arrayContaining(['filed', 'closed', 'personal-data-removed']));
    expect(history.at(-1)).toMatchObject({ type: 'personal-data-removed', actor: 'admin:dpo', data: { reason: 'erasure', attachmentsDeleted: 1 } });
    const phone = await test.gateway.store.get(numbers.phone);
    expect(phone).toMatchObject({ channel: 'phone', contractNumber: 'HZ-2026-00123', reporter: {}, raw: {} });

    // The other person is untouched.
    const other = await test.gateway.store.get(numbers.other);
    expect(other?.reporter).toEqual(OTHER);
    expect(await tracesInRedis(test.gateway.redis, [OTHER.email])).not.toEqual([]);
    // The audit list says who erased what, not whom.
    const audit = await test.gateway.redis.lrange('hezo-privacy:privacy:audit', 0, -1);
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[0] as string)).toMatchObject({ type: 'erasure', actor: 'admin:dpo', requests: expect.arrayContaining([numbers.portal]) });
  }, 120_000);
});
