/**
 * `Idempotency-Key` for `POST /requests`: the first use of a key binds it to a hash of the
 * body; a repeat with the same body is filed again — which changes nothing, since its source
 * key (`portal:<client>:<key>`) is the same and submit() is idempotent by source key — and gets
 * the same number; a repeat with another body gets 422. The binding is made atomically with
 * the allocation of the number (submit()'s guard), so two processes racing one key agree on
 * the body, and a conflicting repeat files nothing.
 *
 * The binding does not expire: the source record that maps the key to its number never does,
 * and a binding gone before it would let another body under the old key through to the old
 * number — answered as a replay while the new request was dropped. So a key stays bound to
 * its first body at any age: a new request needs a new key.
 *
 * No answer is stored: the number comes from submit() every time. Storing one would cost a
 * round trip on every request for the sake of the rare repeat; and a repeat that goes through
 * submit() again also queues a request whose first attempt was numbered but cut off (Redis
 * failed in between) before its job was added.
 */
import { hash } from 'node:crypto';
import type { SubmitGuard } from '../../intake/intake.js';

/**
 * What a portal may send as `Idempotency-Key`: printable ASCII, up to 200 characters, not
 * starting with `attach:` — the key is part of the request's source key, and an upload's source
 * key is `portal:<client>:attach:<number>:<checksums>`: such a key would make a new request the
 * repeat of an upload (or an upload the repeat of a request, and go unrecorded).
 */
export const IDEMPOTENCY_KEY = /^(?!attach:)[\x21-\x7e]{1,200}$/;
export const IDEMPOTENCY_KEY_RULE = 'expected 1 to 200 printable ASCII characters, e.g. a UUID, not starting with "attach:" (reserved for uploads)';

/**
 * The binding of `key` of `client` to the body's hash, as submit() takes it: checked and set
 * in the same atomic script that numbers the request, so a conflicting repeat files nothing
 * and the binding costs no round trip of its own.
 */
export function idempotencyGuard(prefix: string, client: string, key: string, body: unknown): SubmitGuard {
  // v2: a plain string (the body hash); v1 records were hashes with the answer beside it.
  // No ttlMs: the binding lasts as long as the source record it guards (see above).
  return { key: `${prefix}:portal:idem2:${client}:${key}`, value: bodyHash(body) };
}

/**
 * A hash of the body that ignores key order and whitespace: a portal re-serialising the same
 * object differently is still sending the same body.
 */
export function bodyHash(body: unknown): string {
  return hash('sha256', canonicalJson(body), 'hex');
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
