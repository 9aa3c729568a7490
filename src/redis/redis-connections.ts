/**
 * The one way components get a Redis connection. Every connection the gateway opens — the
 * general client, the call sessions', submit()'s, BullMQ's queues and workers, the notifier's,
 * the ops page's change feed — comes from one `RedisConnections`, built once from the settings
 * (src/redis/connections.ts). So TLS, ACL credentials and Sentinel are decided in one place, and
 * a stop can drop whatever is still open in one call.
 */
import type { Redis } from 'ioredis';

/** How one connection behaves, beyond where Redis is and how to sign in. */
export interface ConnectionTuning {
  /** What the connection is for; shown in `CLIENT LIST` as `hezo:<purpose>`. */
  purpose: string;
  /** Commands issued in one tick leave in one socket write (throughput over latency). Default false. */
  autoPipelining?: boolean;
  /**
   * Keep commands while disconnected and send them on reconnect (true, the default), or fail
   * them at once (false) so that a caller can answer "unavailable" instead of waiting.
   */
  offlineQueue?: boolean;
  /** Reconnects a command may wait through before it fails; null: for ever (subscribers). Default 1. */
  maxRetriesPerRequest?: number | null;
  /**
   * This connection's losses and returns are logged, one line each (the general client). The
   * others stay quiet: a Redis outage is one story, not one per connection.
   */
  watched?: boolean;
}

export interface RedisConnections {
  /**
   * Where Redis is, without credentials, for messages and logs: `redis://10.0.0.1:6379`,
   * `rediss://redis.internal:6380`, `Sentinel "hezo" via 10.0.0.5:26379,10.0.0.6:26379`.
   */
  readonly display: string;
  /** Replicas that must confirm a request's writes (WAIT) before its source is acknowledged; 0: none. */
  readonly minReplicasAcked: number;
  /** How long that confirmation may take. */
  readonly waitTimeoutMs: number;
  /**
   * Tries Redis once at start, within `timeoutMs` (a write under `keyPrefix`, as the gateway
   * will make). Resolves undefined when Redis takes it, or the one plain line to print when
   * Redis is not there (yet); rejects with a SETTINGS_INVALID IntakeError naming the setting
   * when Redis refuses the gateway (a wrong password, a certificate our CA does not accept, a
   * read-only replica) — see ./redis-failures.ts.
   */
  checkAtStart(timeoutMs: number, keyPrefix: string): Promise<string | undefined>;
  /** A new connection; it connects in the background and reconnects by itself. */
  client(tuning: ConnectionTuning): Redis;
  /**
   * The connection to hand BullMQ (it connects on first use). A Queue uses it as it is; a Worker
   * opens its two (commands, and the blocking fetch, which waits through reconnects) by
   * duplicating it, and those duplicates belong to it. Handed, not options: BullMQ cannot drop
   * a connection that never came up (its disconnect() first waits for it to be ready), so a
   * stop drops them here — `close(client)` takes the duplicates along.
   */
  bullmq(purpose: string, kind: 'queue' | 'worker'): Redis;
  /**
   * Closes one connection, and any made from it with duplicate(), within `ms`: QUIT when it is
   * connected (replies flushed), else — and past `ms` — dropped.
   */
  close(client: Redis, ms: number): Promise<void>;
  /** Whether this connection, or one duplicated from it, is connected now. */
  connected(client: Redis): boolean;
  /** The last connection error seen (e.g. `connect ECONNREFUSED 10.0.0.1:6379`), for /readyz. */
  lastError(): string | undefined;
  /**
   * The purposes of connections made here that are trying to (re)connect now — not those not
   * used yet. /readyz is not ready while one is: after an outage the general client can be back
   * before submit()'s, and a portal POST would still get 503.
   */
  notConnected(): string[];
  /** Drops every connection made here that is still open: the last step of a stop. */
  disconnectAll(): void;
}
