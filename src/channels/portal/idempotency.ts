/**
 * `Idempotency-Key` for `POST /requests`: the first use of a key binds it to a hash of the
 * body; a repeat with the same body is filed again — which changes nothing, since its source
 * key (`portal:<client>:<key>`) is the same and submit() is idempotent by source key — and gets
 * the same number; a repeat with another body gets 422. The binding is claimed atomically
 * before anything is filed, so two processes racing one key agree on the body.
 *
 * No answer is stored: the number comes from submit() every time. Storing one would cost a
 * round trip on every request for the sake of the rare repeat; and a repeat that goes through
 * submit() again also queues a request whose first attempt was numbered but cut off (Redis
 * failed in between) before its job was added.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** How long a key is remembered; a portal retrying after a day makes a new request. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** What a portal may send as `Idempotency-Key`: printable ASCII, up to 200 characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** The answer of an accepted `POST /requests`. */
export interface FiledAnswer {
  requestNumber: string;
  status: string;
  statusUrl: string;
}

/** `claimed`: first use; `seen`: used before with this body; `conflict`: used before with another body. */
export type Claim = 'claimed' | 'seen' | 'conflict';

// KEYS: the key's record. ARGV: body hash, ttl ms.
const CLAIM = `
local bound = redis.call('GET', KEYS[1])
if not bound then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if bound ~= ARGV[1] then return 'conflict' end
return 'seen'
`;

type ScriptedRedis = Redis & {
  hezoPortalClaim(key: string, bodyHash: string, ttlMs: string): Promise<string>;
};

export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('hezoPortalClaim', { numberOfKeys: 1, lua: CLAIM });
  }

  /** Binds `key` of `client` to the body hash, or tells whether it was bound to this body. */
  async claim(client: string, key: string, bodyHash: string): Promise<Claim> {
    const state = await (this.redis as ScriptedRedis).hezoPortalClaim(this.recordKey(client, key), bodyHash, String(IDEMPOTENCY_TTL_MS));
    if (state === 'claimed' || state === 'seen' || state === 'conflict') return state;
    throw new Error(`unexpected idempotency state ${String(state)}`);
  }

  private recordKey(client: string, key: string): string {
    // v2: a plain string (the body hash); v1 records were hashes with the answer beside it.
    return `${this.prefix}:portal:idem2:${client}:${key}`;
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
