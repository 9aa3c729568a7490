/**
 * System care and renewals on real servers: two gateways sharing one private Redis (and one of
 * them restarted) file each due inspection once; an engineer records the checklist over the
 * API and closes it; the representatives, engineers and sales get each mail once (real SMTP).
 * The gateways' clock is fixed, so the day of each sweep is chosen by the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServiceRequest } from '../../src/domain/request.js';
import { CARE_QUEUE } from '../../src/inspections/care-scheduler.js';
import { NOTIFY_QUEUE } from '../../src/notify/notifier.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const TOKEN = 'care-engineer-token-0123456789abcdef';
const PREFIX = 'care-test';
const WAIT = { timeout: 60_000, interval: 100 };
/** Fri 2026-12-04 09:00 Warsaw. */
let nowMs = Date.parse('2026-12-04T08:00:00Z');

const rep = (name: string, email: string, phone: string) => ({ name, email, phone });
const REGISTRY = {
  version: 1,
  contracts: [
    {
      // D1 was last inspected 2025-12-20: due 2026-12-20, filed from 2026-11-20. D2 not due before 2027-06-01.
      number: 'HZ-2026-00800', customer: 'Huta Testowa S.A.', package: 'AHB', window: '8x5', validFrom: '2026-01-01', validTo: '2099-12-31', systemCare: true,
      devices: [{ serial: 'D1-0001', model: 'Qualstar Q48', lastInspection: '2025-12-20' }, { serial: 'D2-0002', model: 'Qualstar Q80', lastInspection: '2026-06-01' }],
      representatives: [rep('Ewa Kowal', 'ewa.kowal@example.pl', '+48 600 700 800')],
    },
    {
      // D3 was due Tue 2026-12-01 17:00 and is overdue; this customer opted out of inspection mails.
      number: 'HZ-2026-00801', customer: 'Cukrownia Testowa', package: 'AHB', window: '8x5', validFrom: '2026-01-01', validTo: '2099-12-31', systemCare: true, inspectionMails: false,
      devices: [{ serial: 'D3-0003', model: 'Qualstar Q24', lastInspection: '2025-12-01' }],
      representatives: [rep('Olga Nowa', 'olga.nowa@example.pl', '+48 600 700 801')],
    },
    {
      // Ends in 26 days (the 30-day reminder is owed), representatives opted in.
      number: 'HZ-2026-00802', customer: 'Browar Testowy', package: 'AHB', window: '24x7', validFrom: '2026-01-01', validTo: '2026-12-30', renewalReminders: true,
      devices: [{ serial: 'D4-0004', model: 'Qualstar Q24' }],
      representatives: [rep('Rafał Piwo', 'rafal.piwo@example.pl', '+48 600 700 802')],
    },
    {
      // Ends in 47 days (the 60-day reminder), sales only.
      number: 'HZ-2026-00803', customer: 'Młyn Testowy', package: 'AHB', window: '8x5', validFrom: '2026-01-01', validTo: '2027-01-20',
      devices: [{ serial: 'D5-0005', model: 'Qualstar Q24' }],
      representatives: [rep('Jan Mąka', 'jan.maka@example.pl', '+48 600 700 803')],
    },
  ],
};

let redis: PrivateRedis;
let smtp: TestSmtpServer;
let dir: string;
let a: TestGateway;
let b: TestGateway;
let client: Redis;
let notify: Queue;
let care: Queue;

function start(): Promise<TestGateway> {
  return startTestGateway(
    {
      contracts: { file: path.join(dir, 'contracts.json') },
      intake: { prefix: PREFIX, dispatchAttempts: 10, dispatchConcurrency: 4, lockDurationMs: 30_000, stalledIntervalMs: 15_000 },
      alerts: { warnMinutesBefore: [30], webhookUrl: '', webhookTimeoutMs: 2000, engineerEmails: ['serwis@myhezo.pl'], escalationManagerEmails: ['manager@myhezo.pl'] },
      mail: { from: 'myHEZO Pomoc <pomoc@myhezo.pl>', messageIdDomain: 'intake.myhezo.pl', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false } },
      notify: { attempts: 20, backoffMs: 200, maxBackoffMs: 1000, ackPerSenderPerHour: 1000 },
      renewals: { salesEmails: ['sprzedaz@myhezo.pl'], reminderDays: [60, 30, 7] },
      api: { engineerTokens: { tester: TOKEN } },
    },
    { REDIS_URL: redis.url },
    { now: () => nowMs },
  );
}

