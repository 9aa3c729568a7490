/**
 * Requests as an older version stored them, for the tests that an old request still reads
 * right: its `clock-started` event rewritten in Redis to the shape written before the clock
 * named its start (the deadline itself as `data`: `{ at, trace }`).
 */
import type { Redis } from 'ioredis';
import type { RequestStore } from '../../src/store/request-store.js';

/** Rewrites the stored clock event of `number` to the old shape; returns the old event's data. */
export async function storeClockEventInOldShape(redis: Redis, store: RequestStore, number: string): Promise<{ at: string; trace: string }> {
  const key = store.keys.history(number);
  const stored = await redis.lrange(key, 0, -1);
  const index = stored.findIndex((text) => (JSON.parse(text) as { type: string }).type === 'clock-started');
  if (index === -1) throw new Error(`${number} has no clock-started event`);
  const event = JSON.parse(stored[index]!) as { data: { responseDeadline: { at: string; trace: string } } };
  const old = { ...event, data: event.data.responseDeadline };
  await redis.lset(key, index, JSON.stringify(old));
  return old.data;
}
