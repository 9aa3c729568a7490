/**
 * The HTTP server's own limits on a real listening gateway (issue 20): slow headers and slow
 * bodies are cut off within seconds (Node's default held them for 300 s), a Twilio webhook
 * without a signature is refused before its body is read, and one client address holds at most
 * `http.maxConnectionsPerClient` connections.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let redis: PrivateRedis;
let test: TestGateway;
let port: number;

beforeAll(async () => {
  redis = await startPrivateRedis();
  test = await startTestGateway(
    {
      http: { port: 0, host: '127.0.0.1', publicUrl: 'https://intake.example.test', headersTimeoutSeconds: 2, requestTimeoutSeconds: 3, keepAliveTimeoutSeconds: 2, maxConnectionsPerClient: 5 },
      twilio: { accountSid: '', authToken: 'a-long-test-auth-token-0123456789', smsFrom: '', apiBaseUrl: '' },
    },
    { REDIS_URL: redis.url },
  );
  port = Number(new URL(test.gateway.url).port);
}, 60_000);
afterAll(async () => {
  await test?.stop();
  await redis?.cleanup();
});

/** A raw connection: what it received and when (ms after `connect`) the server closed it. */
async function connect(): Promise<{ socket: net.Socket; received: () => string; closedAfterMs: Promise<number> }> {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const started = Date.now();
  const closedAfterMs = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  return { socket, received: () => data, closedAfterMs };
}

/** Sends one byte a second while the socket is open. */
function trickle(socket: net.Socket): NodeJS.Timeout {
  return setInterval(() => {
    if (!socket.destroyed) socket.write('a');
  }, 1000);
}

describe('HTTP limits', () => {
  it('closes a signed Twilio webhook whose body trickles in within seconds', async () => {
    const { socket, closedAfterMs } = await connect();
    socket.write('POST /twilio/voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: forged\r\nContent-Length: 5000\r\n\r\nCallSid=');
    const timer = trickle(socket);
    const after = await closedAfterMs;
    clearInterval(timer);
    // The webhook's own 5 s body timeout (the server's 3 s request timeout may come first).
    expect(after).toBeLessThan(8_000);
  }, 30_000);

  it('refuses a Twilio webhook without a signature before reading its body, and closes the connection', async () => {
    const { socket, received, closedAfterMs } = await connect();
    socket.write('POST /twilio/voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nCallSid=');
    const timer = trickle(socket);
    const after = await closedAfterMs;
    clearInterval(timer);
    expect(received()).toMatch(/^HTTP\/1\.1 403/);
    expect(received()).toContain('SIGNATURE_INVALID');
    expect(after).toBeLessThan(1_500);
  }, 30_000);

  it('closes a connection whose headers trickle in after the headers timeout', async () => {
    const { socket, closedAfterMs } = await connect();
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => {
      if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
    }, 500);
    const after = await closedAfterMs;
    clearInterval(timer);
    // 2 s, checked every second.
    expect(after).toBeLessThan(5_000);
  }, 30_000);

  it('closes any other request whose body trickles in after the request timeout', async () => {
    const { socket, received, closedAfterMs } = await connect();
    socket.write('POST /api/v1/portal/requests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{');
    const timer = trickle(socket);
    const after = await closedAfterMs;
    clearInterval(timer);
    expect(after).toBeLessThan(6_000);
    expect(received()).not.toMatch(/^HTTP\/1\.1 20/);
  }, 30_000);

  it('holds at most 5 connections from one address, and takes new ones when they close', async () => {
    const sockets = await Promise.all(Array.from({ length: 8 }, () => connect()));
    // The three over the cap are closed by the server at once.
    const closed = await Promise.all(sockets.map((s) => Promise.race([s.closedAfterMs.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000))])));
    expect(closed.filter(Boolean)).toHaveLength(3);
    // The five kept still answer.
    const open = sockets.filter((_, i) => !closed[i]);
    const answered = await Promise.all(
      open.map(
        (s) =>
          new Promise<string>((resolve) => {
            s.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
            s.socket.once('data', (chunk: Buffer) => resolve(chunk.toString()));
          }),
      ),
    );
    expect(answered.every((answer) => answer.startsWith('HTTP/1.1 200'))).toBe(true);
    for (const s of open) s.socket.destroy();
    await Promise.all(open.map((s) => s.closedAfterMs));
    // The server counts a connection gone once it has seen it close, a moment after the client.
    await vi.waitFor(async () => expect((await fetch(`${test.gateway.url}/healthz`)).status).toBe(200), { timeout: 5_000, interval: 100 });
  }, 30_000);
});
