/**
 * Dispatch throughput: drafts submitted → stamped and stored (with their timers scheduled),
 * in requests/s, with one and with two dispatcher processes, beside a same-run baseline of
 * bare BullMQ add + process of the same payload. Goal: ≥ 1,000/s and ≥ 0.5 of the baseline.
 *
 * Two more lines show where the cost lies, both in one process as the baseline is: `floor`,
 * our submit() and a worker that does nothing with the intake job (what numbering, the
 * idempotency record and our job options cost before any dispatching), and `one process`, the
 * real dispatcher beside the submitter (the default `serve` runs every role in one process).
 * Each line also counts what redis-server ran per request (INFO commandstats): the baseline is
 * two Lua scripts (add, then complete-and-fetch-next); filing a request is five — numbering, the
 * add, the completion, the store write and the first timer.
 *
 * BENCH_REDIS=sentinel: what WAIT costs instead. The same load (submit() and the dispatcher in
 * one process) on one node, then on a Sentinel group (a primary, one replica, three Sentinels;
 * redis.minReplicasAcked 1, the default there, so every submit waits for the replica) in the
 * same run, and the ratio; and the group with minReplicasAcked 0 (replication without waiting).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { IntakeDraft } from '../src/domain/request.js';
import { QUEUE_NAMES, type IntakeJobData } from '../src/intake/queues.js';
import { IntakeService } from '../src/intake/submit.js';
import { startGateway } from '../src/main.js';
import { createRedisConnections } from '../src/redis/connections.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';
import type { RedisConnections } from '../src/redis/redis-connections.js';
import { loadSettings } from '../src/settings-loader.js';
import { redisWork, redisWorkPer, type RedisWork } from './cpu.js';

// 10,000: at 5,000 the baseline's short run still reads ~10% slow and flatters the ratios.
const TOTAL = Number(process.env.BENCH_DISPATCH_TOTAL ?? 10_000);
const IN_FLIGHT = 64;
/** The dispatcher's job locks here, in its config file and in the floor's worker alike. */
const LOCKS = { lockDurationMs: 30000, stalledIntervalMs: 15000 };
/**
 * Jobs one worker process runs at once, the same for the baseline and the dispatcher: the
 * dispatcher's default (config/default.json) unless BENCH_DISPATCH_CONCURRENCY says otherwise.
 */
const CONCURRENCY = Number(process.env.BENCH_DISPATCH_CONCURRENCY ?? loadSettings({ env: {} }).settings.intake.dispatchConcurrency);

/** The gateway's connections to the Redis at `url`, made as `serve` makes them. */
function connectionsFor(url: string): RedisConnections {
  return createRedisConnections({ redis: loadSettings({ env: { REDIS_URL: url } }).settings.redis });
}

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

/**
 * Per request: CPU milliseconds of the submitting process, the worker process(es) and
 * redis-server, and what redis-server ran (Lua scripts, and commands inside them or alone).
 */
interface Cost {
  submitter: number;
  worker: number;
  redis: RedisWork;
}

const cpuMs = (usage: NodeJS.CpuUsage): number => (usage.user + usage.system) / 1000;

/** User + system CPU of a child process so far (Linux /proc; clock ticks of 10 ms). */
function processCpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Bare BullMQ: add + a no-op process. With `timer`, the process also adds one delayed job per
 * job to a second queue — the least a dispatcher must do when, as the issue asks, each
 * request's timers are delayed BullMQ jobs: a reference for the rest of our cost, not the goal.
 */
