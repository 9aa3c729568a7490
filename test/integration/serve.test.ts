import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  });
});
