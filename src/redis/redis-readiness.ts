/**
 * The `redis` check of /readyz: is the general connection up, does Redis answer, and — when
 * requests must be confirmed on replicas — are enough replicas connected for WAIT to succeed.
 * A connection that is down answers at once with what failed, instead of waiting for a PING
 * that sits in the offline queue until the check times out.
 */
import type { Redis } from 'ioredis';
import type { CheckResult } from '../util/readiness.js';
import type { RedisConnections } from './redis-connections.js';

export function redisReadiness(redis: Redis, connections: RedisConnections): () => Promise<CheckResult> {
  return async () => {
    if (redis.status !== 'ready') {
      return { ok: false, detail: `not connected to ${connections.display}: ${connections.lastError() ?? redis.status}` };
    }
    const started = performance.now();
    const answer = await redis.ping();
    const waiting = connections.notConnected();
    const detail = `${answer} in ${Math.round(performance.now() - started)} ms${waiting.length > 0 ? `; still reconnecting: ${waiting.join(', ')}` : ''}`;
    if (connections.minReplicasAcked === 0) return { ok: answer === 'PONG' && waiting.length === 0, detail };
    const replicas = Number(/connected_slaves:(\d+)/.exec(await redis.info('replication'))?.[1] ?? 0);
    const enough = replicas >= connections.minReplicasAcked;
    return {
      ok: answer === 'PONG' && enough && waiting.length === 0,
      detail: `${detail}; ${replicas} replica(s) connected, ${connections.minReplicasAcked} must confirm each request${enough ? '' : ': requests are refused (503) until enough are back'}`,
    };
  };
}
