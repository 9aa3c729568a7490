/**
 * The request store in Redis: each request as one JSON value, its append-only history as a
 * list, and indexes of open requests by their next deadline and by status. Every write is
 * one Lua script (create; compare-and-set on the request's version for updates) so that two
 * dispatchers or an engineer action racing a reply never lose an event. (WATCH/MULTI would
 * not do: WATCH is per connection, and one connection serves many concurrent updates.)
 */
import type { Redis } from 'ioredis';
import { readStoredHistory, type RequestEvent } from '../domain/history.js';
import { OPEN_STATUSES, REQUEST_STATUSES, type RequestStatus, type ServiceRequest } from '../domain/request.js';
import { runningClock } from '../domain/running-clock.js';
import { IntakeError } from '../errors.js';
import { storeKeys, type StoreKeys } from './store-keys.js';

/** What a mutation returns: the new request and the events to append, or null for "no change". */
export type Mutation = (request: ServiceRequest) => { request: ServiceRequest; events: RequestEvent[] } | null;

export interface ListOptions {
  status?: RequestStatus;
  channel?: string;
  contract?: string;
  limit?: number;
}

// KEYS: request, history, open zset, status set, changes channel, source record, version.
// ARGV: number, json, score ('' when not open), version, events (json each).
// The source record is marked queued here rather than by submit(): a job being processed was
// queued, and submit() saves a round trip on the path a caller waits for.
const CREATE = `
redis.call('HSET', KEYS[6], 'queued', '1')
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[7], ARGV[4])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1]) end
redis.call('SADD', KEYS[4], ARGV[1])
for i = 5, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('PUBLISH', KEYS[5], ARGV[1])
return 1
`;

// KEYS: request, history, open zset, old status set, new status set, changes channel, version.
// ARGV: number, expected version, json, score ('' to leave the open index), new version,
// events (json each).
// The version has a key of its own: the script never parses the request. Redis's cjson refuses
// JSON that JavaScript writes and reads back — a lone UTF-16 surrogate ("\ud83d", from a mail
// body cut through an emoji or sent as such) — and a request holding one could never change
// again. Requests stored before the version key existed are read the old way, once.
/**
 * The check both writing scripts open with: -1 when the request (KEYS[1]) is not there, 0 when
 * its version (in KEYS[versionKey], or in the stored JSON for requests older than that key) is
 * not the expected ARGV[2].
 */
const versionCheck = (versionKey: number): string => `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local version = redis.call('GET', KEYS[${versionKey}])
if not version then version = tostring(cjson.decode(redis.call('GET', KEYS[1])).version) end
if version ~= ARGV[2] then return 0 end`;

const COMPARE_AND_SET = `${versionCheck(7)}
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SET', KEYS[7], ARGV[5])
if KEYS[4] ~= KEYS[5] then
  redis.call('SREM', KEYS[4], ARGV[1])
  redis.call('SADD', KEYS[5], ARGV[1])
end
if ARGV[4] == '' then redis.call('ZREM', KEYS[3], ARGV[1]) else redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) end
for i = 6, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('PUBLISH', KEYS[6], ARGV[1])
return 1
`;

// KEYS: request, history, changes channel, version. ARGV: number, expected version, json,
// new version, events (json each): the whole history, replacing the stored one.
// Only src/privacy rewrites a history (the one exception to append-only: personal data must
// leave it); the version check keeps an append racing it from being lost.
const REWRITE = `${versionCheck(4)}
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SET', KEYS[4], ARGV[4])
redis.call('DEL', KEYS[2])
for i = 5, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('PUBLISH', KEYS[3], ARGV[1])
return 1
`;

/** A rewrite of a request and its whole history, or null for "no change". */
export type Rewrite = (request: ServiceRequest, history: RequestEvent[]) => { request: ServiceRequest; history: RequestEvent[] } | null;

type ScriptedRedis = Redis & {
  hezoCreateRequest(...args: string[]): Promise<number>;
  hezoCompareAndSet(...args: string[]): Promise<number>;
  hezoRewriteRequest(...args: string[]): Promise<number>;
};

export class RequestStore {
  readonly keys: StoreKeys;

  constructor(private readonly redis: Redis, prefix: string) {
    this.keys = storeKeys(prefix);
    redis.defineCommand('hezoCreateRequest', { numberOfKeys: 7, lua: CREATE });
    redis.defineCommand('hezoCompareAndSet', { numberOfKeys: 7, lua: COMPARE_AND_SET });
    redis.defineCommand('hezoRewriteRequest', { numberOfKeys: 4, lua: REWRITE });
  }

