/**
 * The gateway on a Redis Sentinel group (issue 16 items 5 and 6): passwords from files (as
 * Docker secrets are), every request confirmed on a replica before it is acknowledged (the
 * default with Sentinel), and a kill -9 of the primary followed by a promotion: the gateway
 * files again without a restart, and what it acknowledged before the kill is still there.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startSentinelGroup, type SentinelGroup } from '../support/sentinel.js';

const DEMO_KEY = 'hezo-portal-demo-key';
let group: SentinelGroup;
let test: TestGateway;
let secrets: string;

function portalBody(subject: string): Record<string, unknown> {
  return {
    kind: 'service',
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject,
    description: 'Robot nie chwyta taśmy.',
    language: 'pl',
  };
}

async function file(subject: string, key = randomUUID()) {
  return request(test.gateway.url).post('/api/v1/portal/requests').set('Authorization', `Bearer ${DEMO_KEY}`).set('Idempotency-Key', key).send(portalBody(subject));
}

async function stamped(requestNumber: string): Promise<void> {
  await vi.waitFor(async () => expect((await test.gateway.store.get(requestNumber))?.status).toBe('accepted'), { timeout: 30_000, interval: 100 });
}

beforeAll(async () => {
  group = await startSentinelGroup({ replicas: 2, password: 'data-secret', sentinelPassword: 'sentinel-secret' });
  secrets = mkdtempSync(path.join(os.tmpdir(), 'hezo-secrets-'));
  writeFileSync(path.join(secrets, 'redis-password'), 'data-secret\n');
  writeFileSync(path.join(secrets, 'sentinel-password'), 'sentinel-secret\n');
  test = await startTestGateway(
    { redis: { commandTimeoutMs: 1000 } },
    {
      REDIS_SENTINELS: group.sentinelList(),
      REDIS_SENTINEL_NAME: group.name,
      REDIS_PASSWORD_FILE: path.join(secrets, 'redis-password'),
      REDIS_SENTINEL_PASSWORD_FILE: path.join(secrets, 'sentinel-password'),
    },
    { roles: ['web', 'dispatcher', 'timers'] },
  );
}, 120_000);
afterAll(async () => {
  await test?.stop();
  await group?.cleanup();
  if (secrets) rmSync(secrets, { recursive: true, force: true });
});

describe('the gateway on Redis Sentinel', () => {
  it('finds the primary through the Sentinels, confirms on a replica and stamps requests', async () => {
    expect(test.gateway.redisProblem).toBeUndefined();
    expect(test.gateway.connections.minReplicasAcked).toBe(1);
    const ready = await request(test.gateway.url).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.redis.detail).toMatch(/2 replica\(s\) connected, 1 must confirm each request/);
    const filed = await file('before the failover');
    expect(filed.status).toBe(202);
    await stamped(filed.body.requestNumber);
  });

  it('files again without a restart after a kill -9 of the primary, and keeps what it acknowledged before', async () => {
    const acknowledged = await file('acknowledged just before the kill');
    expect(acknowledged.status).toBe(202);

    const old = await group.killPrimary();
    const killedAt = Date.now();
    const promoted = await group.waitForPromotion(old);
    expect(promoted.port).not.toBe(old.port);

    // The same Idempotency-Key until it is taken: 503 while the gateway finds the new primary.
    const key = randomUUID();
    const after = await vi.waitFor(
      async () => {
        const answer = await file('after the failover', key);
        expect(answer.status).toBe(202);
        return answer;
      },
      { timeout: 30_000, interval: 250 },
    );
    console.log(`Sentinel failover: first request filed ${Date.now() - killedAt} ms after the kill -9 of the primary`);
    await stamped(after.body.requestNumber);
    // Confirmed on a replica before its 202: the promoted replica has it.
    await stamped(acknowledged.body.requestNumber);
    expect(after.body.requestNumber).not.toBe(acknowledged.body.requestNumber);
    const client = group.clientOf(promoted);
    try {
      expect(await client.exists(`${test.gateway.settings.intake.prefix}:number:${acknowledged.body.requestNumber}`)).toBe(1);
    } finally {
      client.disconnect();
    }
  });
});
