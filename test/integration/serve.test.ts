import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

let redis: PrivateRedis;
let test: TestGateway;

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway({}, { REDIS_URL: redis.url });
});
afterAll(async () => {
  await test?.stop();
  await redis?.cleanup();
});

describe('the HTTP server', () => {
  it('answers /healthz', async () => {
    const res = await request(test.gateway.url).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('is ready with Redis and the registry, and says which checks passed', async () => {
    const res = await request(test.gateway.url).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.redis).toMatchObject({ ok: true });
    expect(res.body.checks.contracts.detail).toMatch(/^5 contracts/);
  });

  it('answers unknown routes with a 404 in the error shape', async () => {
    const res = await request(test.gateway.url).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reports not-ready while Redis is down (liveness stays up) and recovers when it is back', async () => {
    await redis.server.stop();
    try {
      const down = await request(test.gateway.url).get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body.checks.redis.ok).toBe(false);
      expect((await request(test.gateway.url).get('/healthz')).status).toBe(200);
    } finally {
      await redis.server.restart();
    }
    await expect
      .poll(async () => (await request(test.gateway.url).get('/readyz')).status, { timeout: 15_000, interval: 200 })
      .toBe(200);
    // And the queue workers carry on: a request submitted now is stamped. (This also keeps the
    // stop below from racing the workers' reconnection; see closeWithin in src/util/timeouts.ts.)
    const filed = await vi.waitFor(
      () =>
        test.gateway.intake.submit({
          channel: 'portal',
          kind: 'service',
          sourceKey: `portal:serve-test:${Date.now()}`,
          sentAt: new Date().toISOString(),
          reporter: { email: 'anna.nowak@example.pl' },
          contractNumber: 'HZ-2026-00123',
          serialNumber: 'XLS812-240517',
          language: 'pl',
          silent: true,
        }),
      { timeout: 15_000, interval: 200 },
    );
    await vi.waitFor(async () => expect(await test.gateway.store.get(filed.requestNumber)).not.toBeNull(), { timeout: 30_000, interval: 100 });
  });

  it('fails to start on a taken HTTP port and leaves no Redis connection behind', async () => {
    const own = await startPrivateRedis();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const probe = new Redis(own.url);
    try {
      await expect(startTestGateway({ http: { host: '127.0.0.1', port } }, { REDIS_URL: own.url })).rejects.toMatchObject({
        code: 'PORT_UNAVAILABLE',
        message: `port ${port} on 127.0.0.1 is in use by another program; choose another with --port N (or PORT=N)`,
      });
      // Only the probe itself is left: the ops page's queues and subscriber were closed too.
      await vi.waitFor(async () => expect(((await probe.client('LIST')) as string).trim().split('\n')).toHaveLength(1), { timeout: 10_000, interval: 100 });
    } finally {
      probe.disconnect();
      blocker.close();
      await own.cleanup();
    }
  });

  it('says so when http.host is not an address of this machine', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a machine.
    // With an auth token: without one, an address reachable from outside is refused before listening.
    await expect(startTestGateway({ http: { host: '192.0.2.1', port: 0 }, twilio: { authToken: 'serve-test-auth-token-0123456789' } }, { REDIS_URL: redis.url })).rejects.toMatchObject({
      code: 'PORT_UNAVAILABLE',
      message: expect.stringMatching(/^192\.0\.2\.1 is not an address of this machine.*set http\.host \(or HOST\)/),
    });
  });
});