async function baseline(url: string, timer = false): Promise<{ rate: number; cost: Cost }> {
  const prefix = `bare${timer ? 't' : ''}${Date.now()}`;
  const queue = new Queue('bare', { connection: { url }, prefix });
  const timers = new Queue('bare-timers', { connection: { url }, prefix });
  const probe = new Redis(url);
  const process_ = async (job: Job): Promise<unknown> => {
    if (timer) await timers.add('warn', { id: job.id }, { jobId: `warn-${job.id}`, delay: 30 * 60_000 });
    return job.data;
  };
  const worker = new Worker('bare', process_, { connection: { url, maxRetriesPerRequest: null }, prefix, concurrency: CONCURRENCY });
  const allDone = allCompleted(worker);
  await worker.waitUntilReady();
  const before = { process: process.cpuUsage(), redis: await redisWork(probe) };
  const started = performance.now();
  await inParallel(TOTAL, (i) => queue.add('bare', { draft: draft(i) }, { jobId: `bare-${i}`, removeOnComplete: true }));
  await allDone;
  const rate = TOTAL / ((performance.now() - started) / 1000);
  // One process adds and works here: its CPU is the submitter's and the worker's together.
  const cost = { submitter: 0, worker: cpuMs(process.cpuUsage(before.process)) / TOTAL, redis: redisWorkPer(before.redis, await redisWork(probe), TOTAL) };
  probe.disconnect();
  await worker.close();
  await queue.close();
  await timers.close();
  return { rate, cost };
}

async function dispatchers(url: string, processes: number): Promise<{ rate: number; cost: Cost }> {
  const prefix = `bench${processes}x${Date.now()}`;
  const configFile = writeConfig(prefix);
  const children: ChildProcess[] = [];
  for (let i = 0; i < processes; i += 1) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve', '--roles', 'dispatcher'], {
      env: { ...process.env, REDIS_URL: url, HEZO_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    children.push(child);
  }
  const intake = new IntakeService({ connections: connectionsFor(url), prefix, dispatchAttempts: 10, timeoutMs: 5000 });
  await intake.ready();
  const redis = new Redis(url);
  const before = { workers: children.map((child) => processCpuMs(child.pid)), submitter: process.cpuUsage(), redis: await redisWork(redis) };
  const started = performance.now();
  await inParallel(TOTAL, (i) => intake.submit(draft(i)));
  await allStored(redis, prefix);
  const rate = TOTAL / ((performance.now() - started) / 1000);
  const cost = {
    submitter: cpuMs(process.cpuUsage(before.submitter)) / TOTAL,
    worker: children.reduce((sum, child, i) => sum + processCpuMs(child.pid) - (before.workers[i] ?? 0), 0) / TOTAL,
    redis: redisWorkPer(before.redis, await redisWork(redis), TOTAL),
  };
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
  await intake.close();
  redis.disconnect();
  return { rate, cost };
}

/** The intake settings the dispatcher runs with here, in a config file for `serve`. */
function writeConfig(prefix: string): string {
  const file = path.join(tmp, `${prefix}.json`);
  writeFileSync(file, JSON.stringify({ intake: { prefix, dispatchAttempts: 10, dispatchConcurrency: CONCURRENCY, ...LOCKS }, log: { level: 'silent' } }));
  return file;
}

/**
 * In this one process: submit() and either a worker that completes each intake job untouched
 * (`floor`) or the real dispatcher (`dispatcher`, started as `serve --roles dispatcher` is).
 */
