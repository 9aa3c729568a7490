/**
 * `npm run soak -- --minutes N [--rate R]`: files a realistic mix — 80% mail (IMAP APPEND to a
 * private Dovecot), 15% phone (whole signed Twilio call flows), 5% portal (API calls) — at R
 * requests/s into a gateway running as its own process with every role, then reports its memory
 * (RSS), event-loop delay p99 and queue lag (sent → stamped), and compares the driver's log of
 * submissions with the request store: lost and duplicated counts must be zero.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import { RequestStore } from '../src/store/request-store.js';
import type { ServiceRequest } from '../src/domain/request.js';
import { intakeKeys } from '../src/intake/queues.js';
import { normalizeMessageId } from '../src/domain/thread-keys.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';
import { findFreePort } from '../src/redis/free-port.js';
import { startPrivateDovecot } from '../test/support/dovecot.js';
import { buildMail } from '../test/support/mail-gateway.js';
import { startSmtpServer } from '../test/support/smtp.js';
import { TwilioCall } from '../test/support/twilio-call.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '1' }, rate: { type: 'string', default: '50' } } });
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const AUTH_TOKEN = 'soak-twilio-auth-token';
const PREFIX = 'soak';

type Submission = { channel: 'email' | 'phone' | 'portal'; sourceKey: string; at: number; refused?: string };

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-soak-'));
const redisServer = await EmbeddedRedis.start({ dir: path.join(tmp, 'redis') });
const [dovecot, smtp] = await Promise.all([startPrivateDovecot(), startSmtpServer()]);
const port = await findFreePort();
const url = `http://127.0.0.1:${port}`;
const config = path.join(tmp, 'soak.json');
writeFileSync(
  config,
  JSON.stringify({
    http: { host: '127.0.0.1', port, publicUrl: url },
    intake: { prefix: PREFIX, dispatchAttempts: 10, dispatchConcurrency: 16, lockDurationMs: 30000, stalledIntervalMs: 15000 },
    attachments: { dir: path.join(tmp, 'attachments'), maxBytes: 26214400 },
    twilio: { accountSid: '', authToken: AUTH_TOKEN, smsFrom: '', apiBaseUrl: '' },
    mail: { from: 'myHEZO Pomoc <pomoc@myhezo.pl>', messageIdDomain: 'intake.myhezo.pl', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false } },
    notify: { attempts: 20, backoffMs: 500, maxBackoffMs: 5000, ackPerSenderPerHour: 1000000 },
    mailboxes: {
      list: [
        {
          name: 'pomoc',
          address: 'pomoc@myhezo.pl',
          kind: 'service',
          imap: { host: dovecot.host, port: dovecot.port, secure: false, user: 'pomoc', password: dovecot.password, rejectUnauthorized: false },
          processedFolder: 'Processed',
          quarantineFolder: 'Quarantine',
        },
      ],
      importMaxAgeDays: 7,
    },
    log: { level: 'warn' },
  }),
);
const gateway = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve'], {
  env: { ...process.env, HEZO_CONFIG: config, REDIS_URL: redisServer.connectionUrl },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise<void>((resolve) => gateway.stdout?.once('data', () => resolve()));
gateway.stdout?.resume();

const imap = await dovecot.client('pomoc');
const redis = new Redis(redisServer.connectionUrl);
const store = new RequestStore(redis, PREFIX);
const keys = intakeKeys(PREFIX);
const log: Submission[] = [];
const samples: Array<{ at: number; rssMb: number; heapUsedMb: number; loopP99Ms: number }> = [];

async function sampleMetrics(): Promise<void> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const metric = (name: string): number => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  samples.push({
    at: Date.now(),
    rssMb: metric('hezo_process_resident_memory_bytes') / 1e6,
    heapUsedMb: metric('hezo_nodejs_heap_size_used_bytes') / 1e6,
    loopP99Ms: metric('hezo_nodejs_eventloop_lag_p99_seconds') * 1000,
  });
}

let sequence = 0;
async function fileOne(): Promise<void> {
  const n = (sequence += 1);
  const roll = n % 20;
  if (roll < 16) {
    const { raw, messageId } = buildMail({ subject: `Awaria biblioteki ${n}`, body: `Dzień dobry,\nbiblioteka nie działa.\nNumer umowy: HZ-2026-00123\nS/N: XLS812-240517\n` });
    const entry: Submission = { channel: 'email', sourceKey: `mail:${normalizeMessageId(messageId)}`, at: Date.now() };
    log.push(entry);
    // One long-lived IMAP connection delivers every mail (Dovecot limits connections per
    // user); a mail it could not deliver never reached us and is counted as the driver's.
    await imap.append('INBOX', raw).catch((error: unknown) => {
      entry.refused = `driver: APPEND failed (${error instanceof Error ? error.message : String(error)})`;
    });
  } else if (roll < 19) {
    const call = new TwilioCall(url as unknown as Express, { authToken: AUTH_TOKEN, publicUrl: url, from: '+48601200300' });
    const entry: Submission = { channel: 'phone', sourceKey: `call:${call.callSid}`, at: Date.now() };
    log.push(entry);
    await call.start();
    await call.silence();
    await call.press('1');
    await call.press('1');
    if (!/HZ|H Z/.test(call.transcript.join(' '))) entry.refused = `no request number said: ${call.said}`;
  } else {
    const key = `soak-${n}`;
    const entry: Submission = { channel: 'portal', sourceKey: `portal:demo:${key}`, at: Date.now() };
    log.push(entry);
    const res = await fetch(`${url}/api/v1/portal/requests`, {
      method: 'POST',
      headers: { Authorization: 'Bearer hezo-portal-demo-key', 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({
        reporter: { name: 'Tomasz Kamiński', email: 'tomasz.kaminski@example.pl', phone: '+48 602 300 400' },
        contractNumber: 'HZ-2025-00208',
        serialNumber: 'Q24-25-10277',
        subject: `Portal ${n}`,
        description: 'Napęd zgłasza błąd.',
        language: 'pl',
        kind: 'service',
      }),
    });
    if (res.status !== 202) entry.refused = `HTTP ${res.status}`;
  }
}

const started = Date.now();
const endAt = started + minutes * 60_000;
const inFlight = new Set<Promise<void>>();
const sampler = setInterval(() => void sampleMetrics().catch(() => undefined), 15_000);
await sampleMetrics();
let errors = 0;
for (let i = 0; Date.now() < endAt; i += 1) {
  const due = started + (i * 1000) / rate;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const work = fileOne().catch((error: unknown) => {
    errors += 1;
    if (errors <= 5) console.error('submission failed:', error instanceof Error ? error.message : error);
  });
  inFlight.add(work);
  void work.finally(() => inFlight.delete(work));
}
await Promise.all(inFlight);
console.log(`filed for ${minutes} min at ${rate}/s: ${log.length} submissions (${errors} driver errors); waiting for the queue to drain…`);

// Every accepted submission must become exactly one stored request.
const accepted = log.filter((entry) => !entry.refused);
const numberOf = async (entry: Submission): Promise<string | null> => redis.hget(keys.source(entry.sourceKey), 'number');
const drainDeadline = Date.now() + 120_000;
let stored: Array<ServiceRequest | null>;
for (;;) {
  const numbers = await Promise.all(accepted.map(numberOf));
  stored = await Promise.all(numbers.map((number) => (number ? store.get(number) : Promise.resolve(null))));
  if (stored.every(Boolean) || Date.now() > drainDeadline) break;
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
await sampleMetrics();
clearInterval(sampler);
const lost = stored.filter((request) => !request).length;
const numbers = stored.filter(Boolean).map((request) => (request as ServiceRequest).number);
const duplicated = numbers.length - new Set(numbers).size;
const totalStored = Object.values(await store.countByStatus()).reduce((a, b) => a + b, 0);
const lags = stored.filter(Boolean).map((request) => Date.parse((request as ServiceRequest).stampedAt) - Date.parse((request as ServiceRequest).sentAt)).sort((a, b) => a - b);
const pct = (list: number[], p: number): number => list[Math.min(list.length - 1, Math.floor((list.length * p) / 100))] ?? NaN;
const byChannel = (channel: string): number => log.filter((entry) => entry.channel === channel).length;

console.log(`submissions: ${log.length} (mail ${byChannel('email')}, phone ${byChannel('phone')}, portal ${byChannel('portal')}); refused visibly: ${log.length - accepted.length}`);
console.log(`stored requests: ${totalStored}; lost: ${lost}; duplicated: ${duplicated + Math.max(0, totalStored - accepted.length)}`);
console.log(`queue lag sent→stamped: p50 ${pct(lags, 50)} ms, p99 ${pct(lags, 99)} ms (mail sentAt is INTERNALDATE, whole seconds)`);
const first = samples[1] ?? samples[0];
const last = samples.at(-1);
console.log(`gateway RSS: ${first?.rssMb.toFixed(0)} MB after warm-up → ${last?.rssMb.toFixed(0)} MB at the end (samples: ${samples.map((s) => s.rssMb.toFixed(0)).join(', ')})`);
// The JS heap's low points per fifth of the run: what stays live after collections. A leak
// raises them run-long; RSS alone swings with the collector's sawtooth and V8's heap sizing.
const fifths = Array.from({ length: 5 }, (_, i) => samples.slice(Math.floor((samples.length * i) / 5), Math.floor((samples.length * (i + 1)) / 5)));
console.log(`gateway JS heap used, lowest sample per fifth of the run: ${fifths.map((part) => Math.min(...part.map((s) => s.heapUsedMb)).toFixed(0)).join(' → ')} MB`);
console.log(`event-loop delay p99: max ${Math.max(...samples.map((s) => s.loopP99Ms)).toFixed(1)} ms over ${samples.length} samples`);

gateway.kill('SIGTERM');
await new Promise((resolve) => gateway.once('exit', resolve));
redis.disconnect();
await imap.logout().catch(() => undefined);
await Promise.all([redisServer.stop(), dovecot.cleanup(), smtp.stop()]);
rmSync(tmp, { recursive: true, force: true });
process.exitCode = lost === 0 && duplicated === 0 ? 0 : 1;