beforeAll(async () => {
  [redis, smtp] = await Promise.all([startPrivateRedis(), startSmtpServer()]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-care-'));
  writeFileSync(path.join(dir, 'contracts.json'), JSON.stringify(REGISTRY, null, 2));
  // Two processes' worth of gateway at once: both sweep at start, on the same Redis.
  [a, b] = await Promise.all([start(), start()]);
  client = new Redis(redis.url);
  notify = new Queue(NOTIFY_QUEUE, { connection: { url: redis.url }, prefix: PREFIX });
  care = new Queue(CARE_QUEUE, { connection: { url: redis.url }, prefix: PREFIX });
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([notify?.close(), care?.close()]);
  client?.disconnect();
  await Promise.all([redis?.cleanup(), smtp?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function inspections(): Promise<ServiceRequest[]> {
  const open = await a.gateway.store.listOpen({ channel: 'schedule', limit: 1000 });
  return open.filter((r) => r.kind === 'inspection').sort((x, y) => (x.device?.serial ?? '').localeCompare(y.device?.serial ?? ''));
}

/** Every queued mail delivered: nothing waiting, delayed or running in the notify queue. */
async function mailsSettled(): Promise<void> {
  await vi.waitFor(async () => {
    const counts = await notify.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBe(0);
  }, WAIT);
}

function mailsTo(address: string, subjectPart: string): string[] {
  return smtp.messages.filter((m) => m.envelope.to.includes(address) && m.subject.includes(subjectPart)).map((m) => m.subject);
}

describe('yearly inspections and renewal reminders', () => {
  it('files each due inspection once, from two gateways and after a restart, with one daily schedule in Redis', async () => {
    const filed = await vi.waitFor(async () => {
      const list = await inspections();
      expect(list.map((r) => r.device?.serial)).toEqual(['D1-0001', 'D3-0003']);
      return list;
    }, WAIT);
    expect(filed.map((r) => [r.channel, r.status, r.inspection?.dueDate, r.responseDeadline])).toEqual([
      ['schedule', 'accepted', '2026-12-20', undefined],
      ['schedule', 'accepted', '2026-12-01', undefined],
    ]);
    // Due at 17:00 Warsaw on the due date, or the business day before: Sun 2026-12-20 → Fri 12-18.
    expect(filed[0]?.inspection?.dueAt).toBe('2026-12-18T16:00:00.000Z');

    // Both sweep again, at once, and one restarts and sweeps at start: still one request each.
    await Promise.all([a.gateway.care.sweep(nowMs), b.gateway.care.sweep(nowMs)]);
    await a.stop();
    a = await start();
    await a.gateway.care.sweep(nowMs);
    expect((await inspections()).map((r) => r.number)).toEqual(filed.map((r) => r.number));
    expect(await client.keys(`${PREFIX}:source:*`)).toHaveLength(2);
    expect((await care.getJobSchedulers()).map((s) => s.key)).toEqual(['care-daily-sweep']);
  }, 180_000);

  it('asks the representatives to agree a date once (not those who opted out) and alerts engineers about an overdue one once, then weekly', async () => {
    await mailsSettled();
    const [d1, d3] = await inspections();
    expect(mailsTo('ewa.kowal@example.pl', 'Przegląd roczny')).toEqual([
      `[${d1?.number}] Przegląd roczny Qualstar Q48 D1-0001 — prosimy o uzgodnienie terminu / Yearly inspection: please agree a date`,
    ]);
    expect(smtp.messages.filter((m) => m.envelope.to.includes('olga.nowa@example.pl'))).toEqual([]);
    expect(mailsTo('serwis@myhezo.pl', 'Przegląd po terminie')).toEqual([`[${d3?.number}] Przegląd po terminie: Qualstar Q24 D3-0003, Cukrownia Testowa`]);

    // Five days on (a week after the due time): the second alert, and only that.
    nowMs = Date.parse('2026-12-09T08:00:00Z');
    await Promise.all([a.gateway.care.sweep(nowMs), b.gateway.care.sweep(nowMs)]);
    await mailsSettled();
    expect(mailsTo('serwis@myhezo.pl', 'Przegląd po terminie')).toHaveLength(2);
    expect(mailsTo('serwis@myhezo.pl', 'Przegląd po terminie')[1]).toContain('(tydzień 2)');
    expect(mailsTo('ewa.kowal@example.pl', 'Przegląd roczny')).toHaveLength(1);
  }, 120_000);

  it('records the checklist over the API, refuses to close before the first three items, and counts the next one from the closing', async () => {
    const [d1] = await inspections();
    const number = d1?.number ?? '';
    const api = request(a.gateway.url);
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const logs = await api.post(`/api/v1/requests/${number}/inspection`).set(auth).send({ item: 'logs', errorsFound: true, note: 'Dwa błędy napędu 2026-10, ustąpiły po czyszczeniu.' });
    expect(logs.status).toBe(201);
    expect(logs.body.missing).toEqual(['firmware', 'operation']);
    expect((await api.post(`/api/v1/requests/${number}/inspection`).set(auth).send({ item: 'firmware', found: '' })).status).toBe(400);

    const refused = await api.post(`/api/v1/requests/${number}/closed`).set(auth).send({});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CHECKLIST_INCOMPLETE');
    expect(refused.body.error.details.map((d: { path: string }) => d.path)).toEqual(['checklist.firmware', 'checklist.operation']);

    await api.post(`/api/v1/requests/${number}/inspection`).set(auth).send({ item: 'firmware', found: '3.2.1', installed: '3.4.0' }).expect(201);
    await api.post(`/api/v1/requests/${number}/inspection`).set(auth).send({ item: 'operation', working: true }).expect(201);
    const closed = await api.post(`/api/v1/requests/${number}/closed`).set(auth).send({});
    expect(closed.status).toBe(200);
    expect(closed.body.request.inspection.doneOn).toBe('2026-12-09');
    expect(await client.hget(`${PREFIX}:care-records:inspections-done`, 'D10001')).toBe('2026-12-09');

    await mailsSettled();
    const record = smtp.messages.filter((m) => m.envelope.to.includes('ewa.kowal@example.pl') && m.subject.includes('Protokół przeglądu'));
    expect(record).toHaveLength(1);
    expect(record[0]?.text).toContain('zastana 3.2.1, zainstalowana 3.4.0');
    expect(record[0]?.text).toContain('Testy robocze (w miarę możliwości): nie odnotowano');

    // The next one is due 2027-12-09, filed from 2027-11-09 — not before.
    nowMs = Date.parse('2027-11-08T08:00:00Z');
    await a.gateway.care.sweep(nowMs);
    nowMs = Date.parse('2027-11-09T08:00:00Z');
    await a.gateway.care.sweep(nowMs);
    const d1Requests = await vi.waitFor(async () => {
      const list = (await inspections()).filter((r) => r.device?.serial === 'D1-0001');
      expect(list).toHaveLength(1);
      return list;
    }, WAIT);
    expect(d1Requests[0]?.inspection?.dueDate).toBe('2027-12-09');
    expect(d1Requests[0]?.inspection?.basis).toBe('last inspection 2026-12-09 (recorded)');
  }, 120_000);

  it('sent each renewal reminder once: to sales, and to representatives who opted in', async () => {
    await mailsSettled();
    expect(mailsTo('sprzedaz@myhezo.pl', 'HZ-2026-00802')).toEqual(['Umowa HZ-2026-00802 kończy się 2026-12-30 (za 26 dni) / Contract ends in 26 days']);
    expect(mailsTo('sprzedaz@myhezo.pl', 'HZ-2026-00803')).toEqual(['Umowa HZ-2026-00803 kończy się 2027-01-20 (za 47 dni) / Contract ends in 47 days']);
    expect(mailsTo('rafal.piwo@example.pl', 'HZ-2026-00802')).toHaveLength(1);
    expect(mailsTo('jan.maka@example.pl', 'HZ-2026-00803')).toEqual([]);
  }, 60_000);
});
