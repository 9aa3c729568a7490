/**
 * The ops page with 5,000 open requests: server time to first byte of /ops and of its list
 * data (/ops/api/list, the first page of 500 most urgent, as the page asks), and the time until
 * the list is shown in headless Chromium — beside a same-run baseline: a static, pre-rendered
 * HTML page of as many rows served from memory by the same express. Goal: the list shown in
 * under 1 s.
 */
import { ContractRegistry } from '../src/domain/contracts.js';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import bcrypt from 'bcryptjs';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.js';
import { RequestStore } from '../src/store/request-store.js';
import { ServiceCalendar } from '../src/domain/calendar.js';
import { explainResponseDeadline } from '../src/domain/deadlines.js';
import type { ServiceRequest } from '../src/domain/request.js';
import { AttachmentStore } from '../src/intake/attachment-store.js';
import { createLogger } from '../src/logger.js';
import { Readiness } from '../src/util/readiness.js';
import { escapeHtml } from '../src/util/html.js';
import { createOps } from '../src/ops/ops-page/index.js';
import { createRedisConnections } from '../src/redis/connections.js';
import { EmbeddedRedis } from '../src/redis/embedded-redis.js';
import { loadSettings } from '../src/settings-loader.js';
import { launchBrowser } from '../test/support/browser.js';

const COUNT = Number(process.env.BENCH_OPS_REQUESTS ?? 5000);
/** The page shows the most urgent 500 first, with a "more" button for the rest. */
const PAGE = Math.min(COUNT, 500);
const ROUNDS = 7;
const PASSWORD = 'bench password';
const calendar = new ServiceCalendar();

function request(i: number, now: number): ServiceRequest {
  const window = i % 3 === 0 ? '8x5' : '24x7';
  const sentAt = now - (i % 120) * 60_000;
  const deadline = explainResponseDeadline(sentAt, window, calendar);
  const iso = new Date(sentAt).toISOString();
  return {
    number: `HZ-2026-${String(i + 1).padStart(6, '0')}`,
    status: 'accepted',
    acceptability: 'accepted',
    channel: (['phone', 'email', 'portal'] as const)[i % 3] ?? 'email',
    kind: 'service',
    escalated: i % 50 === 0,
    sourceKey: `bench:${i}`,
    sentAt: iso,
    clockStartedAt: iso,
    stampedAt: iso,
    language: 'pl',
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl', phone: '+48 600 100 200' },
    serialNumber: 'XLS812-240517',
    contractNumber: window === '8x5' ? 'HZ-2025-00017' : 'HZ-2026-00123',
    customer: window === '8x5' ? 'Spółdzielnia Mleczarska Mazowsze-Wschód' : 'Wawel Data Center sp. z o.o.',
    device: { serial: 'XLS812-240517', model: 'Qualstar XLS-812' },
    package: 'SOS',
    window,
    onsite: '8h',
    subject: `Awaria biblioteki taśmowej nr ${i} — robot nie chwyta taśmy`,
    description: 'Robot nie chwyta taśmy, błąd 0x42 w logu.',
    attachments: [],
    raw: {},
    responseDeadline: { at: new Date(deadline.deadline).toISOString(), trace: deadline.trace },
    appliedSources: [],
    updatedAt: iso,
    version: 1,
  };
}

