/**
 * Portal API throughput and latency: `POST /api/v1/portal/requests` (API key, rate limit,
 * Idempotency-Key, validation, submit()) at 50 keep-alive connections for a fixed time
 * (autocannon), and
 * p99 at a fixed 500 requests/s — beside a same-run baseline of a bare express route that adds
 * the same payload to a BullMQ queue on the same Redis. Goals: ≥ 2,000 req/s, ≥ 0.6 of the
 * baseline, p99 < 50 ms at 500 req/s.
 *
 * The load comes from a child process, so the server's CPU is not shared with the client's
 * event loop, and the CPU time per request (node and redis-server) is reported too: unlike
 * req/s, it does not depend on what else the machine is running. The gateway runs the `web` role here (the API process as deployed when
 * roles are split); BENCH_PORTAL_ROLES=web,dispatcher adds the dispatcher to the same process.
 * BENCH_PORTAL_SECONDS sets the duration of each run (default 10).
 *
 * BENCH_REDIS=sentinel: what WAIT costs instead. The same two loads on one node, then on a
 * Sentinel group (a primary, one replica, three Sentinels; redis.minReplicasAcked 1, the default
 * there: every 202 waits for the replica) in the same run, and the ratios.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import express, { type Express } from 'express';
import { buildApp } from '../src/app.js';
import { hashApiKey } from '../src/channels/portal/api-keys.js';
import { portalRoutes } from '../src/channels/portal/routes.js';
import { createLogger } from '../src/logger.js';
import { parseRoles, startGateway } from '../src/main.js';
import { Readiness } from '../src/util/readiness.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';
import { DEFAULT_CONFIG_DIR } from '../src/settings.js';
import { redisCpuMs } from './cpu.js';

const SECONDS = Number(process.env.BENCH_PORTAL_SECONDS ?? 10);
const CONNECTIONS = 50;
const FIXED_RATE = 500;
const KEY = 'bench-portal-key-0123456789abcdef';

const PAYLOAD = JSON.stringify({
  kind: 'service',
  reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl', phone: '+48 600 100 200' },
  contractNumber: 'HZ-2026-00123',
  serialNumber: 'XLS812-240517',
  subject: 'Awaria biblioteki taśmowej',
  description: 'Robot nie chwyta taśmy, błąd 0x42 w logu.',
  language: 'pl',
});

/**
 * The load generator, plain JS for a child process. Closed loop (N keep-alive connections, as
 * fast as the server answers): autocannon, as the issue and TESTING.md measure it, with a fresh
 * Idempotency-Key per request. Open loop (a fixed rate): a small generator of our own that
 * times each request from the moment it was due, so a stalled server cannot hide its queue
 * (autocannon's overallRate does not correct for that).
 */
const LOAD = `
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const autocannon = require('autocannon');
const { url, payload, key, mode, connections, rate, seconds } = JSON.parse(process.env.LOAD_DATA);
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 });
const latencies = [];
let errors = 0;
function send() {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const req = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: 'Bearer ' + key, 'idempotency-key': randomUUID() } },
      (res) => { res.resume(); res.on('end', () => { if (res.statusCode !== 202 && res.statusCode !== 200) errors++; resolve(started); }); });
    req.on('error', () => { errors++; resolve(started); });
    req.end(payload);
  });
}
async function closed() {
  const result = await autocannon({
    url, connections, duration: seconds,
    requests: [{
      method: 'POST', body: payload,
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + key },
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': randomUUID() } }),
    }],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  return { requests: result.requests.total, errors: bad, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function open() {
  // Latency from the moment a request was due, so a stalled server cannot hide its queue.
  const total = rate * seconds;
  const start = Date.now();
  const pending = [];
  let sent = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * rate));
      for (; sent < due; sent++) {
        const dueAt = start + (sent / rate) * 1000;
        pending.push(send().then(() => latencies.push(Date.now() - dueAt)));
      }
      if (sent >= total) { clearInterval(timer); resolve(); }
    }, 2);
  });
  await Promise.all(pending);
}
const began = Date.now();
if (mode === 'closed') {
  closed().then((result) => process.stdout.write(JSON.stringify(result)));
} else {
  open().then(() => {
    const elapsed = (Date.now() - began) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] || 0;
    process.stdout.write(JSON.stringify({ requests: latencies.length, errors, rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) }));
    agent.destroy();
  });
}
`;

interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  /**
   * CPU time per request of the server process and of redis-server: what a request costs,
   * whatever else the machine runs (a busy machine lowers req/s, not these).
   */
  nodeCpuMsPerRequest: number;
  redisCpuMsPerRequest: number;
}

