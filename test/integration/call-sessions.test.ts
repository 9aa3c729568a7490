/**
 * Call sessions: Redis first, this process's copy when Redis cannot answer — kept for the
 * session TTL while the call goes on, and only FINISHED_LOCAL_SECONDS once it is filed, so
 * that a busy hotline does not hold an hour of finished calls in memory.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSession } from '../../src/channels/phone/call-flow.js';
import { startCall } from '../../src/channels/phone/call-flow.js';
import { CallSessions, FINISHED_LOCAL_SECONDS } from '../../src/channels/phone/call-session.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const TTL_SECONDS = 3_600;
let redis: PrivateRedis;
let client: Redis;
let clock = Date.parse('2026-11-27T09:00:00Z');

function call(callSid: string): CallSession {
  return startCall({ callSid, line: 'hotline', from: '+48600100200', to: '+48122525600', startedAt: new Date(clock).toISOString() }).session;
}

beforeAll(async () => {
  redis = await startPrivateRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  await new Promise((resolve) => client.once('ready', resolve));
});
afterAll(async () => {
  client?.disconnect();
  await redis?.cleanup();
});

describe('CallSessions', () => {
  it('keeps a call in progress for the TTL and a finished call only for minutes, Redis or not', async () => {
    const sessions = new CallSessions({ redis: client, prefix: 'hezo-sessions', ttlSeconds: TTL_SECONDS, logger: createLogger('silent'), timeoutMs: 200, now: () => clock });
    const talking = call('CA00000000000000000000000000000001');
    const filed: CallSession = { ...call('CA00000000000000000000000000000002'), finished: 'filed', requestNumber: 'HZ-2026-000001' };
    await sessions.save(talking);
    await sessions.save(filed);
    expect(sessions.localCopies()).toEqual({ live: 1, finished: 1 });
    // Both are in Redis with the TTL, whatever the local copy's lifetime.
    expect(await client.ttl(sessions.key(filed.callSid))).toBeGreaterThan(TTL_SECONDS - 5);
    expect((await sessions.get(filed.callSid))?.requestNumber).toBe('HZ-2026-000001');

    await redis.server.stop();
    // Redis is down: the copies answer.
    expect((await sessions.get(talking.callSid))?.step).toBe('language');
    expect((await sessions.get(filed.callSid))?.finished).toBe('filed');

    clock += (FINISHED_LOCAL_SECONDS + 1) * 1000;
    expect(await sessions.get(filed.callSid)).toBeUndefined();
    expect((await sessions.get(talking.callSid))?.callSid).toBe(talking.callSid);
    expect(sessions.localCopies()).toEqual({ live: 1, finished: 0 });

    // The call in progress finishes (saved while Redis is down): its copy moves to the short lifetime.
    await sessions.save({ ...talking, finished: 'spooled' });
    expect(sessions.localCopies()).toEqual({ live: 0, finished: 1 });
    expect((await sessions.get(talking.callSid))?.finished).toBe('spooled');
    clock += (FINISHED_LOCAL_SECONDS + 1) * 1000;
    expect(await sessions.get(talking.callSid)).toBeUndefined();
    expect(sessions.localCopies()).toEqual({ live: 0, finished: 0 });
  });

  // Redis stays down from the test above: only the local copy can answer.
  it('drops its copy of a call in progress after the TTL', async () => {
    const sessions = new CallSessions({ redis: client, prefix: 'hezo-sessions', ttlSeconds: 60, logger: createLogger('silent'), timeoutMs: 200, now: () => clock });
    const talking = call('CA00000000000000000000000000000003');
    await sessions.save(talking);
    clock += 59_000;
    expect((await sessions.get(talking.callSid))?.callSid).toBe(talking.callSid);
    clock += 2_000;
    expect(await sessions.get(talking.callSid)).toBeUndefined();
    expect(sessions.localCopies()).toEqual({ live: 0, finished: 0 });
  });
});