/** Time to the first byte of the body and to its end, in ms, with the session cookie. */
function timeGet(url: string, cookie: string): Promise<{ ttfbMs: number; totalMs: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.get(url, { headers: { cookie, accept: 'application/json, text/html' } }, (res) => {
      let ttfbMs = -1;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (ttfbMs < 0) ttfbMs = performance.now() - started;
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ ttfbMs, totalMs: performance.now() - started, bytes }));
    });
    req.on('error', reject);
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-bench-ops-'));
  const embedded = await EmbeddedRedis.start({ dir: path.join(dir, 'redis') });
  const redis = new Redis(embedded.connectionUrl);
  const logger = createLogger('silent');
  const store = new RequestStore(redis, 'bench');
  const now = Date.now();
  const requests = Array.from({ length: COUNT }, (_, i) => request(i, now));
  for (let i = 0; i < requests.length; i += 500) await Promise.all(requests.slice(i, i + 500).map((r) => store.create(r, [])));

  const ops = createOps({
    store,
    timers: { schedule: async () => undefined },
    alerts: { acknowledge: async () => undefined },
    calendar,
    registry: () => new ContractRegistry([]),
    notifier: { enqueue: async () => undefined },
    attachments: new AttachmentStore(path.join(dir, 'attachments'), 1_000_000),
    redis,
    connections: createRedisConnections({ redis: loadSettings({ env: { REDIS_URL: embedded.connectionUrl } }).settings.redis }),
    settings: {
      ops: { engineers: { bench: { passwordHash: bcrypt.hashSync(PASSWORD, 4), name: 'Bench', language: 'en' } }, sessionTtlSeconds: 3600, lockoutAttempts: 5, lockoutSeconds: 60, cookieSecure: false, csrfSecret: '', signInPerAddressPerMinute: 1_000_000, signInPerMinute: 1_000_000, passwordChecksAtOnce: 2 },
      http: { host: '127.0.0.1', port: 0, publicUrl: 'http://127.0.0.1', headersTimeoutSeconds: 10, requestTimeoutSeconds: 30, keepAliveTimeoutSeconds: 5, maxConnectionsPerClient: 32 },
      intake: { prefix: 'bench' } as never,
      alerts: { warnMinutesBefore: [30, 15, 5] },
    },
    logger,
  });
  await ops.start();
  // The baseline: the same number of rows as the page's first page, markup and stylesheet as the
  // live list, pre-rendered on the server.
  const cell = (text: string, cls = ''): string => `<div role="cell"${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</div>`;
  const rows = requests
    .slice(0, PAGE)
    .map(
      (r) =>
        `<div class="row state-ok" role="row" data-number="${r.number}">${cell('59:00 left', 'countdown')}<div role="cell"><a href="/ops/requests/${r.number}">${r.number}</a></div>${cell(r.status)}${cell(r.channel)}${cell(r.customer ?? '')}${cell(r.contractNumber ?? '')}${cell(`${r.device?.model} ${r.device?.serial}`)}${cell(r.subject ?? '', 'subject')}${cell(r.reporter.name ?? '')}${cell(r.sentAt)}</div>`,
    )
    .join('\n');
  const staticPage = `<!doctype html><html><head><meta charset="utf-8"><title>baseline</title><link rel="stylesheet" href="/ops/assets/app.css"></head><body><div class="requests" role="table"><div class="row head" role="row">${'<div role="columnheader">column</div>'.repeat(10)}</div><div id="requests" role="rowgroup">${rows}</div></div></body></html>`;
  const app = buildApp({
    readiness: new Readiness(),
    logger,
    routes: [
      { path: '/', router: ops.router },
      {
        path: '/baseline',
        router: (await import('express')).Router().get('/', (_req, res) => {
          res.type('html').send(staticPage);
        }),
      },
    ],
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Sign in once, as a browser would.
  const form = await fetch(`${base}/ops/sign-in`);
  const formCookie = form.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const signedIn = await fetch(`${base}/ops/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, login: 'bench', password: PASSWORD }).toString(),
  });
  const cookie = signedIn.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const [name, value] = cookie.split('=');

  const server1: Record<string, Array<{ ttfbMs: number; totalMs: number; bytes: number }>> = { shell: [], data: [], baseline: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    server1.shell?.push(await timeGet(`${base}/ops`, cookie));
    server1.data?.push(await timeGet(`${base}/ops/api/list?status=open&sort=urgency&order=asc&limit=${PAGE}`, cookie));
    server1.baseline?.push(await timeGet(`${base}/baseline`, cookie));
  }

  const browser = await launchBrowser();
  await browser.context.addCookies([{ name: name ?? '', value: value ?? '', url: base }]);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  // Measured in the page, from navigation start. /ops: the app's marks, set once the frame
  // with the first rows (most urgent first) has been painted, and once all rows are in.
  // Baseline: first contentful paint and DOMContentLoaded (all rows parsed) of the static page.
  type Times = { shown: number; complete: number; driver: number };
  const shown: Record<'ops' | 'baseline', Times[]> = { ops: [], baseline: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    // From a blank page each time: tearing down the previous 5,000-row page is not the list's cost.
    await page.goto('about:blank');
    let started = performance.now();
    await page.goto(`${base}/ops`, { waitUntil: 'commit' });
    await page.waitForFunction(() => performance.getEntriesByName('ops-list-complete').length > 0, undefined, { polling: 20 });
    const driver = performance.now() - started;
    const marks = await page.evaluate(() => [performance.getEntriesByName('ops-list-shown')[0]?.startTime ?? NaN, performance.getEntriesByName('ops-list-complete')[0]?.startTime ?? NaN]);
    shown.ops.push({ shown: marks[0] ?? NaN, complete: marks[1] ?? NaN, driver });
    if ((await page.locator('#requests [data-number]').count()) !== PAGE) throw new Error('the first page is incomplete');
    if (COUNT > PAGE && !(await page.isVisible('#more'))) throw new Error('no "more" under a partial list');
    await page.goto('about:blank');
    started = performance.now();
    await page.goto(`${base}/baseline`, { waitUntil: 'load' });
    const baselineDriver = performance.now() - started;
    // A string: it runs in the page, whose DOM types this Node project does not compile against.
    const paint = await page.evaluate<number[]>(`new Promise((resolve) => {
      new PerformanceObserver((entries) => {
        const fcp = entries.getEntries().find((entry) => entry.name === 'first-contentful-paint');
        resolve([fcp ? fcp.startTime : NaN, performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd]);
      }).observe({ type: 'paint', buffered: true });
    })`);
    shown.baseline.push({ shown: paint[0] ?? NaN, complete: paint[1] ?? NaN, driver: baselineDriver });
  }
  await browser.close();

  const figure = (label: string, runs: Array<{ ttfbMs: number; totalMs: number; bytes: number }>): string =>
    `${label.padEnd(34)} TTFB ${ms(median(runs.map((r) => r.ttfbMs))).padStart(9)}   complete ${ms(median(runs.map((r) => r.totalMs))).padStart(9)}   ${(runs[0]?.bytes ?? 0).toLocaleString('en')} bytes`;
  console.log(`ops page with ${COUNT} open requests (median of ${ROUNDS})`);
  console.log(figure('server GET /ops (page shell)', server1.shell ?? []));
  console.log(figure('server GET /ops/api/list (list)', server1.data ?? []));
  console.log(figure(`baseline GET static ${PAGE}-row page`, server1.baseline ?? []));
  const row = (label: string, times: Times[], what: [string, string]): void =>
    console.log(
      `${label.padEnd(34)} ${what[0]} ${ms(median(times.map((t) => t.shown))).padStart(9)}   ${what[1]} ${ms(median(times.map((t) => t.complete))).padStart(9)}   driver saw it done ${ms(median(times.map((t) => t.driver))).padStart(9)}`,
    );
  row(`Chromium /ops (${PAGE} of ${COUNT})`, shown.ops, ['list shown', 'all rows in']);
  row('Chromium static page (baseline)', shown.baseline, ['first paint', 'all parsed ']);
  const opsShown = median(shown.ops.map((t) => t.shown));
  console.log(`goal: list shown in under 1 s — ${opsShown < 1000 ? 'met' : 'NOT met'}`);

  await ops.close();
  await new Promise((resolve) => server.close(resolve));
  server.closeAllConnections();
  await redis.quit();
  await embedded.stop();
  rmSync(dir, { recursive: true, force: true });
  if (opsShown >= 1000) process.exitCode = 1;
}

await main();
