/**
 * Search and the list with 20,000 stored requests (5,000 open, 15,000 closed): server time of
 * `GET /api/v1/requests?q=…` (p50/p95 over realistic queries: a customer's word without Polish
 * letters, a city, a serial prefix, a phone, a request number, two words) and of the whole open
 * list (`limit=5000`), through the real engineer API on an embedded Redis — beside a same-run
 * baseline: reading the 20,000 requests from Redis once (MGET in batches, JSON.parse), the
 * least any search without an index would cost. Goals: search p95 < 200 ms; list < 1 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Router } from 'express';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.js';
import { RequestStore } from '../src/store/request-store.js';
import { ServiceCalendar } from '../src/domain/calendar.js';
import { ContractRegistry } from '../src/domain/contracts.js';
import { explainResponseDeadline } from '../src/domain/deadlines.js';
import type { ServiceRequest } from '../src/domain/request.js';
import { createLogger } from '../src/logger.js';
import { Readiness } from '../src/util/readiness.js';
import { requestsApi, withCountdown } from '../src/ops/requests-api.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';
import { listPage, listQuerySchema } from '../src/search/list-query.js';
import { RequestIndex } from '../src/search/request-index.js';

const COUNT = Number(process.env.BENCH_SEARCH_REQUESTS ?? 20_000);
const OPEN = Number(process.env.BENCH_SEARCH_OPEN ?? 5_000);
const TOKEN = 'bench-search-token-0123456789abcdef';
const calendar = new ServiceCalendar();

const CUSTOMERS = ['Spółdzielnia Mleczarska Mazowsze-Wschód', 'Wawel Data Center sp. z o.o.', 'Archiwum Portowe Gdańsk', 'Biuro Rachunkowe Lipa s.c.', 'Łódzkie Zakłady Włókiennicze', 'Szpital Wojewódzki w Białymstoku', 'Urząd Miasta Poznania', 'Żegluga Śródlądowa Wrocław'];
const NAMES = ['Anna Nowak', 'Piotr Wiśniewski', 'Katarzyna Wójcik', 'Marek Zieliński', 'Tomasz Kamiński', 'Magdalena Lewandowska', 'Łukasz Dąbrowski', 'Agnieszka Kozłowska'];
const MODELS = ['Qualstar XLS-812', 'Qualstar Q80', 'Qualstar Q48', 'Qualstar Q24'];
const PROBLEMS = ['robot nie chwyta taśmy', 'błąd napędu LTO-9', 'drzwi biblioteki nie zamykają się', 'zasilacz piszczy', 'czytnik kodów kreskowych nie działa'];

function request(i: number, now: number): ServiceRequest {
  const window = i % 3 === 0 ? '8x5' : '24x7';
  const sentAt = now - (i % 2000) * 60_000;
  const deadline = explainResponseDeadline(sentAt, window, calendar);
  const iso = new Date(sentAt).toISOString();
  const name = NAMES[i % NAMES.length] ?? '';
  const open = i % Math.round(COUNT / OPEN) === 0;
  const serial = `Q${10 + (i % 80)}-${20 + (i % 7)}-${String(i).padStart(5, '0')}`;
  return {
    number: `HZ-2026-${String(i + 1).padStart(6, '0')}`,
    status: open ? (i % 7 === 0 ? 'needs-info' : 'accepted') : 'closed',
    acceptability: 'accepted',
    channel: (['phone', 'email', 'portal'] as const)[i % 3] ?? 'email',
    kind: 'service',
    escalated: i % 50 === 0,
    sourceKey: `bench:${i}`,
    sentAt: iso,
    clockStartedAt: iso,
    stampedAt: iso,
    language: 'pl',
    reporter: { name, email: `${name.split(' ')[0]?.toLowerCase()}.${i}@example.pl`, phone: `+48 6${String(i).padStart(8, '0').slice(0, 2)} ${String(i).padStart(6, '0').slice(0, 3)} ${String(i).padStart(6, '0').slice(3)}` },
    serialNumber: serial,
    contractNumber: `HZ-20${24 + (i % 3)}-${String(i % 900).padStart(5, '0')}`,
    customer: CUSTOMERS[i % CUSTOMERS.length] ?? '',
    device: { serial, model: MODELS[i % MODELS.length] ?? '' },
    package: 'SOS',
    window,
    onsite: '8h',
    subject: `Awaria: ${PROBLEMS[i % PROBLEMS.length] ?? ''} (${i})`,
    description: `Dzień dobry, ${PROBLEMS[(i + 1) % PROBLEMS.length] ?? ''}. Proszę o pilny kontakt. Pozdrawiam, ${name}`,
    attachments: [],
    raw: {},
    responseDeadline: { at: new Date(deadline.deadline).toISOString(), trace: deadline.trace },
    ...(open ? {} : { resolution: { kind: 'resolved-remotely' as const, at: iso, by: 'engineer:bench', closedFrom: 'contacted' as const } }),
    appliedSources: [],
    updatedAt: iso,
    version: 1,
  };
}

const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))] ?? NaN;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, value };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-bench-search-'));
  const embedded = await EmbeddedRedis.start({ dir: path.join(dir, 'redis') });
  const redis = new Redis(embedded.connectionUrl);
  const store = new RequestStore(redis, 'bench');
  const logger = createLogger('silent');
  let server: Server | undefined;
  try {
    const now = Date.now();
    for (let i = 0; i < COUNT; i += 500) await Promise.all(Array.from({ length: Math.min(500, COUNT - i) }, (_, j) => store.create(request(i + j, now), [])));

    // Baseline: every request read once, as a search without an index would have to.
    const baselines: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      baselines.push((await timed(async () => (await store.getMany(await store.allNumbers())).length)).ms);
    }
    const baseline = percentile(baselines, 50);

    // The index's memory: heap after a full collection, before and after loading it.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const index = new RequestIndex(store, logger);
    const load = await timed(() => index.start());
    gc();
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;

    const app = buildApp({
      readiness: new Readiness(),
      logger,
      routes: [
        // The second baseline: the engineer API's list as it was before the index (every open
        // request from the deadline index, MGET, filtered in a loop, with its countdown), served
        // by the same express.
        {
          path: '/old-list',
          router: Router().get('/', async (_req, res) => {
            const at = Date.now();
            res.json({ requests: (await store.listOpen({ limit: 5000 })).map((request) => withCountdown(request, at, calendar)) });
          }),
        },
        {
          path: '/api/v1/requests',
          router: requestsApi({
            store,
            timers: { schedule: async () => undefined },
            alerts: { acknowledge: async () => undefined },
            calendar,
            registry: () => new ContractRegistry([]),
            notifier: { enqueue: async () => undefined },
            engineerName: (login) => login,
            engineers: () => ['bench'],
            index,
            engineerTokens: { bench: TOKEN },
          }),
        },
      ],
    });
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/requests`;
    const get = async (query: string): Promise<{ ms: number; total: number; count: number }> => {
      const started = performance.now();
      const res = await fetch(`${base}?${query}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
      const body = (await res.json()) as { total: number; requests: unknown[] };
      if (res.status !== 200) throw new Error(`${query}: ${res.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - started, total: body.total, count: body.requests.length };
    };

    const queries = ['mleczarska', 'lodzkie', 'wloknie', 'gdansk archiwum', 'Q48-2', 'Q1', 'wisniewski', 'lukasz', '600123', 'HZ-2026-0123', 'HZ-2026-004711', 'robot tasmy', 'naped lto', 'bialymstoku', 'anna.12', 'zasilacz piszczy', 'a', 'q'];
    const searchTimes: number[] = [];
    const hits: string[] = [];
    for (let round = 0; round < 8; round += 1) {
      for (const q of queries) {
        const result = await get(`q=${encodeURIComponent(q)}&limit=50`);
        searchTimes.push(result.ms);
        if (round === 0) hits.push(`${q}: ${result.total}`);
      }
    }
    // Alternated, so that the machine's load (shared) falls on both alike.
    const listTimes: number[] = [];
    const oldListTimes: number[] = [];
    const pieces: Record<string, number[]> = { page: [], read: [] };
    let listed = 0;
    for (let round = 0; round < 9; round += 1) {
      const result = await get('limit=5000');
      listTimes.push(result.ms);
      listed = result.total;
      const started = performance.now();
      await (await fetch(base.replace('/api/v1/requests', '/old-list'))).json();
      oldListTimes.push(performance.now() - started);
      // Where the new list's time goes, in-process: the index's page, then reading it from Redis.
      const t0 = performance.now();
      const page = listPage(index.rowsView(), listQuerySchema(5000, 5000).parse({}), { nowMs: Date.now(), calendar, me: 'bench' });
      const t1 = performance.now();
      await store.getMany(page.numbers);
      pieces.page?.push(t1 - t0);
      pieces.read?.push(performance.now() - t1);
    }
    const viewTimes: number[] = [];
    for (let round = 0; round < 7; round += 1) for (const view of ['breached', 'due-soon', 'waiting']) viewTimes.push((await get(`view=${view}&limit=100`)).ms);

    const p95 = percentile(searchTimes, 95);
    const listP95 = percentile(listTimes, 95);
    console.log(`requests stored: ${COUNT} (${listed} open); index load ${ms(load.ms)}, ~${heapMb.toFixed(0)} MB heap`);
    console.log(`baseline: read all ${COUNT} from Redis once (median of 5): ${ms(baseline)}`);
    console.log(`search (${searchTimes.length} HTTP queries, page of 50): p50 ${ms(percentile(searchTimes, 50))}, p95 ${ms(p95)} = ${(p95 / baseline).toFixed(3)}x the baseline — goal < 200 ms: ${p95 < 200 ? 'met' : 'MISSED'}`);
    const oldP95 = percentile(oldListTimes, 95);
    console.log(`open list (limit=5000, ${listed} rows): p50 ${ms(percentile(listTimes, 50))}, p95 ${ms(listP95)} = ${(listP95 / baseline).toFixed(3)}x the baseline, ${(listP95 / oldP95).toFixed(2)}x the list before the index (p95 ${ms(oldP95)}) — goal < 1 s: ${listP95 < 1000 ? 'met' : 'MISSED'}`);
    console.log(`  of which (in-process, p50): the index's page ${ms(percentile(pieces.page ?? [], 50))}, reading its 5000 requests ${ms(percentile(pieces.read ?? [], 50))}`);
    console.log(`views breached / due-soon / waiting (page of 100): p95 ${ms(percentile(viewTimes, 95))}`);
    console.log(`hits: ${hits.join(', ')}`);
    // Goals are reported, not enforced: on a shared machine a missed p95 is as often the neighbours' load.
  } finally {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    redis.disconnect();
    await embedded.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
