/**
 * How fast the deadline engine stamps response deadlines, beside a same-run baseline of the
 * obvious luxon approach (Warsaw wall clock + 60 minutes), which is what the precomputed
 * calendar exists to beat. Run: `npx tsx bench/deadlines.bench.ts`.
 */
import { DateTime } from 'luxon';
import { ServiceCalendar, type ServiceWindow } from '../src/domain/calendar.js';
import { explainResponseDeadline, responseDeadline } from '../src/domain/deadlines.js';

const INSTANTS = 1_000_000;
const BASELINE_INSTANTS = 100_000;
const EXPLAIN_INSTANTS = 50_000;
const YEAR_START = Date.UTC(2026, 0, 1);
const YEAR_MS = 365 * 86_400_000;

/** mulberry32: a small seeded PRNG, so every run times the same instants. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = prng(20261127);
const instants = new Float64Array(INSTANTS);
for (let i = 0; i < INSTANTS; i++) instants[i] = YEAR_START + Math.floor(random() * YEAR_MS);

/** Runs `body` over the first `count` instants and returns calls per second. */
function rate(count: number, body: (sentAt: number) => number): number {
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) sink += body(instants[i] ?? 0);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (sink === 42) console.log('(unlikely sink)'); // keeps the loop from being optimised away
  return count / seconds;
}

const calendar = new ServiceCalendar();
const windows: ServiceWindow[] = ['8x5', '24x7'];
const baseline = (sentAt: number): number => DateTime.fromMillis(sentAt, { zone: 'Europe/Warsaw' }).plus({ minutes: 60 }).toMillis();

// Warm-up: builds the calendar year and lets V8 optimise every measured function.
for (const window of windows) rate(200_000, (t) => responseDeadline(t, window, calendar));
rate(10_000, baseline);
rate(2_000, (t) => explainResponseDeadline(t, '8x5', calendar).deadline);

const format = (n: number): string => Math.round(n).toLocaleString('en-US');
const baselineRate = rate(BASELINE_INSTANTS, baseline);
for (const window of windows) {
  const perSecond = rate(INSTANTS, (t) => responseDeadline(t, window, calendar));
  const ratio = (perSecond / baselineRate).toFixed(1);
  console.log(`deadline ${window}: ${format(perSecond)}/s (${ratio}x luxon baseline ${format(baselineRate)}/s)`);
}
for (const window of windows) {
  const perSecond = rate(EXPLAIN_INSTANTS, (t) => explainResponseDeadline(t, window, calendar).deadline);
  console.log(`explain ${window}: ${format(perSecond)}/s (${(perSecond / baselineRate).toFixed(1)}x luxon baseline)`);
}
