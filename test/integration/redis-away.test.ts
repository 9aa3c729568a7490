/**
 * The gateway and a Redis that is not there, goes away or stalls (issue 16, items 2 and 3):
 * it starts without Redis and says so in one plain line, serves /healthz, takes requests by
 * itself once Redis comes, and stops within 8 s whatever Redis does.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmbeddedRedis } from '../../src/redis/embedded-redis.js';
import { findFreePort } from '../../src/redis/free-port.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startServeProcess, type ServeProcess } from '../support/serve-child.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DEMO_KEY = 'hezo-portal-demo-key';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function portalBody(): Record<string, unknown> {
  return {
    kind: 'service',
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki taśmowej',
    description: 'Robot nie chwyta taśmy.',
    language: 'pl',
  };
}

/** A gateway with every role on its own private Redis, a request filed and stamped (workers busy with Redis). */
async function runningGateway(): Promise<{ redis: PrivateRedis; test: TestGateway }> {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.cleanup());
  const test = await startTestGateway({ redis: { commandTimeoutMs: 1000 } }, { REDIS_URL: redis.url });
  cleanups.push(() => test.stop());
  const filed = await request(test.gateway.url).post('/api/v1/portal/requests').set('Authorization', `Bearer ${DEMO_KEY}`).send(portalBody());
  expect(filed.status).toBe(202);
  await vi.waitFor(async () => expect(await test.gateway.store.get(filed.body.requestNumber)).not.toBeNull(), { timeout: 20_000, interval: 100 });
  return { redis, test };
}

async function timedStop(test: TestGateway): Promise<number> {
  const started = Date.now();
  await test.gateway.stop();
  return Date.now() - started;
}

describe('Gateway.stop() is bounded', () => {
  it('ends within 8 s when Redis was killed under the running gateway', async () => {
    const { redis, test } = await runningGateway();
    await redis.server.kill();
    // As in the report: a moment for every connection to notice and start reconnecting.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await timedStop(test)).toBeLessThan(8_000);
  });

  it('ends within 8 s when Redis is stalled (SIGSTOP): no answer, no closed socket', async () => {
    const { redis, test } = await runningGateway();
    const pid = redis.server.pid ?? 0;
    process.kill(pid, 'SIGSTOP');
    cleanups.push(async () => process.kill(pid, 'SIGCONT'));
    expect(await timedStop(test)).toBeLessThan(8_000);
  });
});

const LATE_PASSWORD = 'late-redis-password';

describe('serve against a Redis that is not there', () => {
  let serve: ServeProcess;

  /** The port nothing listens on yet, and the folder (with its password) of the Redis that comes later there. */
  async function serveOnNothing(): Promise<{ port: number; dir: string }> {
    const port = await findFreePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-late-redis-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    // The private server takes the password it finds in its folder (src/redis/redis-files.ts).
    writeFileSync(path.join(dir, 'password'), `${LATE_PASSWORD}\n`, { mode: 0o600 });
    serve = await startServeProcess({ redis: { commandTimeoutMs: 1000 } }, { REDIS_URL: `redis://:${LATE_PASSWORD}@127.0.0.1:${port}` });
    cleanups.push(() => serve.cleanup());
    await serve.listening();
    return { port, dir };
  }

  it('listens anyway, says so in one plain line, and takes requests by itself once Redis comes', async () => {
    const { port, dir } = await serveOnNothing();
    expect((await request(serve.url).get('/healthz')).status).toBe(200);
    const notReady = await request(serve.url).get('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.redis).toMatchObject({ ok: false, detail: expect.stringContaining('ECONNREFUSED') });
    const refused = await request(serve.url).post('/api/v1/portal/requests').set('Authorization', `Bearer ${DEMO_KEY}`).send(portalBody());
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBeDefined();

    // The one plain line: which Redis, what failed, what to check.
    const plain = serve.stderr().trim().split('\n');
    expect(plain).toEqual([expect.stringMatching(new RegExp(`^Redis at redis://127\\.0\\.0\\.1:${port} is not reachable \\(connect ECONNREFUSED .*\\): nothing listens there: start Redis, or fix redis\\.url \\(set in environment REDIS_URL\\)`))]);

    const late = await EmbeddedRedis.start({ dir, port });
    expect(late.password).toBe(LATE_PASSWORD);
    cleanups.push(() => late.stop());
    await vi.waitFor(async () => expect((await request(serve.url).get('/readyz')).status).toBe(200), { timeout: 20_000, interval: 200 });
    const key = randomUUID();
    const filed = await vi.waitFor(
      async () => {
        const answer = await request(serve.url).post('/api/v1/portal/requests').set('Authorization', `Bearer ${DEMO_KEY}`).set('Idempotency-Key', key).send(portalBody());
        expect(answer.status).toBe(202);
        return answer;
      },
      { timeout: 10_000, interval: 200 },
    );
    // Stamped by the dispatcher that came up without Redis.
    await vi.waitFor(
      async () => {
        const status = await request(serve.url).get(`/api/v1/portal/requests/${filed.body.requestNumber}`).set('Authorization', `Bearer ${DEMO_KEY}`);
        expect(status.body).toMatchObject({ requestNumber: filed.body.requestNumber, status: 'accepted', responseDeadline: expect.anything() });
      },
      { timeout: 20_000, interval: 200 },
    );
    // No stack trace in the whole output while Redis was away (503s are one short line each).
    expect(serve.stdout()).not.toMatch(/\\n\s+at /);
    expect(serve.stdout()).not.toContain('"stack"');
  });

  it('ends at one SIGTERM within 10 s while Redis is still absent', async () => {
    await serveOnNothing();
    const started = Date.now();
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
