/**
 * Mail intake on a private Dovecot and Redis with the whole gateway (dispatcher included):
 * 1. latency from IMAP APPEND to a stamped request, 50 mails arriving one at a time (p50/p99);
 *    goal p50 < 1 s, p99 < 3 s;
 * 2. drain throughput of a 2,000-mail backlog (mails/s moved to Processed after submit);
 *    goal ≥ 600 mails/s on an idle 2-core machine (issue 19: about 0.055 of the bare fetch) —
 *    beside a same-run baseline: bare imapflow fetching the same 2,000 mails' sources without
 *    processing them. On a loaded machine compare the ratio, not the rate.
 * `npx tsx bench/mail.bench.ts` (BENCH_MAIL_BACKLOG / BENCH_MAIL_SINGLES to change the counts).
 */
import { randomUUID } from 'node:crypto';
import { MailboxSupervisor } from '../src/channels/mail/supervisor.js';
import { intakeKeys } from '../src/intake/queues.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';
import type { Settings } from '../src/settings.js';
import { startPrivateDovecot, type PrivateDovecot } from '../test/support/dovecot.js';
import { startTestGateway } from '../test/support/gateway.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SINGLES = Number(process.env.BENCH_MAIL_SINGLES ?? 50);
const BACKLOG = Number(process.env.BENCH_MAIL_BACKLOG ?? 2000);

function mail(n: number): { raw: string; messageId: string } {
  const messageId = `<${randomUUID()}@bench.example.pl>`;
  const raw = [
    'From: Anna Nowak <anna.nowak@example.pl>',
    'To: pomoc@myhezo.pl',
    `Subject: Awaria biblioteki ${n}`,
    `Message-ID: ${messageId}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Dzień dobry,',
    'biblioteka taśmowa zgłasza błąd robota (kod 0x42), napęd nie wysuwa taśmy.',
    'Numer umowy: HZ-2026-00123',
    'S/N: XLS812-240517',
    '',
    'W dniu śr., 25 lis 2026 o 10:00 myHEZO Pomoc <pomoc@myhezo.pl> napisał(a):',
    '> Dzień dobry, przyjęliśmy zgłoszenie.',
    '',
    'Pozdrawiam',
    'Anna Nowak',
    '',
  ].join('\r\n');
  return { raw, messageId };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function countIn(dovecot: PrivateDovecot, user: string, folder: string): Promise<number> {
  const client = await dovecot.client(user);
  try {
    const status = await client.status(folder, { messages: true }).catch(() => false as const);
    return status ? (status.messages ?? 0) : 0;
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function main(): Promise<void> {
  const redisDir = mkdtempSync(path.join(os.tmpdir(), 'hezo-bench-redis-'));
  const redis = await EmbeddedRedis.start({ dir: redisDir });
  const dovecot = await startPrivateDovecot();
  const test = await startTestGateway({}, { REDIS_URL: redis.connectionUrl }, { roles: ['dispatcher', 'timers', 'notify'] });
  const { gateway } = test;
  const keys = intakeKeys(gateway.settings.intake.prefix);
  const account = (user: string) => ({ host: dovecot.host, port: dovecot.port, secure: false, user, password: dovecot.password, rejectUnauthorized: false });
  const mailbox = (user: string): Settings['mailboxes']['list'][number] => ({
    name: user, address: 'pomoc@myhezo.pl', kind: 'service', imap: account(user), processedFolder: 'Processed', quarantineFolder: 'Quarantine',
  });
  const supervise = async (user: string) => {
    const settings: Readonly<Settings> = { ...gateway.settings, mailboxes: { ...gateway.settings.mailboxes, list: [mailbox(user)] } };
    const supervisor = new MailboxSupervisor({ intake: gateway.intake, attachments: gateway.attachments, redis: gateway.redis, settings, logger: gateway.logger });
    await supervisor.start();
    while (!supervisor.status().every((state) => state.connected && state.lastDrainAt)) await new Promise((resolve) => setTimeout(resolve, 10));
    return supervisor;
  };

  try {
    // 1. Latency, one mail at a time.
    const latency = await supervise('latency');
    const appender = await dovecot.client('latency');
    const samples: number[] = [];
    for (let n = 0; n < SINGLES; n += 1) {
      const one = mail(n);
      const started = performance.now();
      await appender.append('INBOX', one.raw);
      const sourceKey = keys.source(`mail:${one.messageId.slice(1, -1).toLowerCase()}`);
      for (;;) {
        const number = await gateway.redis.hget(sourceKey, 'number');
        if (number && (await gateway.store.get(number))) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      samples.push(performance.now() - started);
    }
    await appender.logout();
    await latency.stop();
    samples.sort((a, b) => a - b);
    console.log(`APPEND → stamped request, ${SINGLES} single mails: p50 ${percentile(samples, 50).toFixed(0)} ms, p99 ${percentile(samples, 99).toFixed(0)} ms (goal p50 < 1000 ms, p99 < 3000 ms)`);

    // 2. Backlog: the same mails for the baseline and for the drain.
    const loader = await dovecot.client('backlog');
    const baselineLoader = await dovecot.client('baseline');
    const appendStarted = performance.now();
    for (let n = 0; n < BACKLOG; n += 1) {
      const one = mail(n);
      await loader.append('INBOX', one.raw);
      await baselineLoader.append('INBOX', one.raw);
    }
    await loader.logout();
    await baselineLoader.logout();
    console.log(`(loaded ${BACKLOG} mails into two mailboxes in ${((performance.now() - appendStarted) / 1000).toFixed(1)} s)`);

    const bare = await dovecot.client('baseline');
    await bare.mailboxOpen('INBOX');
    const bareStarted = performance.now();
    let bytes = 0;
    for await (const message of bare.fetch('1:*', { uid: true, source: true })) bytes += message.source?.length ?? 0;
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    await bare.logout();
    const bareRate = BACKLOG / bareSeconds;
    console.log(`baseline: bare imapflow FETCH of ${BACKLOG} sources (${(bytes / 1024).toFixed(0)} KiB): ${bareRate.toFixed(0)} mails/s`);

    const drainStarted = performance.now();
    const drainer = await supervise('backlog');
    while ((await countIn(dovecot, 'backlog', 'Processed')) < BACKLOG) await new Promise((resolve) => setTimeout(resolve, 100));
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    await drainer.stop();
    const rate = BACKLOG / drainSeconds;
    console.log(`drain: ${BACKLOG} mails parsed, submitted and moved to Processed in ${drainSeconds.toFixed(1)} s: ${rate.toFixed(0)} mails/s (goal ≥ 600; ${(rate / bareRate).toFixed(2)} of the bare fetch, goal ≥ 0.055)`);
  } finally {
    await test.stop();
    await dovecot.cleanup();
    await redis.stop();
    rmSync(redisDir, { recursive: true, force: true });
  }
}

await main();
