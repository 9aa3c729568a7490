/**
 * The SLA report over a year with 50,000 stored requests: server time to read and compute it
 * (what GET /api/v1/reports/sla does), beside a same-run baseline of reading those requests
 * once (the status sets, MGET in batches, JSON.parse) on the same private Redis. The first
 * report computes and keeps each request's facts; later ones read those (the figure). Goal:
 * the report in under 1 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { RequestStore } from '../src/store/request-store.js';
import { ServiceCalendar } from '../src/domain/calendar.js';
import { deliveryDeadline, explainResponseDeadline, returnDeadline } from '../src/domain/deadlines.js';
import type { RequestEvent } from '../src/domain/history.js';
import { REQUEST_STATUSES, type ServiceRequest } from '../src/domain/request.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';
import { slaReport } from '../src/reports/report-routes.js';
import { RedisReportSource } from '../src/reports/report-source.js';

const COUNT = Number(process.env.BENCH_REPORT_REQUESTS ?? 50_000);
const ROUNDS = 5;
const YEAR_START = Date.parse('2026-01-01T00:00:00+01:00');
const YEAR_MS = 365 * 86_400_000;
const NOW = Date.parse('2027-01-05T10:00:00Z');
const calendar = new ServiceCalendar();
const CUSTOMERS = Array.from({ length: 40 }, (_, i) => ({ customer: `Klient ${i + 1} sp. z o.o.`, contractNumber: `HZ-2026-${String(i + 1).padStart(5, '0')}`, window: i % 2 === 0 ? ('8x5' as const) : ('24x7' as const) }));

/** One stored request of the year: most answered, some late, some SOS delivered (with history). */
function request(i: number): { request: ServiceRequest; events: RequestEvent[] } {
  const contract = CUSTOMERS[i % CUSTOMERS.length] ?? CUSTOMERS[0]!;
  const sentAt = YEAR_START + Math.floor((i / COUNT) * YEAR_MS);
  const iso = new Date(sentAt).toISOString();
  const accepted = i % 10 !== 0;
  const base: ServiceRequest = {
    number: `HZ-2026-${String(i + 1).padStart(6, '0')}`,
    status: accepted ? 'closed' : 'needs-info',
    acceptability: accepted ? 'accepted' : 'needs-info',
    channel: (['phone', 'email', 'portal'] as const)[i % 3] ?? 'email',
    kind: 'service',
    escalated: false,
    sourceKey: `bench:${i}`,
    sentAt: iso,
    stampedAt: iso,
    language: 'pl',
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    serialNumber: 'XLS812-240517',
    ...contract,
    package: 'SOS',
    onsite: 'NBD',
    subject: `Awaria nr ${i}`,
    description: 'Robot nie chwyta taśmy, błąd 0x42 w logu.',
    attachments: [],
    raw: {},
    appliedSources: [`bench:${i}`],
    updatedAt: iso,
    version: 1,
  };
  const events: RequestEvent[] = [{ id: `filed:bench:${i}`, at: iso, type: 'filed', actor: 'email', source: `bench:${i}`, data: { status: base.status, sentAt: iso } }];
  if (!accepted) return { request: base, events };
  const deadline = explainResponseDeadline(sentAt, contract.window, calendar);
  base.clockStartedAt = iso;
  base.responseDeadline = { at: new Date(deadline.deadline).toISOString(), trace: deadline.trace };
  // Answered within 20–80 minutes of the deadline's start: about a third late.
  const answered = deadline.deadline - 40 * 60_000 + (i % 7) * 10 * 60_000;
  base.firstResponse = { at: new Date(answered).toISOString(), by: 'engineer:jan', met: answered <= deadline.deadline };
  if (i % 10 === 1) {
    const verified = answered + 3600_000;
    const delivery = deliveryDeadline(verified, 'NBD', calendar);
    const delivered = delivery.deadline - 3600_000;
    base.deliveryDeadline = { at: new Date(delivery.deadline).toISOString(), trace: delivery.trace };
    const due = returnDeadline(delivered);
    base.returnDeadline = { at: new Date(due.deadline).toISOString(), trace: due.trace };
    events.push({ id: `delivered:${i}`, at: new Date(delivered).toISOString(), type: 'delivered', actor: 'engineer:jan', source: 'api', data: { from: 'shipped', to: 'delivered', returnDeadline: base.returnDeadline } });
  }
  return { request: base, events };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-bench-report-'));
  const server = await EmbeddedRedis.start({ dir });
  const redis = new Redis(server.connectionUrl, { enableAutoPipelining: true });
  try {
    const store = new RequestStore(redis, 'bench');
    const fillStart = performance.now();
    for (let i = 0; i < COUNT; i += 2000) {
      await Promise.all(Array.from({ length: Math.min(2000, COUNT - i) }, (_, k) => request(i + k)).map(({ request: r, events }) => store.create(r, events)));
    }
    console.log(`stored ${COUNT} requests of 2026 in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
    const source = new RedisReportSource(redis, 'bench', calendar);

    // The first report reads every request in full and keeps its facts (report-source.ts).
    const coldStart = performance.now();
    await slaReport({ source, now: () => NOW }, { from: '2026-01-01', to: '2026-12-31' });
    const cold = performance.now() - coldStart;
    const baseline: number[] = [];
    const report: number[] = [];
    let figures = '';
    for (let round = 0; round < ROUNDS; round++) {
      let start = performance.now();
      const sets = await Promise.all(REQUEST_STATUSES.map((status) => redis.smembers(store.keys.byStatus(status))));
      const numbers = sets.flat();
      let read = 0;
      for (let i = 0; i < numbers.length; i += 1000) {
        const values = await redis.mget(numbers.slice(i, i + 1000).map((n) => store.keys.request(n)));
        for (const value of values) if (value && JSON.parse(value)) read += 1;
      }
      baseline.push(performance.now() - start);
      if (read !== COUNT) throw new Error(`baseline read ${read} of ${COUNT}`);

      start = performance.now();
      const result = await slaReport({ source, now: () => NOW }, { from: '2026-01-01', to: '2026-12-31' });
      report.push(performance.now() - start);
      figures = `${result.total.requests} requests, met ${result.total.firstResponse.met}, breached ${result.total.firstResponse.breached}, deliveries ${result.total.delivery.met + result.total.delivery.breached}, ${result.groups.length} contracts`;
    }
    const base = median(baseline);
    const took = median(report);
    console.log(`report figures: ${figures}`);
    console.log(`baseline (read ${COUNT} requests once): median ${base.toFixed(0)} ms over ${ROUNDS} rounds`);
    console.log(`SLA report, first run (facts computed): ${cold.toFixed(0)} ms (${(cold / base).toFixed(2)}x the baseline)`);
    console.log(`SLA report for the year:               median ${took.toFixed(0)} ms (${(took / base).toFixed(2)}x the baseline) — goal < 1000 ms: ${took < 1000 ? 'met' : 'NOT met'}`);
  } finally {
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
