/**
 * Bursts of 200 ops sign-ins at once against `serve` in a child process (issue 20: 24 sign-ins
 * at once took /healthz to 1.2 s). Protected by the per-client connection cap, the per-address
 * limit and bcrypt in capped, low-priority worker threads, /healthz p99 stays within 50 ms of
 * its p99 in quiet windows of the same run, and only a few passwords are checked at once (the
 * rest are told when to come back: 429 or 503 with Retry-After). A timing bound on a shared
 * 2-core machine: here, where files run one at a time, not beside other test files.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngineer } from '../support/ops-app.js';
import { serveFolders, spawnServe, type ServeProcess } from '../support/serve-process.js';

const PASSWORD = 'correct horse battery staple';

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
