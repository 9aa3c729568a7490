/**
 * Acknowledged means on a replica (issue 16 item 6): with redis.minReplicasAcked 1, a request
 * is acknowledged — the portal's 202, the acknowledgment mail, the number read to a caller —
 * only after WAIT confirmed it on a replica. With the replica stalled (SIGSTOP: connected, but
 * no acknowledgment of the replication stream) each channel behaves as when Redis is down, and
 * once the replica is back the retry files nothing twice.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startSentinelGroup, type SentinelGroup } from '../support/sentinel.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { TwilioCall } from '../support/twilio-call.js';

const DEMO_KEY = 'hezo-portal-demo-key';
const PUBLIC_URL = 'https://intake.example.pl';
const AUTH_TOKEN = 'redis-wait-token';
let group: SentinelGroup;
let smtp: TestSmtpServer;
let test: TestGateway;

beforeAll(async () => {
  // A primary and one replica, no Sentinel: the replica count is set explicitly.
  [group, smtp] = await Promise.all([startSentinelGroup({ replicas: 1, sentinels: 0 }), startSmtpServer()]);
  test = await startTestGateway(
    {
      http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
      redis: { url: group.nodes[0]?.url(), minReplicasAcked: 1, waitTimeoutMs: 400, commandTimeoutMs: 1000 },
      mail: { from: 'myHEZO Pomoc <pomoc@myhezo.pl>', messageIdDomain: 'intake.myhezo.pl', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false } },
      notify: { attempts: 50, backoffMs: 200, maxBackoffMs: 500, ackPerSenderPerHour: 1000 },
      twilio: { accountSid: '', authToken: AUTH_TOKEN, smsFrom: '', apiBaseUrl: '' },
    },
    {},
    { roles: ['web', 'dispatcher', 'timers', 'notify'] },
  );
}, 60_000);
afterAll(async () => {
  await test?.stop();
  await Promise.all([group?.cleanup(), smtp?.stop()]);
});

/** Runs `work` with the replica stalled, and resumes it whatever happens. */
async function withReplicaStalled<T>(work: () => Promise<T>): Promise<T> {
  const replica = group.nodes[1];
  if (!replica) throw new Error('the group has no replica');
  replica.pause();
  try {
    return await work();
  } finally {
    replica.resume();
  }
}

function portalBody(email: string): Record<string, unknown> {
  return {
    kind: 'service',
    reporter: { name: 'Anna Nowak', email },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki taśmowej',
    description: 'Robot nie chwyta taśmy.',
    language: 'pl',
  };
}

/** Call drafts waiting in the gateway's phone spool, as /readyz reports them. */
async function spooledCalls(): Promise<number> {
  const detail = String((await request(test.gateway.url).get('/readyz')).body.checks['phone-spool']?.detail);
  return Number(/^(\d+) call drafts/.exec(detail)?.[1] ?? NaN);
}

const mailsTo = (address: string) => smtp.messages.filter((mail) => mail.envelope.to.includes(address));
const portal = (email: string, key: string) =>
  request(test.gateway.url).post('/api/v1/portal/requests').set('Authorization', `Bearer ${DEMO_KEY}`).set('Idempotency-Key', key).send(portalBody(email));

describe('requests confirmed on a replica before they are acknowledged', () => {
  it('files and acknowledges while the replica confirms', async () => {
    const email = `wait-ok-${randomUUID().slice(0, 8)}@klient.pl`;
    const filed = await portal(email, randomUUID());
    expect(filed.status).toBe(202);
    await vi.waitFor(() => expect(mailsTo(email)).toHaveLength(1), { timeout: 20_000, interval: 100 });
    expect(mailsTo(email)[0]?.subject).toContain(filed.body.requestNumber);
  });

  it('answers 503 with Retry-After and acknowledges nothing while the replica is stalled; the same Idempotency-Key then gets 202 and one request', async () => {
    const email = `wait-stalled-${randomUUID().slice(0, 8)}@klient.pl`;
    const key = randomUUID();
    await withReplicaStalled(async () => {
      const refused = await portal(email, key);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBeDefined();
      expect(refused.body.error).toMatchObject({ code: 'REDIS_UNAVAILABLE', retryable: true });
      // The dispatcher may stamp it on the primary meanwhile, but no one is told its number.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(mailsTo(email)).toHaveLength(0);
    });

    const accepted = await vi.waitFor(
      async () => {
        const answer = await portal(email, key);
        expect(answer.status).toBe(202);
        return answer;
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(accepted.headers['idempotent-replayed']).toBe('true');
    await vi.waitFor(() => expect(mailsTo(email)).toHaveLength(1), { timeout: 20_000, interval: 100 });
    const filed = (await test.gateway.store.listOpen()).filter((r) => r.sourceKey === `portal:demo:${key}`);
    expect(filed.map((r) => r.number)).toEqual([accepted.body.requestNumber]);
  });

  it('tells a caller the request is being registered while the replica is stalled, and files the spooled call once it is back', async () => {
    const app = test.gateway.app;
    if (!app) throw new Error('the gateway has no web role');
    const call = await new TwilioCall(app, { authToken: AUTH_TOKEN, publicUrl: PUBLIC_URL, from: '+48600100200' }).start();
    await call.silence();
    await call.press('1');
    await call.press('240517');
    await withReplicaStalled(async () => {
      await call.press('1');
      expect(call.said).toContain('Twoje zgłoszenie jest rejestrowane. Oddzwonimy z jego numerem.');
      // No number is read out: none is confirmed yet.
      expect(call.said).not.toMatch(/\d/);
      expect(await spooledCalls()).toBe(1);
    });
    // The spool files it once the replica confirms (the dispatcher may have stamped the
    // unconfirmed first try already: the spool's filing is then a confirmed duplicate).
    await vi.waitFor(async () => expect(await spooledCalls()).toBe(0), { timeout: 20_000, interval: 200 });
    const stored = await vi.waitFor(
      async () => {
        const found = (await test.gateway.store.listOpen()).filter((r) => r.sourceKey === `call:${call.callSid}`);
        expect(found).toHaveLength(1);
        return found;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(stored[0]).toMatchObject({ status: 'accepted', serialNumber: 'XLS812-240517' });
  });
});
