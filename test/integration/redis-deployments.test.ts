/**
 * Redis as deployments run it (issue 16 item 5): TLS with a CA file, an ACL user whose password
 * comes from a file, and what a person starting the gateway is told when Redis refuses it — a
 * certificate our CA does not vouch for, a wrong password: exit 78 naming the setting.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../src/cli.js';
import { startTestGateway } from '../support/gateway.js';
import { RedisNode } from '../support/redis-node.js';
import { startTlsRedis } from '../support/redis-tls.js';
import { startServeProcess } from '../support/serve-child.js';

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

const noTls = { caFile: '', certFile: '', keyFile: '', servername: '' };

describe('Redis over TLS with a CA file', () => {
  it('files and stamps requests over rediss://, signed in as an ACL user whose password is read from a file', async () => {
    // The default user is off: only `gateway` with its password gets in.
    const tls = await startTlsRedis({ config: ['user default off', 'user gateway on >gw-tls-secret ~* &* +@all'] });
    cleanups.push(() => tls.cleanup());
    const passwordFile = path.join(tls.certificates.dir, 'redis-password');
    writeFileSync(passwordFile, 'gw-tls-secret\n');
    const test = await startTestGateway(
      { redis: { url: tls.url, tls: { ...noTls, caFile: tls.certificates.caFile } } },
      { REDIS_USERNAME: 'gateway', REDIS_PASSWORD_FILE: passwordFile },
      { roles: ['web', 'dispatcher'] },
    );
    cleanups.push(() => test.stop());
    expect(test.gateway.redisProblem).toBeUndefined();
    expect(test.gateway.connections.display).toBe(tls.url);

    const filed = await request(test.gateway.url).post('/api/v1/portal/requests').set('Authorization', `Bearer ${DEMO_KEY}`).set('Idempotency-Key', randomUUID()).send(portalBody());
    expect(filed.status).toBe(202);
    await vi.waitFor(async () => expect((await test.gateway.store.get(filed.body.requestNumber))?.status).toBe('accepted'), { timeout: 20_000, interval: 100 });
    expect((await request(test.gateway.url).get('/readyz')).body.checks.redis).toMatchObject({ ok: true });
    // Every connection went over TLS as `gateway`: the server saw no one else.
    const clients = (await test.gateway.redis.client('LIST')) as string;
    expect(clients.trim().split('\n').every((line) => / user=gateway /.test(line))).toBe(true);
  });

  it('does not start against a certificate the CA does not vouch for: exit 78 naming redis.tls.caFile and where it was set', async () => {
    const tls = await startTlsRedis();
    cleanups.push(() => tls.cleanup());
    const serve = await startServeProcess({}, { REDIS_URL: tls.url, REDIS_TLS_CA_FILE: tls.certificates.otherCaFile });
    cleanups.push(() => serve.cleanup());
    expect(await serve.exited).toBe(EXIT.settings);
    expect(serve.stderr()).toContain(`Redis at ${tls.url} refused the gateway; it did not start. Fix:`);
    expect(serve.stderr()).toMatch(/environment REDIS_TLS_CA_FILE: redis\.tls\.caFile: the server's certificate is not accepted \(\w+: /);
    expect(serve.stderr()).not.toMatch(/\n\s+at /);
  });
});

describe('a Redis that refuses the password', () => {
  it('makes serve exit 78 naming redis.password and the variable that set it', async () => {
    const node = await RedisNode.start({ config: ['requirepass right-password'], password: 'right-password' });
    cleanups.push(() => node.cleanup());
    const serve = await startServeProcess({}, { REDIS_URL: node.url(), REDIS_PASSWORD: 'wrong-password' });
    cleanups.push(() => serve.cleanup());
    expect(await serve.exited).toBe(EXIT.settings);
    expect(serve.stderr()).toMatch(/environment REDIS_PASSWORD: redis\.password: Redis refused it \(WRONGPASS [^)]*\); it can also be set with REDIS_PASSWORD or REDIS_PASSWORD_FILE/);
    expect(serve.stderr()).not.toContain('wrong-password');
    expect(serve.stdout()).not.toContain('wrong-password');
  });

  it('says which setting to fill when Redis asks for a password and none is set', async () => {
    const node = await RedisNode.start({ config: ['requirepass right-password'], password: 'right-password' });
    cleanups.push(() => node.cleanup());
    const serve = await startServeProcess({}, { REDIS_URL: node.url() });
    cleanups.push(() => serve.cleanup());
    expect(await serve.exited).toBe(EXIT.settings);
    expect(serve.stderr()).toMatch(/not set: redis\.password: Redis asks for a password and none is set \(NOAUTH [^)]*\); set it in config\/local\.json, or with REDIS_PASSWORD or REDIS_PASSWORD_FILE/);
  });
});
