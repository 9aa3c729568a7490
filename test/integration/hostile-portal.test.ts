/**
 * Hostile and malformed portal bodies: wrong types, deep nesting, prototype-pollution keys and
 * random JSON. Each gets a clear 4xx (or is filed when it happens to be valid), nothing crashes,
 * nothing pollutes Object.prototype, and the requests around them are unaffected.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const KEY = 'hezo-portal-demo-key';
let redis: PrivateRedis;
let test: TestGateway;

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway({ portal: { apiKeys: {}, maxBodyBytes: 65536, maxAttachmentsPerRequest: 20, sentAtMaxAgeMs: 604800000, rateLimitWindowMs: 60000, rateLimitMax: 100000 } }, { REDIS_URL: redis.url });
});
afterAll(async () => {
  await test?.stop();
  await redis?.cleanup();
});

const valid = {
  reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl', phone: '+48 600 100 200' },
  contractNumber: 'HZ-2026-00123',
  serialNumber: 'XLS812-240517',
  subject: 'Awaria',
  description: 'Robot stoi.',
  language: 'pl',
  kind: 'service',
};

function post(body: string) {
  return request(test.gateway.url).post('/api/v1/portal/requests').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/json').send(body);
}

describe('hostile portal bodies', () => {
  it.each([
    ['prototype pollution through __proto__', '{"__proto__": {"polluted": "yes"}, "reporter": {"__proto__": {"polluted": "yes"}}}'],
    ['prototype pollution through constructor.prototype', '{"constructor": {"prototype": {"polluted": "yes"}}}'],
    ['wrong types everywhere', '{"reporter": "Anna", "contractNumber": 123, "serialNumber": [], "language": true, "kind": null}'],
    ['deep nesting', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`],
    ['deep arrays', `${'['.repeat(20000)}${']'.repeat(20000)}`],
    ['not JSON at all', '{"reporter": '],
    ['a JSON string instead of an object', '"HZ-2026-00123"'],
    ['huge strings', JSON.stringify({ ...valid, description: 'x'.repeat(200_000) })],
  ])('answers %s with a 4xx and no crash', async (_name, body) => {
    const res = await post(body);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error?.code).toEqual(expect.any(String));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers random JSON values with a 4xx or files them, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 6 }),
          fc.record({ ...Object.fromEntries(Object.keys(valid).map((key) => [key, fc.jsonValue({ maxDepth: 3 })])) }, { requiredKeys: [] }),
        ),
        async (value) => {
          const res = await post(JSON.stringify(value));
          expect([202, 400, 413, 422]).toContain(res.status);
        },
      ),
      { numRuns: 150 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('still files a valid request after all of that', async () => {
    const res = await post(JSON.stringify(valid));
    expect(res.status).toBe(202);
    expect(res.body.requestNumber).toMatch(/^HZ-\d{4}-\d{6}$/);
    expect((await request(test.gateway.url).get('/healthz')).status).toBe(200);
  });
});
