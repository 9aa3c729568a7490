/**
 * The list's index on a real Redis: it loads every stored request (open and closed), follows
 * the change feed, and reconciles what the feed missed (a change published while its
 * connection was down) by the stored versions.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import type { ServiceRequest } from '../../src/domain/request.js';
import { createLogger } from '../../src/logger.js';
import { RequestIndex, type ChangeAnnouncements } from '../../src/search/request-index.js';
import { RequestStore } from '../../src/store/request-store.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

let redis: PrivateRedis;
let client: Redis;
let subscriber: Redis;
let store: RequestStore;

beforeAll(async () => {
  redis = await startPrivateRedis();
  client = new Redis(redis.url);
  subscriber = new Redis(redis.url);
  store = new RequestStore(client, 'index-test');
});
afterAll(async () => {
  client?.disconnect();
  subscriber?.disconnect();
  await redis?.cleanup();
});

function request(number: string, overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  const at = '2026-11-20T08:47:00.000Z';
  return {
    number,
    status: 'accepted',
    acceptability: 'accepted',
    channel: 'email',
    kind: 'service',
    escalated: false,
    sourceKey: `test:${number}`,
    sentAt: at,
    stampedAt: at,
    language: 'pl',
    reporter: { name: 'Jan Kowalski', email: 'jan@example.pl' },
    customer: 'Łódzkie Zakłady',
    attachments: [],
    raw: {},
    appliedSources: [],
    updatedAt: at,
    version: 1,
    ...overrides,
  };
}

/** The change feed as the ops page has it: one subscriber on the store's channel. */
function feed(): ChangeAnnouncements {
  const listeners = new Set<(number: string) => void>();
  subscriber.on('message', (_channel: string, number: string) => {
    for (const listener of listeners) listener(number);
  });
  return {
    start: async () => {
      await subscriber.subscribe(store.keys.changes);
    },
    listen: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

describe('the request index', () => {
  it('loads open and closed requests, follows the feed, and reconciles a change the feed missed', async () => {
    await store.create(request('HZ-2026-000001'), []);
    await store.create(request('HZ-2026-000002', { status: 'closed', customer: 'Gdańskie Archiwum' }), []);
    const index = new RequestIndex(store, createLogger('silent'), feed());
    await index.start();
    expect(index.size).toBe(2);
    expect([...index.match('gdanskie')]).toEqual(['HZ-2026-000002']);

    // Through the feed.
    await store.create(request('HZ-2026-000003', { customer: 'Poznańska Drukarnia' }), []);
    await vi.waitFor(() => expect([...index.match('poznanska')]).toEqual(['HZ-2026-000003']), { timeout: 5_000 });

    // Missed by the feed: written while nobody listened.
    index.stop();
    await store.update('HZ-2026-000001', (current) => ({ request: { ...current, customer: 'Wrocławska Huta' }, events: [] }));
    await store.create(request('HZ-2026-000004', { customer: 'Wrocławska Huta' }), []);
    expect([...index.match('wroclawska')]).toEqual([]);
    expect(await index.reconcile()).toBe(2);
    expect([...index.match('wroclawska')].sort()).toEqual(['HZ-2026-000001', 'HZ-2026-000004']);
    expect([...index.match('lodzkie')]).toEqual([]);
    expect(await index.reconcile()).toBe(0);
  });
});