async function inOneProcess(url: string, mode: 'floor' | 'dispatcher'): Promise<{ rate: number; cost: Cost }> {
  const prefix = `one${mode}${Date.now()}`;
  const configFile = writeConfig(prefix);
  const floorWorker =
    mode === 'floor'
      ? new Worker<IntakeJobData>(QUEUE_NAMES.intake, async (job) => job.data.requestNumber, {
          connection: { url, maxRetriesPerRequest: null },
          prefix,
          concurrency: CONCURRENCY,
          lockDuration: LOCKS.lockDurationMs,
          stalledInterval: LOCKS.stalledIntervalMs,
        })
      : undefined;
  const allDone = floorWorker ? allCompleted(floorWorker) : undefined;
  await floorWorker?.waitUntilReady();
  const gateway = mode === 'dispatcher' ? await startGateway({ roles: ['dispatcher'], env: { ...process.env, REDIS_URL: url, HEZO_CONFIG: configFile } }) : undefined;
  const intake = new IntakeService({ connections: connectionsFor(url), prefix, dispatchAttempts: 10, timeoutMs: 5000 });
  await intake.ready();
  const redis = new Redis(url);
  const before = { process: process.cpuUsage(), redis: await redisWork(redis) };
  const started = performance.now();
  await inParallel(TOTAL, (i) => intake.submit(draft(i)));
  if (allDone) await allDone;
  else await allStored(redis, prefix);
  const rate = TOTAL / ((performance.now() - started) / 1000);
  const cost = { submitter: 0, worker: cpuMs(process.cpuUsage(before.process)) / TOTAL, redis: redisWorkPer(before.redis, await redisWork(redis), TOTAL) };
  await floorWorker?.close();
  await gateway?.stop();
  await intake.close();
  redis.disconnect();
  return { rate, cost };
}

/** Resolves when the worker has completed TOTAL jobs. */
function allCompleted(worker: Worker): Promise<void> {
  let done = 0;
  return new Promise<void>((resolve) => {
    worker.on('completed', () => {
      done += 1;
      if (done === TOTAL) resolve();
    });
  });
}

/** Waits until every submitted request is stamped and stored (all are accepted here). */
async function allStored(redis: Redis, prefix: string): Promise<void> {
  while ((await redis.scard(`${prefix}:status:accepted`)) < TOTAL) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * submit() and the dispatcher in one process against `env`'s Redis (REDIS_URL, or a Sentinel
 * group), as `serve` would run them there; `probe` is a client of the primary.
 */
