/**
 * Where the report's facts come from. Every request number is in the request store's status
 * sets (closed ones too). The facts of each request (sla-report.ts `RequestFacts`, about 150
 * bytes stored) are kept in one Redis hash beside the store, and in this process's memory, both
 * tagged with the request's version: a report reads the versions, takes the facts held for
 * those versions, and reads in full — request and, for SOS ones, the history's delivered and
 * returned events — only what changed since. Reading 50,000 whole requests costs seconds; their
 * versions, a fraction of that (bench/report.bench.ts).
 *
 * A request numbered in a year before the period cannot have been sent in it (a number is
 * allocated at submit, never before the request was sent), so those are not read at all.
 */
import type { Redis } from 'ioredis';
import type { ServiceCalendar } from '../domain/calendar.js';
import { readStoredHistory } from '../domain/history.js';
import { REQUEST_STATUSES } from '../domain/request.js';
import { storeKeys, type StoreKeys } from '../store/store-keys.js';
import { factsOf, type ReportRequest, type RequestFacts } from './report-facts.js';

const BATCH = 1000;

/**
 * Facts as kept in Redis: a JSON array in a fixed order (about half the bytes of the object,
 * and as much less to transfer and parse per report). Absent values are null.
 */
type StoredFacts = [
  version: number, number: string, sentAtMs: number, week: string, status: string, channel: string, kind: string, acceptability: string,
  customer: string, contractNumber: string, responseDueMs: number | null, firstResponseMs: number | null, windowMinutes: number | null,
  deliveryDueMs: number | null, deliveredMs: number | null, returnDueMs: number | null, returnedMs: number | null,
  inspectionDueDate: string | null, inspectionDueAtMs: number | null, inspectionDoneOn: string | null, outsideWindow: 0 | 1,
];

export function encodeFacts(f: RequestFacts): string {
  const stored: StoredFacts = [
    f.version, f.number, f.sentAtMs, f.week, f.status, f.channel, f.kind, f.acceptability, f.customer, f.contractNumber,
    f.responseDueMs ?? null, f.firstResponseMs ?? null, f.windowMinutes ?? null, f.deliveryDueMs ?? null, f.deliveredMs ?? null,
    f.returnDueMs ?? null, f.returnedMs ?? null, f.inspection?.dueDate ?? null, f.inspection?.dueAtMs ?? null, f.inspection?.doneOn ?? null,
    f.outsideWindow ? 1 : 0,
  ];
  return JSON.stringify(stored);
}

export function decodeFacts(text: string): RequestFacts {
  const [version, number, sentAtMs, week, status, channel, kind, acceptability, customer, contractNumber, responseDueMs, firstResponseMs, windowMinutes,
    deliveryDueMs, deliveredMs, returnDueMs, returnedMs, dueDate, dueAtMs, doneOn, outsideWindow] = JSON.parse(text) as StoredFacts;
  const facts = { version, number, sentAtMs, week, status, channel, kind, acceptability, customer, contractNumber, outsideWindow: outsideWindow === 1 } as RequestFacts;
  if (responseDueMs !== null) facts.responseDueMs = responseDueMs;
  if (firstResponseMs !== null) facts.firstResponseMs = firstResponseMs;
  if (windowMinutes !== null) facts.windowMinutes = windowMinutes;
  if (deliveryDueMs !== null) facts.deliveryDueMs = deliveryDueMs;
  if (deliveredMs !== null) facts.deliveredMs = deliveredMs;
  if (returnDueMs !== null) facts.returnDueMs = returnDueMs;
  if (returnedMs !== null) facts.returnedMs = returnedMs;
  if (dueDate !== null && dueAtMs !== null) facts.inspection = { dueDate, dueAtMs, ...(doneOn !== null ? { doneOn } : {}) };
  return facts;
}

export interface ReportSource {
  /** The facts of every request that may have been sent on or after `fromDate` (`YYYY-MM-DD`). */
  factsFrom(fromDate: string): Promise<RequestFacts[]>;
}

