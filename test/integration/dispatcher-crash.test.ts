/**
 * Dispatchers as separate processes (`hezo-intake serve --roles dispatcher`): one is killed
 * with SIGKILL in the middle of a batch, another takes over, and every request is stamped
 * exactly once; then Redis restarts under them and they carry on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft } from '../../src/domain/request.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

let redis: PrivateRedis;
let test: TestGateway;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  // This process only submits and reads; the dispatching happens in child processes.
  test = await startTestGateway(
    { intake: { prefix: 'crash', dispatchAttempts: 10, dispatchConcurrency: 8, lockDurationMs: 2000, stalledIntervalMs: 1000 } },
    { REDIS_URL: redis.url },
    { roles: ['web'] },
  );
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await test?.stop();
  await redis?.cleanup();
});

function startDispatcher(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve', '--roles', 'dispatcher'], {
    env: { ...process.env, HEZO_CONFIG_DIR: test.configDir, REDIS_URL: redis.url, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

async function stampedCount(): Promise<number> {
  const counts = await test.gateway.store.countByStatus();
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

function draft(i: number): IntakeDraft {
  return {
    channel: 'portal',
    kind: 'service',
    sourceKey: `portal:crash:${i}:${randomUUID()}`,
    sentAt: new Date().toISOString(),
    reporter: { email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    language: 'pl',
    silent: true,
  };
}

describe('dispatchers in separate processes', () => {
  it('stamps every request exactly once when a dispatcher is killed with -9 mid-batch', async () => {
    const total = 3000;
    const numbers: string[] = [];
    for (let i = 0; i < total; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, (_, j) => test.gateway.intake.submit(draft(i + j))));
      numbers.push(...batch.map((result) => result.requestNumber));
    }
    expect(new Set(numbers).size).toBe(total);

    const first = startDispatcher();
    await vi.waitFor(async () => expect(await stampedCount()).toBeGreaterThan(200), { timeout: 30_000, interval: 20 });
    first.kill('SIGKILL');
    const atKill = await stampedCount();
    expect(atKill).toBeLessThan(total);

    startDispatcher();
    await vi.waitFor(async () => expect(await stampedCount()).toBe(total), { timeout: 60_000, interval: 200 });
    // Each request was filed once: one 'filed' event each, and nothing stamped twice.
    const histories = await Promise.all(numbers.map((number) => test.gateway.store.history(number)));
    const filedCounts = histories.map((events) => events.filter((event) => event.type === 'filed').length);
    expect(filedCounts.every((count) => count === 1)).toBe(true);
    console.log(`crash test: ${total} submitted, ${atKill} stamped when the first dispatcher was killed, ${total} stamped once each in the end`);
  }, 120_000);

  it('carries on after Redis restarts, with what was stored kept by the append-only file', async () => {
    const before = await stampedCount();
    await redis.server.stop();
    await redis.server.restart();
    expect(await stampedCount()).toBe(before);
    const result = await vi.waitFor(() => test.gateway.intake.submit(draft(-1)), { timeout: 15_000, interval: 200 });
    await vi.waitFor(async () => expect(await test.gateway.store.get(result.requestNumber)).not.toBeNull(), { timeout: 30_000, interval: 100 });
  }, 60_000);
});
