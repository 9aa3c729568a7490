/**
 * Phone webhook latency: complete calls (greeting, language, caller-ID contract, serial by
 * keypad, confirm → submit(), status callback) with 100 calls in progress at once, every
 * webhook signed as Twilio signs it, against the whole gateway (private Redis, dispatcher in
 * the same process). Beside it, a same-run baseline: a bare express route answering fixed
 * TwiML to the same requests. Goal: p99 < 25 ms.
 *
 * Both servers run in a child process and the callers in this one: sharing one event loop,
 * the callers' signing and TwiML parsing would be counted as server latency.
 *
 *   npx tsx bench/phone.bench.ts        (BENCH_PHONE_CALLS=300, BENCH_PHONE_THINK_MS=1000, BENCH_PHONE_IN_PROGRESS=100 by default;
 *                                        BENCH_PHONE_LAYOUTS=together or split for one layout)
 */
import { spawn } from 'node:child_process';
import http, { type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import twilio from 'twilio';
import { buildApp } from '../src/app.js';
import { createPhoneChannel } from '../src/channels/phone/routes.js';
import { readTwiml } from '../src/channels/phone/twiml-reader.js';
import { Readiness } from '../src/util/readiness.js';
import { startTestGateway } from '../test/support/gateway.js';
import { startPrivateRedis } from '../test/support/redis.js';

const CALLS = Number(process.env.BENCH_PHONE_CALLS ?? 300);
const IN_PROGRESS = Number(process.env.BENCH_PHONE_IN_PROGRESS ?? 100);
/**
 * A caller listens and presses keys between webhooks (seconds on a real line). Without a pause
 * the 100 calls become 100 requests always in flight, and the figure measures queueing in
 * the load generator (Little's law: 100 / throughput), not webhook latency. The pause is
 * uniform in [0.5, 1.5] × this mean.
 */
const THINK_MS = Number(process.env.BENCH_PHONE_THINK_MS ?? 1000);
const think = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, THINK_MS * (0.5 + Math.random())));
const PUBLIC_URL = 'https://intake.example.pl';
const AUTH_TOKEN = 'phone-bench-token';
const FIXED_TWIML = new twilio.twiml.VoiceResponse().say({ voice: 'Polly.Ewa' as never, language: 'pl-PL' }, 'Dzień dobry.').toString();

async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  // Longer than any caller pause: a socket closed by the server as the client reuses it is ECONNRESET.
  server.keepAliveTimeout = 60_000;
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Latencies of the last run by webhook (path and keys pressed), to show which step is slow. */
let byStep = new Map<string, number[]>();

/** Keep-alive sockets, as Twilio's webhook client keeps them; node:http is lighter than fetch in the same process. */
const agent = new http.Agent({ keepAlive: true, maxSockets: IN_PROGRESS });

