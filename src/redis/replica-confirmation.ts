/**
 * "In Redis" means on `redis.minReplicasAcked` replicas before a source is acknowledged
 * (DESIGN.md section 6): confirm() resolves once the writes a caller made — and everything
 * written before them — are on that many replicas (Redis WAIT), so that a failover cannot take
 * back a request someone was told about.
 *
 * Why one connection of its own, one WAIT at a time, and a fence write before each WAIT:
 * - WAIT blocks its connection until the replicas answer or the timeout passes. On the
 *   auto-pipelined intake connection every command queued behind it — other requests'
 *   numbering — would wait too, and with one WAIT per request they would wait one replica
 *   round trip each, in a row. Here nothing else waits behind a WAIT.
 * - WAIT counts the replicas that have the connection's last write, and the replication offset
 *   is one sequence for the whole primary. So a small write on this connection (the fence),
 *   then WAIT, confirms every write any connection finished before the fence: the numbering and
 *   the queued job of every submit() that asked before it. One WAIT confirms them all (a group
 *   commit): a caller that asks while a WAIT is out joins the next one, never the one out —
 *   that fence may have run before its writes.
 * - A WAIT on the connection that wrote would not be enough: after a reconnect (a failover in
 *   between) that connection's last write is none, and WAIT answers at once — a confirmation
 *   of writes the new primary may never have seen. The fence script instead checks that the
 *   records the callers wrote are on the primary it runs on, so a write lost in a failover is
 *   reported as unconfirmed (the caller answers 503 and files again) instead of confirmed.
 */
import type { Redis } from 'ioredis';
import { IntakeError } from '../errors.js';
import type { RedisConnections } from './redis-connections.js';

/** A write to find on the primary before confirming: a source record and the job queued for it. */
export interface WrittenRecord {
  /** The source record (intake keys: `source`). */
  source: string;
  /** The BullMQ job of the submit; once the dispatcher ran it, the record's `queued` says so instead. */
  job: string;
  /** The `kind` the record must carry (an escalation flag set by this submit), or none. */
  kind?: string;
}

/**
 * KEYS: the fence counter, then per record its source and job keys. ARGV: the kind each record
 * must carry ('' for any). Returns the 1-based numbers of the records not found.
 */
const FENCE = `
local missing = {}
for i = 2, #KEYS, 2 do
  local n = (i - 2) / 2 + 1
  local found = redis.call('EXISTS', KEYS[i]) == 1
  if found and redis.call('EXISTS', KEYS[i + 1]) == 0 and redis.call('HGET', KEYS[i], 'queued') ~= '1' then found = false end
  if found and ARGV[n] ~= '' and redis.call('HGET', KEYS[i], 'kind') ~= ARGV[n] then found = false end
  if not found then missing[#missing + 1] = n end
end
redis.call('INCR', KEYS[1])
return missing`;

interface Waiter {
  records: readonly WrittenRecord[];
  resolve: () => void;
  reject: (error: IntakeError) => void;
}

export class ReplicaConfirmation {
  private readonly redis: Redis | undefined;
  private readonly fenceKey: string;
  private waiting: Waiter[] = [];
  private running = false;

  constructor(
    private readonly connections: RedisConnections,
    prefix: string,
  ) {
    this.fenceKey = `${prefix}:replica-fence`;
    // No offline queue: while Redis is away a confirmation fails at once (503), not later.
    this.redis = connections.minReplicasAcked > 0 ? connections.client({ purpose: 'replica-wait', offlineQueue: false }) : undefined;
  }

  /** Replicas that must confirm (0: confirm() resolves at once). */
  get required(): number {
    return this.connections.minReplicasAcked;
  }

  /**
   * Resolves once `records` are on the primary and every write finished before this call is on
   * the required number of replicas; rejects with a retryable REDIS_UNAVAILABLE otherwise.
   */
  confirm(records: readonly WrittenRecord[] = []): Promise<void> {
    if (!this.redis) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ records, resolve, reject });
      this.next();
    });
  }

  async close(graceMs = 500): Promise<void> {
    for (const waiter of this.waiting.splice(0)) waiter.reject(unconfirmed('the gateway is stopping'));
    if (this.redis) await this.connections.close(this.redis, graceMs);
  }

  private next(): void {
    if (this.running || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0);
    this.running = true;
    void this.fence(batch).finally(() => {
      this.running = false;
      this.next();
    });
  }

  private async fence(batch: readonly Waiter[]): Promise<void> {
    const redis = this.redis as Redis;
    const records = batch.flatMap((waiter) => waiter.records);
    const keys = [this.fenceKey, ...records.flatMap((record) => [record.source, record.job])];
    const kinds = records.map((record) => record.kind ?? '');
    const { required } = this;
    const timeoutMs = this.connections.waitTimeoutMs;
    try {
      // Sent together, in this order, on this connection: the fence runs, then WAIT counts the
      // replicas that have it.
      const [missing, replicas] = await Promise.all([redis.eval(FENCE, keys.length, ...keys, ...kinds) as Promise<number[]>, redis.wait(required, timeoutMs)]);
      const lost = new Set(missing);
      let at = 0;
      for (const waiter of batch) {
        const mine = waiter.records.map(() => ++at);
        if (mine.some((n) => lost.has(n))) waiter.reject(unconfirmed('its record is not on the primary (lost in a failover?)'));
        else if (replicas < required) waiter.reject(unconfirmed(`${replicas} of ${required} replica(s) confirmed it within ${timeoutMs} ms`));
        else waiter.resolve();
      }
    } catch (error) {
      for (const waiter of batch) waiter.reject(unconfirmed(`Redis did not answer the confirmation (${(error as Error).message})`));
    }
  }
}

function unconfirmed(why: string): IntakeError {
  return new IntakeError('REDIS_UNAVAILABLE', `Not yet confirmed on enough Redis replicas: ${why}. Nothing was acknowledged; try again (the same request files nothing twice).`);
}
