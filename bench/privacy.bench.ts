/**
 * What the privacy work costs on a store of 5,000 closed requests (each with four history
 * events), beside a same-run baseline: reading every request and its history once (SCAN, MGET,
 * LRANGE — the least any look through the whole store can cost). Measured: a person's export,
 * a person's erasure (10 requests), the daily retention sweep when nothing is due (its usual
 * day), and the sweep that anonymizes all 5,000 (the day after the retention period ends for a
 * busy month), append-only file rewrite included.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { RequestEvent } from '../src/domain/history.js';
import type { ServiceRequest } from '../src/domain/request.js';
import { AttachmentStore } from '../src/intake/attachment-store.js';
import { DataSubjectRequests } from '../src/privacy/data-subject-requests.js';
import { everyRequest } from '../src/privacy/request-scan.js';
import { sweepRetention } from '../src/privacy/retention.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';
import { RequestStore } from '../src/store/request-store.js';

const COUNT = Number(process.env.BENCH_PRIVACY_REQUESTS ?? 5000);
const PREFIX = 'bench-privacy';
const CLOSED_AT = '2026-01-15T12:00:00.000Z';

function person(i: number): { name: string; email: string; phone: string } {
  // 10 requests per person: person 0 files requests 0, 500, 1000, ...
  const p = i % (COUNT / 10);
  return { name: `Osoba Testowa ${p}`, email: `osoba.${p}@example.pl`, phone: `+48 6${String(p).padStart(8, '0')}` };
}

function seed(i: number): { request: ServiceRequest; history: RequestEvent[] } {
  const number = `HZ-2026-${String(i + 1).padStart(6, '0')}`;
  const sentAt = '2026-01-14T09:00:00.000Z';
  const reporter = person(i);
  const request: ServiceRequest = {
    number, status: 'closed', acceptability: 'accepted', channel: 'email', kind: 'service', escalated: false,
    sourceKey: `mail:<bench-${i}@example.pl>`, sentAt, clockStartedAt: sentAt, stampedAt: sentAt, language: 'pl', reporter,
    serialNumber: 'XLS812-240517', contractNumber: 'HZ-2026-00123', subject: `Awaria ${i}`, description: `Kontakt: ${reporter.name}, ${reporter.phone}`,
    attachments: [], raw: { location: 'pomoc/INBOX/1', payload: { messageId: `<bench-${i}@example.pl>` } },
    responseDeadline: { at: '2026-01-14T10:00:00.000Z', trace: 'sent Wed 10:00 → due Wed 11:00' }, appliedSources: [], updatedAt: CLOSED_AT, version: 4,
  };
  const history: RequestEvent[] = [
    { id: `filed:${i}`, at: sentAt, actor: 'email', source: request.sourceKey, type: 'filed', data: { status: 'accepted', sentAt } },
    { id: `contacted:${i}`, at: '2026-01-14T09:30:00.000Z', actor: 'engineer:ewa', source: 'api', type: 'contacted', data: { from: 'accepted', to: 'contacted', firstResponse: { at: '2026-01-14T09:30:00.000Z', by: 'ewa', met: true } } },
    { id: `note:${i}`, at: '2026-01-14T09:31:00.000Z', actor: 'engineer:ewa', source: 'api', type: 'note', internal: true, data: { text: `Rozmowa z ${reporter.name}` } },
    { id: `closed:${i}`, at: CLOSED_AT, actor: 'engineer:ewa', source: 'api', type: 'closed', data: { from: 'contacted', to: 'closed' } },
  ];
  return { request, history };
}

async function fill(redis: Redis): Promise<void> {
  await redis.flushall();
  for (let start = 0; start < COUNT; start += 500) {
    const pipeline = redis.pipeline();
    for (let i = start; i < Math.min(COUNT, start + 500); i += 1) {
      const { request, history } = seed(i);
      pipeline.set(`${PREFIX}:req:${request.number}`, JSON.stringify(request));
      pipeline.set(`${PREFIX}:req:${request.number}:version`, String(request.version));
      pipeline.rpush(`${PREFIX}:req:${request.number}:history`, ...history.map((e) => JSON.stringify(e)));
      pipeline.sadd(`${PREFIX}:status:closed`, request.number);
    }
    await pipeline.exec();
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-bench-privacy-'));
const server = await EmbeddedRedis.start({ dir: path.join(dir, 'redis') });
const redis = new Redis(server.connectionUrl, { maxRetriesPerRequest: 1 });
try {
  const store = new RequestStore(redis, PREFIX);
  const attachments = new AttachmentStore(path.join(dir, 'attachments'), 1_000_000);
  const privacy = new DataSubjectRequests({ redis, store, prefix: PREFIX, attachments, phoneSpoolDir: path.join(dir, 'phone-spool') });
  const retention = { closedRequestMonths: 24, recordingDays: 90 };
  await fill(redis);

  const baseline = await timed(async () => {
    let n = 0;
    for await (const stored of everyRequest(store)) n += stored.history.length > 0 ? 1 : 0;
    if (n !== COUNT) throw new Error(`read ${n} of ${COUNT}`);
  });
  const exportMs = await timed(async () => {
    const found = await privacy.export({ email: 'osoba.7@example.pl' });
    if (found.requests.length !== 10) throw new Error(`export found ${found.requests.length}`);
  });
  const eraseMs = await timed(async () => {
    const report = await privacy.erase({ email: 'osoba.8@example.pl' }, { actor: 'bench' });
    if (report.requests.length !== 10) throw new Error(`erase changed ${report.requests.length}`);
  });
  const quietSweep = await timed(async () => {
    const result = await sweepRetention({ redis, store, attachments, prefix: PREFIX, retention }, Date.parse('2027-06-01T00:00:00Z'));
    if (result.anonymized.length !== 0) throw new Error('nothing was due');
  });
  const fullSweep = await timed(async () => {
    const result = await sweepRetention({ redis, store, attachments, prefix: PREFIX, retention }, Date.parse('2028-02-01T00:00:00Z'));
    if (result.anonymized.length !== COUNT - 10) throw new Error(`anonymized ${result.anonymized.length}`);
  });

  const row = (what: string, ms: number): string => `${what.padEnd(58)} ${ms.toFixed(0).padStart(7)} ms  ${(ms / baseline).toFixed(2)}x baseline`;
  console.log(`privacy work on ${COUNT} closed requests (4 events each), Redis append-only on`);
  console.log(row('baseline: read every request and its history once', baseline));
  console.log(row('export one person (10 requests)', exportMs));
  console.log(row('erase one person (10 requests, AOF rewrite)', eraseMs));
  console.log(row('retention sweep, nothing due (a usual day)', quietSweep));
  console.log(row(`retention sweep anonymizing ${COUNT - 10} (AOF rewrite)`, fullSweep));
} finally {
  redis.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
