/**
 * No call lost when Redis goes down mid-call (DESIGN.md section 6): the call goes on from the
 * process's copy of the session, the caller hears that the request is being registered, the
 * draft waits in the local spool, and it is filed once the private redis-server is back.
 */
import { readdirSync, statSync } from 'node:fs';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createPhoneChannel, type PhoneChannel } from '../../src/channels/phone/routes.js';
import { Readiness } from '../../src/util/readiness.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { TwilioCall } from '../support/twilio-call.js';

const PUBLIC_URL = 'https://intake.example.pl';
const AUTH_TOKEN = 'phone-redis-down-token';
let redis: PrivateRedis;
let test: TestGateway;
let phone: PhoneChannel;
let app: Express;

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway(
    { http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL }, intake: { prefix: 'hezo-phone-down' }, twilio: { accountSid: '', authToken: AUTH_TOKEN, smsFrom: '', apiBaseUrl: '' } },
    { REDIS_URL: redis.url },
  );
  const g = test.gateway;
  phone = createPhoneChannel({
    intake: g.intake,
    registry: () => g.registry.current,
    calendar: g.calendar,
    store: g.store,
    redis: g.redis,
    settings: g.settings,
    logger: g.logger,
    spoolRetryMs: 200,
    spoolDir: `${test.root}/phone-spool`,
  });
  phone.start();
  app = buildApp({ readiness: new Readiness(), logger: g.logger, routes: [{ path: '/twilio', router: phone.router }] });
});
afterAll(async () => {
  await phone?.close();
  await test?.stop();
  await redis?.cleanup();
});

describe('Redis down during a call', () => {
  it('tells the caller the request is being registered and files it when Redis is back', async () => {
    const c = await new TwilioCall(app, { authToken: AUTH_TOKEN, publicUrl: PUBLIC_URL, from: '+48600100200' }).start();
    await c.silence();
    await c.press('1');

    await redis.server.stop();
    // The call goes on without Redis: the session comes from the process's copy.
    await c.press('240517');
    expect(c.said).toContain('numer seryjny X L S 8 1 2, 2 4 0 5 1 7');
    await c.press('1');
    expect(c.said).toContain('Twoje zgłoszenie jest rejestrowane. Oddzwonimy z jego numerem.');
    expect(c.verbs.at(-1)?.name).toBe('Hangup');
    expect(await phone.spool.pending()).toBe(1);
    // The caller's number waits on disk: for the gateway's user only.
    const spoolDir = `${test.root}/phone-spool`;
    expect(statSync(spoolDir).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(spoolDir)) expect({ file, mode: statSync(`${spoolDir}/${file}`).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    // The status callback of the ended call must not file it a second time.
    expect(await c.hangUp()).toBe(204);

    await redis.server.restart();
    const stored = await vi.waitFor(
      async () => {
        const found = (await test.gateway.store.listOpen()).filter((r) => r.sourceKey === `call:${c.callSid}`);
        if (found.length === 0) throw new Error('not filed yet');
        return found;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ status: 'accepted', serialNumber: 'XLS812-240517', reporter: { phone: '+48600100200' } });
    // sentAt is the call start, not the time Redis came back.
    expect(Date.parse(stored[0]?.sentAt ?? '')).toBeLessThan(Date.parse(stored[0]?.stampedAt ?? ''));
    expect(await phone.spool.pending()).toBe(0);
  });
});
