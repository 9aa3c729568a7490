/**
 * Inspection filing across real processes: two `hezo-intake serve` processes on one private
 * Redis both sweep at start and file one request for the due device; one is killed with -9 and
 * a new one starts and sweeps again: still one request, one source record, one daily schedule.
 * The processes run on the real clock, so the device's last inspection is set relative to today.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { warsawDate } from '../../src/domain/deadlines.js';
import { addDays, addYear } from '../../src/domain/inspections.js';
import { CARE_QUEUE } from '../../src/inspections/care-scheduler.js';
import { RequestStore } from '../../src/store/request-store.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startServeProcess, type ServeProcess } from '../support/serve-child.js';

const PREFIX = 'care-procs';
// Due in 10 days: inside the 30-day lead, whatever day the test runs.
const lastInspection = DateTime.fromISO(addDays(warsawDate(Date.now()), 10)).minus({ months: 12 }).toISODate() ?? '';
const dueDate = addYear(lastInspection);

let redis: PrivateRedis;
let dir: string;
let client: Redis;
const processes: ServeProcess[] = [];

function start(): Promise<ServeProcess> {
  return startServeProcess(
    { contracts: { file: path.join(dir, 'contracts.json') }, intake: { prefix: PREFIX, dispatchAttempts: 10, dispatchConcurrency: 4, lockDurationMs: 30_000, stalledIntervalMs: 15_000 } },
    { REDIS_URL: redis.url, LOG_LEVEL: 'warn' },
  ).then((serve) => {
    processes.push(serve);
    return serve;
  });
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-care-procs-'));
  writeFileSync(
    path.join(dir, 'contracts.json'),
    JSON.stringify({
      version: 1,
      contracts: [
        {
          number: 'HZ-2026-00900', customer: 'Huta Procesowa S.A.', package: 'AHB', window: '8x5', validFrom: '2020-01-01', validTo: '2099-12-31', systemCare: true,
          devices: [{ serial: 'P1-0001', model: 'Qualstar Q48', lastInspection }, { serial: 'P2-0002', model: 'Qualstar Q48', lastInspection: warsawDate(Date.now()) }],
          representatives: [{ name: 'Iga Proces', email: 'iga.proces@example.pl', phone: '+48 600 700 900' }],
        },
      ],
    }),
  );
  client = new Redis(redis.url);
}, 60_000);

afterAll(async () => {
  for (const serve of processes) await serve.cleanup();
  client?.disconnect();
  await redis?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function inspections(): Promise<string[]> {
  const store = new RequestStore(client, PREFIX);
  const open = await store.listOpen({ channel: 'schedule', limit: 100 });
  return open.map((request) => `${request.device?.serial} ${request.inspection?.dueDate}`);
}

describe('inspection filing across processes', () => {
  it('files the due device once from two processes, and again once after one is killed and another starts', async () => {
    const [a] = await Promise.all([start(), start()]);
    await Promise.all(processes.map((serve) => serve.listening(120_000)));
    await vi.waitFor(async () => expect(await inspections()).toEqual([`P1-0001 ${dueDate}`]), { timeout: 60_000, interval: 200 });

    a?.child.kill('SIGKILL');
    await a?.exited;
    const c = await start();
    // `serve` prints that it listens after its start-up sweep (main.ts starts the care scheduler first).
    await c.listening(120_000);
    expect(await inspections()).toEqual([`P1-0001 ${dueDate}`]);
    expect(await client.keys(`${PREFIX}:source:*`)).toHaveLength(1);
    const care = new Queue(CARE_QUEUE, { connection: { url: redis.url }, prefix: PREFIX });
    try {
      expect((await care.getJobSchedulers()).map((scheduler) => scheduler.key)).toEqual(['care-daily-sweep']);
    } finally {
      await care.close();
    }
  }, 300_000);
});
