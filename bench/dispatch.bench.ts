/**
 * Dispatch throughput: drafts submitted → stamped and stored (with their timers scheduled),
 * in requests/s, with one and with two dispatcher processes, beside a same-run baseline of
 * bare BullMQ add + process of the same payload. Goal: ≥ 1,000/s and ≥ 0.5 of the baseline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { IntakeDraft } from '../src/domain/request.js';
import { IntakeService } from '../src/intake/submit.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';

const TOTAL = Number(process.env.BENCH_DISPATCH_TOTAL ?? 5000);
const IN_FLIGHT = 64;
/** Jobs one worker process runs at once, the same for the baseline and the dispatcher. */
const CONCURRENCY = Number(process.env.BENCH_DISPATCH_CONCURRENCY ?? 16);

function draft(i: number): IntakeDraft {
  return {
    channel: 'portal',
    kind: 'service',
    sourceKey: `portal:bench:${i}:${randomUUID()}`,
    sentAt: new Date().toISOString(),
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki taśmowej',
    description: 'Robot nie chwyta taśmy, błąd 0x42 w logu.',
    language: 'pl',
    silent: true,
  };
}

async function inParallel(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function baseline(url: string): Promise<number> {
  const prefix = `bare${Date.now()}`;
  const queue = new Queue('bare', { connection: { url }, prefix });
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker('bare', async (job) => job.data, { connection: { url, maxRetriesPerRequest: null }, prefix, concurrency: CONCURRENCY });
  worker.on('completed', () => {
    done += 1;
    if (done === TOTAL) finished();
  });
  await worker.waitUntilReady();
  const started = performance.now();
  await inParallel(TOTAL, (i) => queue.add('bare', { draft: draft(i) }, { jobId: `bare-${i}`, removeOnComplete: true }));
  await allDone;
  const rate = TOTAL / ((performance.now() - started) / 1000);
  await worker.close();
  await queue.close();
  return rate;
}

async function dispatchers(url: string, processes: number): Promise<number> {
  const prefix = `bench${processes}x${Date.now()}`;
  const configFile = path.join(tmp, `${prefix}.json`);
  writeFileSync(configFile, JSON.stringify({ intake: { prefix, dispatchAttempts: 10, dispatchConcurrency: CONCURRENCY, lockDurationMs: 30000, stalledIntervalMs: 15000 }, log: { level: 'silent' } }));
  const children: ChildProcess[] = [];
  for (let i = 0; i < processes; i += 1) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve', '--roles', 'dispatcher'], {
      env: { ...process.env, REDIS_URL: url, HEZO_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    children.push(child);
  }
  const intake = new IntakeService({ redisUrl: url, prefix, dispatchAttempts: 10, timeoutMs: 5000 });
  await intake.ready();
  const redis = new Redis(url);
  const started = performance.now();
  await inParallel(TOTAL, (i) => intake.submit(draft(i)));
  for (;;) {
    const stored = await redis.scard(`${prefix}:status:accepted`);
    if (stored >= TOTAL) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const rate = TOTAL / ((performance.now() - started) / 1000);
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  await intake.close();
  redis.disconnect();
  return rate;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-bench-dispatch-'));
const server = await EmbeddedRedis.start({ dir: tmp });
try {
  const bare = await baseline(server.url);
  const one = await dispatchers(server.url, 1);
  const two = await dispatchers(server.url, 2);
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log(`baseline bare BullMQ add+process: ${fmt(bare)} jobs/s (${TOTAL} jobs, ${IN_FLIGHT} submits in flight, worker concurrency ${CONCURRENCY})`);
  console.log(`dispatch, 1 worker process: ${fmt(one)} requests/s stamped and stored (${(one / bare).toFixed(2)}x baseline)`);
  console.log(`dispatch, 2 worker processes: ${fmt(two)} requests/s stamped and stored (${(two / bare).toFixed(2)}x baseline)`);
} finally {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
