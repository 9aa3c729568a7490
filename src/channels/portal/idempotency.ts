/**
 * `Idempotency-Key` for `POST /requests`: the first use of a key binds it to a hash of the
 * body; a repeat with the same body gets the first answer, a repeat with another body 422.
 * The binding is claimed atomically before anything is filed, so two processes racing one key
 * agree on the body; the request itself is filed once because its source key
 * (`portal:<client>:<key>`) is the same for both, and the stored answer is written once
 * (first writer wins, the other reads it back).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How long a key is remembered; a portal retrying after a day makes a new request. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** What a portal may send as `Idempotency-Key`: printable ASCII, up to 200 characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The answer of an accepted `POST /requests`, as stored for replays. */
export interface FiledAnswer {
  requestNumber: string;
  status: string;
  statusUrl: string;
}

export type Claim =
  /** First use: go on and file. */
  | { state: 'claimed' }
  /** Used before with this body but not answered yet (a racing or crashed first call): file again, it is idempotent. */
  | { state: 'pending' }
  | { state: 'answered'; answer: FiledAnswer }
  /** Used before with another body. */
  | { state: 'conflict' };

// KEYS: the key's record. ARGV: body hash, ttl ms.
const CLAIM = `
local h = redis.call('HMGET', KEYS[1], 'hash', 'answer')
if not h[1] then
  redis.call('HSET', KEYS[1], 'hash', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'claimed'}
end
if h[1] ~= ARGV[1] then return {'conflict'} end
if h[2] then return {'answered', h[2]} end
return {'pending'}
`;

// KEYS: the key's record, and the filer record of a new request (optional, so that both are
// one round trip). ARGV: answer json, client. The first answer stays; every caller gets it.
const ANSWER = `
redis.call('HSETNX', KEYS[1], 'answer', ARGV[1])
if KEYS[2] then redis.call('SET', KEYS[2], ARGV[2], 'NX') end
return redis.call('HGET', KEYS[1], 'answer')
`;

type ScriptedRedis = Redis & {
  hezoPortalClaim(key: string, bodyHash: string, ttlMs: string): Promise<string[]>;
  hezoPortalAnswer(...args: string[]): Promise<string | null>;
};

export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('hezoPortalClaim', { numberOfKeys: 1, lua: CLAIM });
    redis.defineCommand('hezoPortalAnswer', { lua: ANSWER });
  }

  /** Binds `key` of `client` to the body hash, or tells what it was bound to. */
  async claim(client: string, key: string, bodyHash: string): Promise<Claim> {
    const [state, answer] = await (this.redis as ScriptedRedis).hezoPortalClaim(this.recordKey(client, key), bodyHash, String(IDEMPOTENCY_TTL_MS));
    if (state === 'answered' && answer) return { state, answer: JSON.parse(answer) as FiledAnswer };
    if (state === 'conflict' || state === 'pending' || state === 'claimed') return { state };
    throw new Error(`unexpected idempotency state ${String(state)}`);
  }

  /**
   * Stores the answer unless one is stored already; returns the one that stays. `ownerKey`:
   * the filer record of a new request (RequestOwnership.key), written in the same round trip.
   */
  async answer(client: string, key: string, answer: FiledAnswer, ownerKey?: string): Promise<FiledAnswer> {
    const keys = ownerKey ? ['2', this.recordKey(client, key), ownerKey] : ['1', this.recordKey(client, key)];
    const stored = await (this.redis as ScriptedRedis).hezoPortalAnswer(...keys, JSON.stringify(answer), client);
    return stored ? (JSON.parse(stored) as FiledAnswer) : answer;
  }

  private recordKey(client: string, key: string): string {
    return `${this.prefix}:portal:idem:${client}:${key}`;
  }
}

/**
 * A hash of the body that ignores key order and whitespace: a portal re-serialising the same
 * object differently is still sending the same body.
 */
export function bodyHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