export class RedisReportSource implements ReportSource {
  readonly #factsKey: string;
  /**
   * Facts this process read or computed, by request number (about 0.3 KB each: 15 MB for
   * 50,000 requests). Checked against the version in Redis on every report, so never stale.
   */
  readonly #held = new Map<string, RequestFacts>();
  private readonly keys: StoreKeys;

  /** `prefix`: the deployment's (settings.intake.prefix), under which the store keeps requests. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly calendar: ServiceCalendar,
  ) {
    this.keys = storeKeys(prefix);
    this.#factsKey = `${prefix}:report:facts`;
  }

  async factsFrom(fromDate: string): Promise<RequestFacts[]> {
    const fromYear = Number(fromDate.slice(0, 4));
    const sets = await Promise.all(REQUEST_STATUSES.map((status) => this.redis.smembers(this.keys.byStatus(status))));
    const numbers = [...new Set(sets.flat())].filter((number) => Number(/-(\d{4})-/.exec(number)?.[1] ?? fromYear) >= fromYear);
    const facts: RequestFacts[] = [];
    for (let i = 0; i < numbers.length; i += BATCH) {
      const batch = numbers.slice(i, i + BATCH);
      const versions = await this.redis.mget(batch.map((number) => this.keys.version(number)));
      // This process's copy first; then the copy in Redis (another process's report, or ours before a restart).
      const notHeld: string[] = [];
      batch.forEach((number, index) => {
        const held = this.#held.get(number);
        if (held && versions[index] !== null && String(held.version) === versions[index]) facts.push(held);
        else notHeld.push(number);
      });
      if (notHeld.length === 0) continue;
      const kept = await this.redis.hmget(this.#factsKey, ...notHeld);
      const wanted = new Map(batch.map((number, index) => [number, versions[index]]));
      const stale: string[] = [];
      notHeld.forEach((number, index) => {
        const text = kept[index];
        const parsed = text ? decodeFacts(text) : undefined;
        // A request stored before the version key existed has none: its facts are read each time.
        const version = wanted.get(number);
        if (parsed && version !== null && version !== undefined && String(parsed.version) === version) {
          this.#held.set(number, parsed);
          facts.push(parsed);
        } else stale.push(number);
      });
      if (stale.length > 0) facts.push(...(await this.refresh(stale)));
    }
    return facts;
  }

  /** Reads requests in full, computes their facts and keeps them for the next report. */
  private async refresh(numbers: string[]): Promise<RequestFacts[]> {
    const values = await this.redis.mget(numbers.map((number) => this.keys.request(number)));
    const requests = values.filter((value): value is string => value !== null).map((value) => JSON.parse(value) as ReportRequest);
    await this.addMilestones(requests.filter((request) => request.deliveryDeadline || request.returnDeadline));
    const facts = requests.map((request) => factsOf(request, this.calendar));
    for (const f of facts) this.#held.set(f.number, f);
    if (facts.length > 0) await this.redis.hset(this.#factsKey, Object.fromEntries(facts.map((f) => [f.number, encodeFacts(f)])));
    return facts;
  }

  /** deliveredAt / returnedAt from the `delivered` and `returned` events (the last of each). */
  private async addMilestones(requests: ReportRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const request of requests) pipeline.lrange(this.keys.history(request.number), 0, -1);
    const results = (await pipeline.exec()) ?? [];
    requests.forEach((request, index) => {
      const stored = results[index]?.[1];
      if (!Array.isArray(stored)) return;
      const milestones: NonNullable<ReportRequest['milestones']> = {};
      for (const event of readStoredHistory(stored as string[])) {
        if (event.type === 'delivered') milestones.deliveredAt = event.at;
        if (event.type === 'returned') milestones.returnedAt = event.at;
      }
      request.milestones = milestones;
    });
  }
}