async function onRedis(env: Record<string, string>, probe: Redis): Promise<{ rate: number; cost: Cost }> {
  const prefix = `wait${Date.now()}`;
  const configFile = writeConfig(prefix);
  const gateway = await startGateway({ roles: ['dispatcher'], env: { ...process.env, ...env, HEZO_CONFIG: configFile } });
  const intake = new IntakeService({ connections: createRedisConnections({ redis: loadSettings({ env }).settings.redis }), prefix, dispatchAttempts: 10, timeoutMs: 5000 });
  await intake.ready();
  const before = { process: process.cpuUsage(), redis: await redisWork(probe) };
  const started = performance.now();
  await inParallel(TOTAL, (i) => intake.submit(draft(i)));
  await allStored(probe, prefix);
  const rate = TOTAL / ((performance.now() - started) / 1000);
  const cost = { submitter: 0, worker: cpuMs(process.cpuUsage(before.process)) / TOTAL, redis: redisWorkPer(before.redis, await redisWork(probe), TOTAL) };
  await gateway.stop();
  await intake.close();
  return { rate, cost };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-bench-dispatch-'));
const server = await EmbeddedRedis.start({ dir: tmp });
if (process.env.BENCH_REDIS === 'sentinel') {
  const { startSentinelGroup } = await import('../test/support/sentinel.js');
  const group = await startSentinelGroup({ replicas: 1 });
  const oneProbe = new Redis(server.connectionUrl);
  const groupProbe = group.clientOf(await group.currentPrimary());
  try {
    // A discarded warm-up round, as for the baseline below.
    await onRedis({ REDIS_URL: server.connectionUrl }, oneProbe);
    const one = await onRedis({ REDIS_URL: server.connectionUrl }, oneProbe);
    const sentinel = await onRedis({ REDIS_SENTINELS: group.sentinelList(), REDIS_SENTINEL_NAME: group.name }, groupProbe);
    // The same group without WAIT: what replication alone costs, apart from waiting for it.
    const noWait = await onRedis({ REDIS_SENTINELS: group.sentinelList(), REDIS_SENTINEL_NAME: group.name, REDIS_MIN_REPLICAS_ACKED: '0' }, groupProbe);
    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    const cost = (c: Cost): string => `CPU per request: node ${c.worker.toFixed(3)} ms + redis ${c.redis.cpuMs.toFixed(3)} ms; redis ran ${c.redis.scripts.toFixed(1)} Lua scripts and ${Math.round(c.redis.commands)} commands`;
    console.log(`dispatch (submit + dispatcher in one process, ${TOTAL} requests, ${IN_FLIGHT} submits in flight), one node: ${fmt(one.rate)} requests/s stamped and stored; ${cost(one.cost)}`);
    console.log(`dispatch on Sentinel (primary + 1 replica, minReplicasAcked 1: every submit WAITs): ${fmt(sentinel.rate)} requests/s stamped and stored (${(sentinel.rate / one.rate).toFixed(2)}x one node); ${cost(sentinel.cost)}`);
    console.log(`  reference, the same Sentinel group with minReplicasAcked 0 (replicated, no WAIT): ${fmt(noWait.rate)} requests/s (${(noWait.rate / one.rate).toFixed(2)}x one node); ${cost(noWait.cost)}`);
  } finally {
    oneProbe.disconnect();
    groupProbe.disconnect();
    await group.cleanup();
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(0);
}
try {
  // A discarded first round: the baseline runs first, and a cold JIT made it ~15% slower at
  // 5,000 jobs, which flattered every ratio below.
  await baseline(server.connectionUrl);
  const bare = await baseline(server.connectionUrl);
  const bareWithTimer = await baseline(server.connectionUrl, true);
  const floor = await inOneProcess(server.connectionUrl, 'floor');
  const oneProcess = await inOneProcess(server.connectionUrl, 'dispatcher');
  const one = await dispatchers(server.connectionUrl, 1);
  const two = await dispatchers(server.connectionUrl, 2);
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const costs = (c: Cost): string =>
    `CPU per request: ${c.submitter > 0 ? `submitter ${c.submitter.toFixed(3)} ms + ` : ''}worker${c.submitter > 0 ? '(s)' : ' and adder'} ${c.worker.toFixed(3)} ms + redis ${c.redis.cpuMs.toFixed(3)} ms = ${(c.submitter + c.worker + c.redis.cpuMs).toFixed(3)} ms; redis ran ${c.redis.scripts.toFixed(1)} Lua scripts and ${Math.round(c.redis.commands)} commands`;
  console.log(`baseline bare BullMQ add+process: ${fmt(bare.rate)} jobs/s (${TOTAL} jobs, ${IN_FLIGHT} submits in flight, worker concurrency ${CONCURRENCY}); ${costs(bare.cost)}`);
  console.log(`  reference, bare BullMQ add+process that adds one delayed job: ${fmt(bareWithTimer.rate)} jobs/s; ${costs(bareWithTimer.cost)}`);
  console.log(`  floor, our submit() + a worker that does nothing with the intake job: ${fmt(floor.rate)} requests/s (${(floor.rate / bare.rate).toFixed(2)}x baseline); ${costs(floor.cost)}`);
  console.log(`dispatch, submitter and dispatcher in one process: ${fmt(oneProcess.rate)} requests/s stamped and stored (${(oneProcess.rate / bare.rate).toFixed(2)}x baseline, ${(oneProcess.rate / bareWithTimer.rate).toFixed(2)}x the reference); ${costs(oneProcess.cost)}`);
  console.log(`dispatch, 1 worker process: ${fmt(one.rate)} requests/s stamped and stored (${(one.rate / bare.rate).toFixed(2)}x baseline, ${(one.rate / bareWithTimer.rate).toFixed(2)}x the reference); ${costs(one.cost)}`);
  console.log(`dispatch, 2 worker processes: ${fmt(two.rate)} requests/s stamped and stored (${(two.rate / bare.rate).toFixed(2)}x baseline, ${(two.rate / bareWithTimer.rate).toFixed(2)}x the reference); ${costs(two.cost)}`);
} finally {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
}
