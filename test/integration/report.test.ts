/**
 * The SLA report end to end on a private Redis: requests filed through submit() and stamped by
 * the dispatcher, a first response recorded over the engineer API, then the report over the
 * API (JSON and CSV) and the CLI (`report sla --month 2026-11`), which reads the same Redis.
 */
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import type { IntakeDraft } from '../../src/domain/request.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const TOKEN = 'report-engineer-token-0123456789abcdef';
const NOW = Date.parse('2026-12-01T08:00:00Z');
let redis: PrivateRedis;
let test: TestGateway;
let breachedNumber = '';
const auth = { Authorization: `Bearer ${TOKEN}` };

function draft(sourceKey: string, sentAt: string, overrides: Partial<IntakeDraft> = {}): IntakeDraft {
  return {
    channel: 'email',
    kind: 'service',
    sourceKey,
    sentAt,
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria',
    language: 'pl',
    ...overrides,
  };
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway({ api: { engineerTokens: { tester: TOKEN } } }, { REDIS_URL: redis.url }, { now: () => NOW });
  const { intake, store } = test.gateway;
  // Met: sent Tue 3 Nov 10:15 Warsaw on the 24x7 contract, answered 30 minutes later.
  const met = await intake.submit(draft('report:met', '2026-11-03T09:15:00.000Z'));
  // Breached: sent 10 Nov, never answered, its deadline long past.
  breachedNumber = (await intake.submit(draft('report:breached', '2026-11-10T10:00:00.000Z', { channel: 'portal' }))).requestNumber;
  // No clock: neither serial nor contract.
  await intake.submit(draft('report:no-clock', '2026-11-12T10:00:00.000Z', { contractNumber: undefined, serialNumber: undefined, reporter: { email: 'ktos@example.com' } }));
  // Outside the month: sent 1 Dec.
  await intake.submit(draft('report:december', '2026-12-01T07:00:00.000Z'));
  await vi.waitFor(async () => expect(await store.get(met.requestNumber)).not.toBeNull(), { timeout: 30_000 });
  await vi.waitFor(async () => expect((await store.listOpen({ limit: 100 })).length).toBe(4), { timeout: 30_000 });
  await request(test.gateway.url).post(`/api/v1/requests/${met.requestNumber}/contacted`).set(auth).send({ at: '2026-11-03T09:45:00.000Z' }).expect(200);
}, 120_000);

afterAll(async () => {
  await test?.stop();
  await redis?.cleanup();
}, 60_000);

describe('the SLA report over HTTP and the CLI', () => {
  it('answers JSON with the month’s figures', async () => {
    const res = await request(test.gateway.url).get('/api/v1/reports/sla?from=2026-11-01&to=2026-11-30').set(auth);
    expect(res.status).toBe(200);
    expect(res.body.timeZone).toBe('Europe/Warsaw');
    expect(res.body.total.requests).toBe(3);
    expect(res.body.total.byChannel).toEqual({ phone: 0, email: 2, portal: 1 });
    expect(res.body.total.firstResponse).toEqual({ met: 1, breached: 1, pending: 0, metRate: 0.5, withoutClock: 1, windowMinutes: { count: 1, median: 30, p90: 30, max: 30 } });
    const wawel = res.body.groups.find((g: { contractNumber: string }) => g.contractNumber === 'HZ-2026-00123');
    expect(wawel.figures.requests).toBe(2);
  });

  it('answers CSV with a row per customer and contract and the total', async () => {
    const res = await request(test.gateway.url).get('/api/v1/reports/sla?from=2026-11-01&to=2026-11-30&contract=HZ-2026-00123&format=csv').set(auth);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain('sla-2026-11-01-2026-11-30-HZ-2026-00123.csv');
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]?.split(',').slice(0, 3)).toEqual(['TOTAL', 'HZ-2026-00123', '2']);
  });

  it('refuses a bad period with INPUT_INVALID naming the field, and asks for a token', async () => {
    const reversed = await request(test.gateway.url).get('/api/v1/reports/sla?from=2026-11-30&to=2026-11-01').set(auth);
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.code).toBe('INPUT_INVALID');
    expect(reversed.body.error.details).toEqual([{ path: 'to', message: 'not before 2026-11-30' }]);
    const badDate = await request(test.gateway.url).get('/api/v1/reports/sla?from=2026-02-30&to=2026-03-01').set(auth);
    expect(badDate.status).toBe(400);
    expect(badDate.body.error.details[0].path).toBe('from');
    expect((await request(test.gateway.url).get('/api/v1/reports/sla?from=2026-11-01&to=2026-11-30')).status).toBe(401);
  });

  it('reads a request changed since the last report afresh (its kept facts are of an older version)', async () => {
    const api = request(test.gateway.url);
    const before = await api.get('/api/v1/reports/sla?from=2026-11-01&to=2026-11-30').set(auth);
    expect(before.body.total.firstResponse.windowMinutes.count).toBe(1);
    // Answered a day late: still breached, but now with its window-minutes (24x7: 1440 + 60 - 60).
    await api.post(`/api/v1/requests/${breachedNumber}/contacted`).set(auth).send({ at: '2026-11-11T10:00:00.000Z' }).expect(200);
    const after = await api.get('/api/v1/reports/sla?from=2026-11-01&to=2026-11-30').set(auth);
    expect(after.body.total.firstResponse).toMatchObject({ met: 1, breached: 1, windowMinutes: { count: 2, median: 30, p90: 1440, max: 1440 } });
  });

  it('prints the same report from the CLI, reading REDIS_URL', async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = redis.url;
    try {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await main(['report', 'sla', '--month', '2026-11', '--format', 'csv'], { stdout, stderr, stdin: new PassThrough() });
      expect(err).toBe('');
      expect(code).toBe(0);
      const total = out.trimEnd().split('\r\n').at(-1)?.split(',');
      expect(total?.slice(0, 3)).toEqual(['TOTAL', '', '3']);
      const usage = await main(['report', 'sla', '--month', '2026-13'], { stdout, stderr, stdin: new PassThrough() });
      expect(usage).toBe(2);
      expect(err).toContain('--month must be YYYY-MM');
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  }, 60_000);
});