async function load(url: string, mode: 'closed' | 'open', redis: Redis = probe): Promise<LoadResult> {
  const [cpuBefore, redisBefore] = [process.cpuUsage(), await redisCpuMs(redis)];
  const result = await runLoad(url, mode);
  const cpu = process.cpuUsage(cpuBefore);
  const redisUsed = (await redisCpuMs(redis)) - redisBefore;
  const n = Math.max(1, result.requests);
  return { ...result, nodeCpuMsPerRequest: (cpu.user + cpu.system) / 1000 / n, redisCpuMsPerRequest: redisUsed / n };
}

/** Runs the load generator in its own process, so its CPU is not counted as the server's. */
function runLoad(url: string, mode: 'closed' | 'open'): Promise<Omit<LoadResult, 'nodeCpuMsPerRequest' | 'redisCpuMsPerRequest'>> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify({ url, payload: PAYLOAD, key: KEY, mode, connections: CONNECTIONS, rate: FIXED_RATE, seconds: SECONDS });
    // Run from the project folder so that require('autocannon') finds node_modules.
    const child = spawn(process.execPath, ['-e', LOAD], { cwd: process.cwd(), env: { ...process.env, LOAD_DATA: data }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(output) as Omit<LoadResult, 'nodeCpuMsPerRequest' | 'redisCpuMsPerRequest'>) : reject(new Error(`load generator exited ${code}`))));
  });
}

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  return { server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

const root = mkdtempSync(path.join(os.tmpdir(), 'hezo-portal-bench-'));
const configDir = path.join(root, 'config');
mkdirSync(configDir);
for (const file of ['default.json', 'contracts.json', 'calendar-extras.json']) copyFileSync(path.join(DEFAULT_CONFIG_DIR, file), path.join(configDir, file));
const redisServer = await EmbeddedRedis.start({ dir: path.join(root, 'redis') });
writeFileSync(
  path.join(configDir, 'local.json'),
  JSON.stringify({
    // One load generator with 50 connections: over the per-client cap (32) unless raised.
    http: { port: 0, maxConnectionsPerClient: 1_000 },
    redis: { url: redisServer.connectionUrl },
    intake: { prefix: 'bench-portal' },
    portal: { apiKeys: { bench: hashApiKey(KEY) }, rateLimitMax: 1_000_000_000 },
    log: { level: 'silent' },
  }),
);
const gateway = await startGateway({ configDir, env: {}, logger: createLogger('silent'), roles: parseRoles(process.env.BENCH_PORTAL_ROLES ?? 'web') });
const portalRouters = portalRoutes({ intake: gateway.intake, store: gateway.store, attachments: gateway.attachments, redis: gateway.redis, settings: gateway.settings, logger: gateway.logger });
const portal = await listen(buildApp({ readiness: new Readiness(), logger: gateway.logger, routes: [{ path: '/api/v1/portal', router: portalRouters.api }] }));

const queue = new Queue('bench-baseline', { connection: { url: redisServer.connectionUrl }, prefix: 'bench-baseline' });
const bare = express();
bare.post('/add', express.json(), async (req, res) => {
  await queue.add('draft', req.body);
  res.status(202).json({ queued: true });
});
const baseline = await listen(bare);
const probe = new Redis(redisServer.connectionUrl);

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => `${n.toFixed(1)} ms`;

/** A gateway of its own on `redis` (settings), its portal API, and the two loads against it. */
async function portalOn(redis: Record<string, unknown>, primary: Redis): Promise<{ closed: LoadResult; fixed: LoadResult }> {
  const dir = path.join(root, `config-${Date.now()}`);
  mkdirSync(dir);
  for (const file of ['default.json', 'contracts.json', 'calendar-extras.json']) copyFileSync(path.join(DEFAULT_CONFIG_DIR, file), path.join(dir, file));
  writeFileSync(
    path.join(dir, 'local.json'),
    JSON.stringify({ http: { port: 0, maxConnectionsPerClient: 1_000 }, redis, intake: { prefix: `bench-wait-${Date.now()}` }, portal: { apiKeys: { bench: hashApiKey(KEY) }, rateLimitMax: 1_000_000_000 }, log: { level: 'silent' } }),
  );
  const own = await startGateway({ configDir: dir, env: {}, logger: createLogger('silent'), roles: parseRoles(process.env.BENCH_PORTAL_ROLES ?? 'web') });
  const routers = portalRoutes({ intake: own.intake, store: own.store, attachments: own.attachments, redis: own.redis, settings: own.settings, logger: own.logger });
  const api = await listen(buildApp({ readiness: new Readiness(), logger: own.logger, routes: [{ path: '/api/v1/portal', router: routers.api }] }));
  try {
    const closed = await load(`${api.url}/api/v1/portal/requests`, 'closed', primary);
    const fixed = await load(`${api.url}/api/v1/portal/requests`, 'open', primary);
    return { closed, fixed };
  } finally {
    await new Promise((resolve) => api.server.close(resolve));
    await own.stop();
  }
}

try {
  if (process.env.BENCH_REDIS === 'sentinel') {
    const { startSentinelGroup } = await import('../test/support/sentinel.js');
    const group = await startSentinelGroup({ replicas: 1 });
    const groupProbe = group.clientOf(await group.currentPrimary());
    try {
      const one = await portalOn({ url: redisServer.connectionUrl }, probe);
      const sentinel = await portalOn({ sentinels: group.sentinelList().split(','), sentinelName: group.name }, groupProbe);
      const noWait = await portalOn({ sentinels: group.sentinelList().split(','), sentinelName: group.name, minReplicasAcked: 0 }, groupProbe);
      const line = (label: string, r: { closed: LoadResult; fixed: LoadResult }, ratio = ''): string =>
        `${label}: ${fmt(r.closed.rps)} req/s at ${CONNECTIONS} connections${ratio}, p50 ${ms(r.closed.p50)}, p99 ${ms(r.closed.p99)}; at ${FIXED_RATE} req/s p50 ${ms(r.fixed.p50)}, p99 ${ms(r.fixed.p99)}; CPU per request node ${r.closed.nodeCpuMsPerRequest.toFixed(3)} ms + redis (primary) ${r.closed.redisCpuMsPerRequest.toFixed(3)} ms (${r.closed.errors + r.fixed.errors} errors)`;
      console.log(`roles in the gateway process: ${gateway.roles.join(',')}; ${SECONDS} s per run`);
      console.log(line('portal POST /requests, one node', one));
      console.log(line('portal POST /requests on Sentinel (primary + 1 replica, minReplicasAcked 1: every 202 WAITs)', sentinel, ` (${(sentinel.closed.rps / one.closed.rps).toFixed(2)}x one node)`));
      console.log(line('  reference, the same Sentinel group with minReplicasAcked 0 (replicated, no WAIT)', noWait, ` (${(noWait.closed.rps / one.closed.rps).toFixed(2)}x one node)`));
    } finally {
      groupProbe.disconnect();
      await group.cleanup();
    }
  } else {
    const base = await load(`${baseline.url}/add`, 'closed');
    const closed = await load(`${portal.url}/api/v1/portal/requests`, 'closed');
    const fixed = await load(`${portal.url}/api/v1/portal/requests`, 'open');
    const baseFixed = await load(`${baseline.url}/add`, 'open');
    console.log(`roles in the gateway process: ${gateway.roles.join(',')}; ${SECONDS} s per run`);
    console.log(`baseline bare express + BullMQ add, ${CONNECTIONS} connections: ${fmt(base.rps)} req/s, p50 ${ms(base.p50)}, p99 ${ms(base.p99)} (${base.errors} errors)`);
    console.log(
      `portal POST /requests, ${CONNECTIONS} connections: ${fmt(closed.rps)} req/s (${(closed.rps / base.rps).toFixed(2)}x baseline; goal ≥ 2,000 and ≥ 0.6x), p50 ${ms(closed.p50)}, p99 ${ms(closed.p99)} (${closed.errors} errors)`,
    );
    console.log(`portal POST /requests at ${FIXED_RATE} req/s: p50 ${ms(fixed.p50)}, p99 ${ms(fixed.p99)} (goal p99 < 50 ms; ${fixed.requests} requests, ${fixed.errors} errors)`);
    console.log(`baseline at ${FIXED_RATE} req/s: p50 ${ms(baseFixed.p50)}, p99 ${ms(baseFixed.p99)}`);
    const cost = (r: LoadResult): string => `node ${r.nodeCpuMsPerRequest.toFixed(3)} ms + redis ${r.redisCpuMsPerRequest.toFixed(3)} ms`;
    const total = (r: LoadResult): number => r.nodeCpuMsPerRequest + r.redisCpuMsPerRequest;
    console.log(`CPU per request at ${CONNECTIONS} connections (independent of other load): portal ${cost(closed)}, baseline ${cost(base)} → baseline/portal ${(total(base) / total(closed)).toFixed(2)}`);
  }
} finally {
  await new Promise((resolve) => portal.server.close(resolve));
  await new Promise((resolve) => baseline.server.close(resolve));
  await queue.close();
  probe.disconnect();
  await gateway.stop();
  await redisServer.stop();
  rmSync(root, { recursive: true, force: true });
}
