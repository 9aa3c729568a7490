/**
 * /healthz while the ops sign-in is flooded (issue 20): `serve` in a child process on the
 * embedded default with an engineer at bcrypt cost 10; quiet windows and bursts of 200 sign-ins
 * at once (from a second child) interleaved, six of each. Prints /healthz p50/p99 during the
 * bursts beside the same run's quiet windows, and their ratio. Before the fix, 24 sign-ins at
 * once took /healthz to 1.2 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';

const ROUNDS = 6;
const BURST = 200;
const root = mkdtempSync(path.join(os.tmpdir(), 'hezo-bench-sign-in-'));
const config = path.join(root, 'local.json');
writeFileSync(
  config,
  JSON.stringify({
    http: { host: '127.0.0.1', port: 0 },
    attachments: { dir: path.join(root, 'var', 'attachments') },
    log: { level: 'warn' },
    ops: { engineers: { bench: { passwordHash: bcrypt.hashSync('bench password', 10), name: 'Bench', language: 'en' } } },
  }),
);
// `serve` from source, as test/support/cli-entry.ts runs it (no build needed).
const SERVE = "const { main } = await import('./src/cli.ts'); process.exitCode = await main(['serve']);";
const serve = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SERVE], {
  env: { ...process.env, REDIS_URL: '', HEZO_CONFIG: config, HEZO_REDIS_DIR: path.join(root, 'var', 'redis'), LOG_LEVEL: 'warn', PORT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let printed = '';
serve.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));

const BURST_SOURCE = `
const http = require('node:http');
const { url, cookie, csrf, count, round } = JSON.parse(process.env.BURST);
const post = (i) => new Promise((resolve) => {
  const body = new URLSearchParams({ _csrf: csrf, login: 'burst-' + round + '-' + i, password: 'wrong' }).toString();
  const request = http.request(url + '/ops/sign-in', { method: 'POST', agent: false, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (response) => {
    response.resume();
    response.on('end', () => resolve(response.statusCode));
  });
  request.on('error', () => resolve(0));
  request.end(body);
});
Promise.all(Array.from({ length: count }, (_, i) => post(i))).then((statuses) => process.stdout.write(JSON.stringify(statuses)));
`;

try {
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = /listening on (http:\/\/\S+)/.exec(printed)?.[1];
      if (found) {
        clearInterval(timer);
        resolve(found);
      }
    }, 100);
    serve.once('exit', () => reject(new Error(`serve exited:\n${printed}`)));
  });
  const form = await fetch(`${url}/ops/sign-in`);
  const cookie = form.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const probe = async (until: Promise<unknown>): Promise<number[]> => {
    let running = true;
    void until.finally(() => (running = false));
    const samples: number[] = [];
    while (running) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        http.get(`${url}/healthz`, { agent }, (response) => response.resume().on('end', resolve)).on('error', reject);
      });
      samples.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return samples;
  };
  const burst = (round: number): Promise<number[]> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', BURST_SOURCE], { env: { ...process.env, BURST: JSON.stringify({ url, cookie, csrf, count: BURST, round }) }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', () => resolve(JSON.parse(out) as number[]));
    });
  const quiet: number[] = [];
  const loaded: number[] = [];
  const statuses: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round += 1) {
    quiet.push(...(await probe(new Promise((resolve) => setTimeout(resolve, 1_500)))));
    const answers = burst(round).then(async (all) => {
      for (const status of all) statuses[status] = (statuses[status] ?? 0) + 1;
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    loaded.push(...(await probe(answers)));
  }
  agent.destroy();
  const pick = (samples: number[], q: number): number => {
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
  };
  console.log(`quiet (baseline): /healthz p50 ${pick(quiet, 0.5).toFixed(1)} ms, p99 ${pick(quiet, 0.99).toFixed(1)} ms (${quiet.length} samples)`);
  console.log(
    `${ROUNDS} bursts of ${BURST} sign-ins: /healthz p50 ${pick(loaded, 0.5).toFixed(1)} ms, p99 ${pick(loaded, 0.99).toFixed(1)} ms (${loaded.length} samples); p99 ${(pick(loaded, 0.99) / pick(quiet, 0.99)).toFixed(2)}x baseline, +${(pick(loaded, 0.99) - pick(quiet, 0.99)).toFixed(1)} ms`,
  );
  console.log(`answers (0 = connection over the per-client cap): ${JSON.stringify(statuses)}`);
  const failures = printed.split('\n').filter((line) => line.includes('request failed'));
  if (failures.length > 0) console.log(`${failures.length} requests failed, e.g. ${failures[0]?.slice(0, 400)}`);
} finally {
  serve.kill('SIGTERM');
  await new Promise((resolve) => (serve.exitCode === null ? serve.once('exit', resolve) : resolve(null)));
  rmSync(root, { recursive: true, force: true });
}
