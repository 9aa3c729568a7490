/**
 * The terminal call simulator against a listening gateway: it signs its webhooks like Twilio,
 * follows the TwiML, prints what is said and reads the caller's lines from an injected input.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createPhoneChannel, type PhoneChannel } from '../../src/channels/phone/routes.js';
import { simulateCall } from '../../src/channels/phone/simulator.js';
import { Readiness } from '../../src/util/readiness.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const PUBLIC_URL = 'https://intake.example.pl';
const AUTH_TOKEN = 'phone-simulator-token';
let redis: PrivateRedis;
let test: TestGateway;
let phone: PhoneChannel;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway(
    { http: { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL }, intake: { prefix: 'hezo-phone-sim' }, twilio: { accountSid: '', authToken: AUTH_TOKEN, smsFrom: '', apiBaseUrl: '' } },
    { REDIS_URL: redis.url },
  );
  const g = test.gateway;
  phone = createPhoneChannel({ intake: g.intake, registry: () => g.registry.current, calendar: g.calendar, store: g.store, redis: g.redis, settings: g.settings, logger: g.logger, spoolDir: `${test.root}/phone-spool` });
  const app = buildApp({ readiness: new Readiness(), logger: g.logger, routes: [{ path: '/twilio', router: phone.router }] });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await phone?.close();
  await test?.stop();
  await redis?.cleanup();
});

/** Feeds the given lines, then ends input (the caller hangs up). */
function typed(lines: string[]): () => Promise<string | null> {
  const queue = [...lines];
  return async () => queue.shift() ?? null;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  return { stream, text: () => text };
}

describe('hezo-intake call (simulator)', () => {
  it('walks a keypad call in Polish to a filed request and prints what the IVR says', async () => {
    const output = capture();
    const result = await simulateCall({
      baseUrl,
      publicUrl: PUBLIC_URL,
      authToken: AUTH_TOKEN,
      line: 'hotline',
      from: '+48 12 345 67 89',
      to: '+48122525600',
      input: typed(['', '2', '202600123#', '240517', '1']),
      output: output.stream,
    });
    expect(result.endedBy).toBe('ivr');
    expect(result.requestNumber).toMatch(/^HZ-\d{4}-\d{6}$/);
    expect(output.text()).toContain('IVR: For English, press 9.');
    expect(output.text()).toContain('IVR: Numer Twojego zgłoszenia:');
    const stored = await vi.waitFor(
      async () => {
        const found = await test.gateway.store.get(result.requestNumber as string);
        if (!found) throw new Error('not stored yet');
        return found;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(stored).toMatchObject({ status: 'accepted', sourceKey: `call:${result.callSid}`, serialNumber: 'XLS812-240517' });
  });

  it('sends the status callback when the caller hangs up, leaving a needs-info request', async () => {
    const output = capture();
    const result = await simulateCall({
      baseUrl,
      publicUrl: PUBLIC_URL,
      authToken: AUTH_TOKEN,
      line: 'hotline',
      from: '+48 500 000 009',
      to: '+48122525600',
      input: typed(['9', '202500017']),
      output: output.stream,
    });
    expect(result.endedBy).toBe('caller');
    // Not a representative of HZ-2025-00017: the digits back, then the serial asked for.
    expect(output.text()).toContain('IVR: You entered contract number 2 0 2 5 0 0 0 1 7.');
    expect(output.text()).toContain('IVR: Enter the last digits of the failed device serial number');
    const stored = await vi.waitFor(
      async () => {
        const found = (await test.gateway.store.listOpen()).find((r) => r.sourceKey === `call:${result.callSid}`);
        if (!found) throw new Error('not stored yet');
        return found;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(stored).toMatchObject({ status: 'needs-info', contractNumber: 'HZ-2025-00017', language: 'en' });
  });

  it('reports an unreachable or refusing gateway as an error', async () => {
    await expect(
      simulateCall({ baseUrl, publicUrl: PUBLIC_URL, authToken: 'wrong-token', line: 'hotline', from: '+48600100200', to: '+48122525600', input: typed([]), output: capture().stream }),
    ).rejects.toThrow(/HTTP 403/);
  });
});