  /**
   * Every stored request's number, in batches (SCAN: never blocks Redis), for the privacy
   * work that must look at all of them (src/privacy).
   */
  async *numbers(batch = 500): AsyncGenerator<string[]> {
    const head = this.keys.request('');
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${head}*`, 'COUNT', batch);
      cursor = next;
      const numbers = keys.map((key) => key.slice(head.length)).filter((rest) => rest !== '' && !rest.includes(':'));
      if (numbers.length > 0) yield numbers;
    } while (cursor !== '0');
  }

  /** Several requests at once (missing ones left out). */
  async getMany(numbers: readonly string[]): Promise<ServiceRequest[]> {
    if (numbers.length === 0) return [];
    const values = await this.redis.mget(numbers.map((n) => this.keys.request(n)));
    return values.flatMap((value) => (value ? [JSON.parse(value) as ServiceRequest] : []));
  }

  /**
   * Replaces a request and its whole history (src/privacy only: removing personal data is the
   * one reason a history is rewritten), with the same optimistic locking as update().
   */
  async rewrite(number: string, change: Rewrite): Promise<{ request: ServiceRequest; changed: boolean }> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const current = await this.get(number);
      if (!current) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
      const result = change(structuredClone(current), await this.history(number));
      if (!result) return { request: current, changed: false };
      const next = { ...result.request, version: current.version + 1, updatedAt: new Date().toISOString() };
      const written = await (this.redis as ScriptedRedis).hezoRewriteRequest(
        this.keys.request(number),
        this.keys.history(number),
        this.keys.changes,
        this.keys.version(number),
        number,
        String(current.version),
        JSON.stringify(next),
        String(next.version),
        ...result.history.map((event) => JSON.stringify(event)),
      );
      if (written === 1) return { request: next, changed: true };
      if (written === -1) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
    }
    throw new IntakeError('INTERNAL', `Request ${number} is being changed by many writers at once; try again.`);
  }

  async get(number: string): Promise<ServiceRequest | null> {
    const json = await this.redis.get(this.keys.request(number));
    return json ? (JSON.parse(json) as ServiceRequest) : null;
  }

  /** The request's history, oldest first, in today's shape (older stored shapes migrated as read). */
  async history(number: string): Promise<RequestEvent[]> {
    return readStoredHistory(await this.redis.lrange(this.keys.history(number), 0, -1));
  }

  /** Records that the job of a source key ran, so a repeated submit() does not queue it again. */
  async markQueued(sourceKey: string): Promise<void> {
    await this.redis.hset(this.keys.source(sourceKey), 'queued', '1');
  }

  /** Stores a new request with its first events; false (and no change) if it exists already. */
  async create(request: ServiceRequest, events: RequestEvent[]): Promise<boolean> {
    const score = openScore(request);
    const created = await (this.redis as ScriptedRedis).hezoCreateRequest(
      this.keys.request(request.number),
      this.keys.history(request.number),
      this.keys.openByDeadline,
      this.keys.byStatus(request.status),
      this.keys.changes,
      this.keys.source(request.sourceKey),
      this.keys.version(request.number),
      request.number,
      JSON.stringify(request),
      score === null ? '' : String(score),
      String(request.version),
      ...events.map((event) => JSON.stringify(event)),
    );
    return created === 1;
  }

  /**
   * Applies a mutation with optimistic locking: read, mutate, write only if nobody else wrote
   * in between, else read again. Returns the stored request (changed or not).
   */
  async update(number: string, mutate: Mutation): Promise<{ request: ServiceRequest; changed: boolean; events: RequestEvent[] }> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const current = await this.get(number);
      if (!current) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
      const result = mutate(structuredClone(current));
      if (!result) return { request: current, changed: false, events: [] };
      const next = { ...result.request, version: current.version + 1, updatedAt: new Date().toISOString() };
      const score = openScore(next);
      const written = await (this.redis as ScriptedRedis).hezoCompareAndSet(
        this.keys.request(number),
        this.keys.history(number),
        this.keys.openByDeadline,
        this.keys.byStatus(current.status),
        this.keys.byStatus(next.status),
        this.keys.changes,
        this.keys.version(number),
        number,
        String(current.version),
        JSON.stringify(next),
        score === null ? '' : String(score),
        String(next.version),
        ...result.events.map((event) => JSON.stringify(event)),
      );
      if (written === 1) return { request: next, changed: true, events: result.events };
      if (written === -1) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
    }
    throw new IntakeError('INTERNAL', `Request ${number} is being changed by many writers at once; try again.`);
  }

  /** Open requests, most urgent first: ordered by their next deadline, those without one last. */
  async listOpen(options: ListOptions = {}): Promise<ServiceRequest[]> {
    const numbers = await this.redis.zrange(this.keys.openByDeadline, '0', '-1');
    const requests: ServiceRequest[] = [];
    const limit = options.limit ?? 500;
    for (let i = 0; i < numbers.length && requests.length < limit; i += 500) {
      const batch = numbers.slice(i, i + 500);
      const values = await this.redis.mget(batch.map((n) => this.keys.request(n)));
      for (const value of values) {
        if (!value) continue;
        const request = JSON.parse(value) as ServiceRequest;
        if (options.status && request.status !== options.status) continue;
        if (options.channel && request.channel !== options.channel) continue;
        if (options.contract && request.contractNumber !== options.contract) continue;
        requests.push(request);
        if (requests.length >= limit) break;
      }
    }
    return requests;
  }

  /** Every stored request's number, open and closed (the status sets together hold them all). */
  async allNumbers(): Promise<string[]> {
    return this.redis.sunion(...REQUEST_STATUSES.map((status) => this.keys.byStatus(status)));
  }

  /** The stored versions of these requests (null: none, or stored before versions had a key). */
  async versions(numbers: readonly string[]): Promise<Array<number | null>> {
    const found: Array<number | null> = [];
    for (let i = 0; i < numbers.length; i += 1000) {
      const values = await this.redis.mget(numbers.slice(i, i + 1000).map((n) => this.keys.version(n)));
      for (const value of values) found.push(value === null ? null : Number(value));
    }
    return found;
  }

  /** Request numbers per status, for metrics and the ops page's filters. */
  async countByStatus(): Promise<Record<RequestStatus, number>> {
    const statuses = [...OPEN_STATUSES, 'closed'] as RequestStatus[];
    const counts = await Promise.all(statuses.map((status) => this.redis.scard(this.keys.byStatus(status))));
    return Object.fromEntries(statuses.map((status, i) => [status, counts[i] ?? 0])) as Record<RequestStatus, number>;
  }
}

/**
 * The deadline an open request is sorted by: that of its running clock. Closed requests
 * leave the index; open ones with no clock (waiting for data or a person) sort last.
 */
export function openScore(request: ServiceRequest): number | null {
  if (request.status === 'closed') return null;
  return runningClock(request)?.dueMs ?? Number.MAX_SAFE_INTEGER;
}
