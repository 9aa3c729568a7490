/**
 * An engineer's reply records "contacted" when the notify worker has sent it — also when the
 * job runs again after a crash between the send and its completion: the re-run finds the sent
 * marker, sends nothing, and records the contact at the first send's time.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServiceRequest } from '../../src/domain/request.js';
import { createLogger } from '../../src/logger.js';
import { Notifier } from '../../src/notify/notifier.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

let redis: PrivateRedis;
let smtp: TestSmtpServer;
let test: TestGateway;
let queue: Notifier;

beforeAll(async () => {
  [redis, smtp] = await Promise.all([startPrivateRedis(), startSmtpServer()]);
  test = await startTestGateway(
    {
      mail: { from: 'myHEZO Pomoc <pomoc@myhezo.pl>', messageIdDomain: 'intake.myhezo.pl', smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false } },
      notify: { attempts: 20, backoffMs: 200, maxBackoffMs: 1000, ackPerSenderPerHour: 1000 },
    },
    { REDIS_URL: redis.url },
  );
  // Queues only: the gateway's own worker delivers.
  queue = new Notifier({ connections: test.gateway.connections, settings: test.gateway.settings, logger: createLogger('silent') });
}, 60_000);
afterAll(async () => {
  await queue?.close();
  await test?.stop();
  await Promise.all([redis?.cleanup(), smtp?.stop()]);
});

describe('a reply found sent by a re-run', () => {
  it('records "contacted" by mail at the first send’s time and sends nothing again', async () => {
    const sentAt = new Date(Date.now() - 20 * 60_000).toISOString();
    const { requestNumber } = await test.gateway.intake.submit({
      channel: 'email',
      kind: 'service',
      sourceKey: `mail:<${randomUUID()}@example.pl>`,
      sentAt,
      reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
      contractNumber: 'HZ-2026-00123',
      serialNumber: 'XLS812-240517',
      subject: 'Robot',
      language: 'pl',
    });
    await vi.waitFor(async () => expect((await test.gateway.store.get(requestNumber))?.status).toBe('accepted'), { timeout: 15_000 });
    const jobId = `reporter-mail:${requestNumber}:reply:${randomUUID()}`;
    // The first run sent it and wrote its marker, then the process died before completing.
    const firstSend = new Date(Date.now() - 5 * 60_000).toISOString();
    await test.gateway.redis.set(`${test.gateway.settings.intake.prefix}:notify:sent:${jobId}`, JSON.stringify({ at: firstSend, providerId: null }));
    const before = smtp.messages.length;
    await queue.enqueue(jobId, { type: 'reporter-mail', requestNumber, to: 'anna.nowak@example.pl', subject: `Re: Robot [${requestNumber}]`, text: 'Dzień dobry', actor: 'engineer:ewa' });
    const contacted = await vi.waitFor(
      async () => {
        const found = await test.gateway.store.get(requestNumber);
        if (found?.status !== 'contacted') throw new Error('not contacted yet');
        return found as ServiceRequest;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(contacted.firstResponse).toEqual({ at: firstSend, by: 'engineer:ewa', met: true, via: 'mail' });
    expect(smtp.messages.slice(before).filter((mail) => mail.text.trim() === 'Dzień dobry')).toHaveLength(0);
    const sentEvents = (await test.gateway.store.history(requestNumber)).filter((event) => event.type === 'reply-sent');
    expect(sentEvents).toHaveLength(1);
  });
});