async function post(baseUrl: string, path: string, params: Record<string, string>, latencies: number[], label = path): Promise<string> {
  const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${path}`, params);
  const body = new URLSearchParams(params).toString();
  const started = performance.now();
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(`${baseUrl}${path}`, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-twilio-signature': signature },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const took = performance.now() - started;
  latencies.push(took);
  (byStep.get(label) ?? byStep.set(label, []).get(label))?.push(took);
  if (status >= 300) throw new Error(`${path}: HTTP ${status} ${text.slice(0, 200)}`);
  return text;
}

/** One complete call; with `followTwiml` off (baseline) the same requests go to fixed paths. */
async function completeCall(baseUrl: string, i: number, latencies: number[], followTwiml: boolean): Promise<void> {
  const call = { CallSid: `CAbench${followTwiml ? 'p' : 'b'}${i}${Date.now()}`, From: '+48600100200', To: '+48122525600', AccountSid: 'ACbench' };
  let path = '/twilio/voice';
  let xml = await post(baseUrl, path, { ...call, CallStatus: 'ringing' }, latencies);
  const steps = ['1 (Polish)', '1 (contract offered by caller ID)', '0517 (serial digits)', '1 (device confirmed: submit)'];
  for (const step of steps) {
    const digits = step.split(' ')[0] as string;
    await think();
    if (followTwiml) {
      const gather = readTwiml(xml).find((verb) => verb.name === 'Gather');
      if (!gather?.attributes.action) throw new Error(`call ${i}: expected a <Gather>, got ${xml}`);
      path = gather.attributes.action;
    } else {
      path = '/twilio/voice/step';
    }
    xml = await post(baseUrl, path, { ...call, CallStatus: 'in-progress', Digits: digits }, latencies, `${path} ${step}`);
  }
  if (followTwiml && !xml.includes('<Hangup/>')) throw new Error(`call ${i} did not end: ${xml}`);
  await think();
  await post(baseUrl, '/twilio/status', { ...call, CallStatus: 'completed', CallDuration: '30' }, latencies);
}

async function run(baseUrl: string, calls: number, followTwiml: boolean): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_PROGRESS }, async () => {
      for (let i = next++; i < calls; i = next++) {
        await think();
        await completeCall(baseUrl, i, latencies, followTwiml);
      }
    }),
  );
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function summary(name: string, latencies: number[], seconds: number): { p50: number; p99: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  console.log(
    `${name.padEnd(34)} ${String(latencies.length).padStart(6)} webhooks  p50 ${p50.toFixed(2).padStart(6)} ms  p99 ${p99.toFixed(2).padStart(6)} ms  max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms  ${(latencies.length / seconds).toFixed(0)} req/s`,
  );
  return { p50, p99 };
}

/** The child: the gateway with the IVR, and the bare baseline; prints their URLs, stops on SIGTERM. */
async function serve(): Promise<void> {
  const redis = await startPrivateRedis();
  const test = await startTestGateway(
    {
      http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
      intake: { prefix: 'hezo-phone-bench' },
      twilio: { accountSid: '', authToken: AUTH_TOKEN, smsFrom: '', apiBaseUrl: '' },
    },
    { REDIS_URL: redis.url },
    // 'split': the IVR process serves the web role only and a second process dispatches (the
    // production layout); otherwise every role shares the IVR's process (the embedded default).
    process.env.HEZO_PHONE_BENCH_LAYOUT === 'split' ? { roles: ['web'] } : {},
  );
  const g = test.gateway;
  const dispatcher =
    process.env.HEZO_PHONE_BENCH_LAYOUT === 'split'
      ? spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve', '--roles', 'dispatcher,timers,notify'], {
          env: { ...process.env, HEZO_CONFIG_DIR: test.configDir, REDIS_URL: redis.url, LOG_LEVEL: 'silent', HEZO_PHONE_BENCH_ROLE: '' },
          stdio: 'ignore',
        })
      : undefined;
  const phone = createPhoneChannel({ intake: g.intake, registry: () => g.registry.current, calendar: g.calendar, store: g.store, redis: g.callRedis, settings: g.settings, logger: g.logger, spoolDir: `${test.root}/phone-spool` });
  const gatewayApp = await listen(buildApp({ readiness: new Readiness(), logger: g.logger, routes: [{ path: '/twilio', router: phone.router }] }));
  const bare = express();
  bare.post('/{*path}', (_req, res) => {
    res.type('text/xml').send(FIXED_TWIML);
  });
  const bareApp = await listen(bare);
  process.stdout.write(`${JSON.stringify({ ivr: gatewayApp.url, bare: bareApp.url })}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  gatewayApp.server.closeAllConnections();
  bareApp.server.closeAllConnections();
  await new Promise<void>((resolve) => gatewayApp.server.close(() => resolve()));
  await new Promise<void>((resolve) => bareApp.server.close(() => resolve()));
  dispatcher?.kill('SIGTERM');
  await phone.close();
  await test.stop();
  await redis.cleanup();
}

/** The parent: starts the child, plays the callers, prints the figures. */
async function measure(layout: 'together' | 'split'): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, HEZO_PHONE_BENCH_ROLE: 'server', HEZO_PHONE_BENCH_LAYOUT: layout },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const urls = await new Promise<{ ivr: string; bare: string }>((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const line = buffer.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { ivr: string; bare: string });
    });
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code}) before it listened`)));
  });
  try {
    await run(urls.ivr, 50, true);
    await run(urls.bare, 50, false);
    console.log(
      `phone webhooks: ${CALLS} complete calls, ${IN_PROGRESS} in progress at once (6 webhooks each, caller pauses ~${THINK_MS} ms); ` +
        (layout === 'split' ? 'IVR process with the web role, dispatcher/timers/notify in a second process' : 'every role in the IVR process (embedded default)'),
    );
    let started = performance.now();
    const baseline = summary('baseline: bare express, fixed TwiML', await run(urls.bare, CALLS, false), (performance.now() - started) / 1000);
    started = performance.now();
    byStep = new Map();
    const ivr = summary('IVR: signed, sessions, submit()', await run(urls.ivr, CALLS, true), (performance.now() - started) / 1000);
    for (const [step, latencies] of byStep) {
      const sorted = [...latencies].sort((a, b) => a - b);
      console.log(`  ${step.padEnd(32)} p50 ${percentile(sorted, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(sorted, 99).toFixed(2).padStart(6)} ms`);
    }
    console.log(`p99 ${ivr.p99.toFixed(2)} ms (goal < 25 ms): ${ivr.p99 < 25 ? 'met' : 'NOT met'}; p50 ${(ivr.p50 / baseline.p50).toFixed(1)}× the baseline's`);
  } finally {
    agent.destroy();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}

if (process.env.HEZO_PHONE_BENCH_ROLE === 'server') await serve();
else {
  // BENCH_PHONE_LAYOUTS=together (or split) measures one layout only.
  for (const layout of (process.env.BENCH_PHONE_LAYOUTS ?? 'together,split').split(',') as Array<'together' | 'split'>) await measure(layout);
}
