/**
 * Fault suite (`npm run test:faults`): duplicate deliveries against two gateway processes on
 * one Redis — the same mail appended twice, the same Twilio webhook replayed on the other
 * process, the same portal Idempotency-Key sent to both processes at once. Every accepted
 * submission must be exactly one request; the driver logs what it sent and compares.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RequestStore } from '../../src/store/request-store.js';
import { intakeKeys } from '../../src/intake/queues.js';
import { normalizeMessageId } from '../../src/domain/thread-keys.js';
import { findFreePort } from '../../src/redis/free-port.js';
import { startPrivateDovecot, type PrivateDovecot } from '../support/dovecot.js';
import { buildMail } from '../support/mail-gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { TwilioCall } from '../support/twilio-call.js';

const AUTH_TOKEN = 'faults-twilio-token';
const PREFIX = 'faults';
const PUBLIC_URL = 'https://intake.example.pl';
let redis: PrivateRedis;
let dovecot: PrivateDovecot;
let tmp: string;
const gateways: Array<{ child: ChildProcess; url: string }> = [];
let client: Redis;
let store: RequestStore;

async function startGatewayProcess(config: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await findFreePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve'], {
    env: { ...process.env, HEZO_CONFIG: config, REDIS_URL: redis.url, PORT: String(port), LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await vi.waitFor(async () => expect((await fetch(`${url}/readyz`)).status).toBe(200), { timeout: 30_000, interval: 200 });
  return { child, url };
}

beforeAll(async () => {
  [redis, dovecot] = await Promise.all([startPrivateRedis(), startPrivateDovecot()]);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-faults-'));
  const config = path.join(tmp, 'faults.json');
  writeFileSync(
    config,
    JSON.stringify({
      http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL },
      intake: { prefix: PREFIX, dispatchAttempts: 10, dispatchConcurrency: 8, lockDurationMs: 5000, stalledIntervalMs: 2000 },
      attachments: { dir: path.join(tmp, 'attachments'), maxBytes: 1048576 },
      twilio: { accountSid: '', authToken: AUTH_TOKEN, smsFrom: '', apiBaseUrl: '' },
      mailboxes: {
        list: [
          {
            name: 'pomoc',
            address: 'pomoc@myhezo.pl',
            kind: 'service',
            imap: { host: dovecot.host, port: dovecot.port, secure: false, user: 'pomoc', password: dovecot.password, rejectUnauthorized: false },
            processedFolder: 'Processed',
            quarantineFolder: 'Quarantine',
          },
        ],
        leaseTtlMs: 3000,
      },
    }),
  );
  gateways.push(await startGatewayProcess(config), await startGatewayProcess(config));
  client = new Redis(redis.url);
  store = new RequestStore(client, PREFIX);
}, 90_000);

afterAll(async () => {
  for (const { child } of gateways) child.kill('SIGTERM');
  await Promise.all(gateways.map(({ child }) => new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)))));
  client?.disconnect();
  await Promise.all([redis?.cleanup(), dovecot?.cleanup()]);
  rmSync(tmp, { recursive: true, force: true });
});

const keys = intakeKeys(PREFIX);
const numberOf = async (sourceKey: string): Promise<string | null> => client.hget(keys.source(sourceKey), 'number');
const totalStored = async (): Promise<number> => Object.values(await store.countByStatus()).reduce((a, b) => a + b, 0);

describe('duplicate deliveries across two gateway processes', () => {
  it('makes every duplicated submission exactly one request', async () => {
    const [a, b] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
    const driverLog: string[] = [];

    // 1. The same mail appended twice (a mail server retrying a delivery).
    const { raw, messageId } = buildMail({ subject: 'Awaria Q80', body: 'Numer umowy: HZ-2025-00017\nS/N: Q80-25-00412\n', from: 'Katarzyna Wójcik <katarzyna.wojcik@example.pl>' });
    await dovecot.append('pomoc', raw);
    await dovecot.append('pomoc', raw);
    const mailKey = `mail:${normalizeMessageId(messageId)}`;
    driverLog.push(mailKey, mailKey);
    await vi.waitFor(async () => expect(await dovecot.uids('pomoc', 'INBOX')).toEqual([]), { timeout: 30_000, interval: 200 });

    // 2. A whole call on process A, then its last webhook replayed on process B.
    const call = new TwilioCall(a.url as unknown as Express, { authToken: AUTH_TOKEN, publicUrl: PUBLIC_URL, from: '+48601200300' });
    await call.start();
    await call.silence();
    await call.press('1');
    const finalParams = { CallSid: call.callSid, AccountSid: 'ACtest', From: '+48601200300', To: '+48122525600', Direction: 'inbound', CallStatus: 'in-progress', Digits: '1' };
    const action = call.gather?.attributes.action ?? '/twilio/voice/step';
    await call.press('1');
    const replay = await request(b.url)
      .post(action)
      .type('form')
      .set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}${action}`, finalParams))
      .send(finalParams);
    expect(replay.status).toBe(200);
    const callKey = `call:${call.callSid}`;
    driverLog.push(callKey, callKey);

    // 3. One portal Idempotency-Key sent to both processes at the same moment.
    const body = {
      reporter: { name: 'Tomasz Kamiński', email: 'tomasz.kaminski@example.pl' },
      contractNumber: 'HZ-2025-00208',
      serialNumber: 'Q24-25-10277',
      subject: 'Napęd',
      description: 'Błąd napędu.',
      language: 'pl',
      kind: 'service',
    };
    const send = (url: string) =>
      request(url).post('/api/v1/portal/requests').set('Authorization', 'Bearer hezo-portal-demo-key').set('Idempotency-Key', 'faults-key-1').send(body);
    const [fromA, fromB] = await Promise.all([send(a.url), send(b.url)]);
    expect([fromA.status, fromB.status]).toEqual([202, 202]);
    expect(fromA.body.requestNumber).toBe(fromB.body.requestNumber);
    const portalKey = 'portal:demo:faults-key-1';
    driverLog.push(portalKey, portalKey);

    // Compare the driver's log with the store: one stamped request per distinct submission.
    const distinct = [...new Set(driverLog)];
    const numbers = await Promise.all(distinct.map(numberOf));
    expect(numbers.every(Boolean)).toBe(true);
    await vi.waitFor(async () => {
      for (const number of numbers) expect(await store.get(number as string)).not.toBeNull();
    }, { timeout: 30_000, interval: 200 });
    expect(new Set(numbers).size).toBe(distinct.length);
    expect(await totalStored()).toBe(distinct.length);
    console.log(`duplicates: ${driverLog.length} deliveries of ${distinct.length} submissions → ${await totalStored()} requests (${numbers.join(', ')})`);
  }, 120_000);
});
