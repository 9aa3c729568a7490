/**
 * The portal's rate limiter when its Redis fails mid-request: the request goes on (submit()
 * answers 503 itself), the failure is logged in the JSON log — not as a console.error stack
 * trace per request — and counting resumes once Redis answers again.
 */
import { Writable } from 'node:stream';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { portalRateLimit } from '../../src/channels/portal/rate-limit.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

let redis: PrivateRedis;
let client: Redis;
const logged: Array<{ msg: string; level: number }> = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  // No offline queue and one try: a command fails at once while the server is away.
  client = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 100 });
  client.on('error', () => undefined);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.cleanup();
});

function appWithLimit(max: number) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as { msg: string; level: number });
      done();
    },
  });
  const app = express();
  app.use((_req, res, next) => {
    res.locals.portalClient = { name: 'alpha' };
    next();
  });
  app.use(portalRateLimit(client, { prefix: `rl-${Math.random()}`, windowMs: 60_000, max, logger: createLogger('warn', sink) }));
  app.get('/', (_req, res) => {
    res.status(200).send('through');
  });
  app.use((error: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(error.status ?? 500).send('limited');
  });
  return app;
}

describe('portal rate limit while Redis fails', () => {
  it('lets requests through with a JSON log line, and counts again once Redis is back', async () => {
    const app = appWithLimit(2);
    const consoleError = vi.spyOn(console, 'error');
    await redis.server.stop();
    try {
      await vi.waitFor(() => expect(client.status).not.toBe('ready'));
      const during = await Promise.all([1, 2, 3].map(() => request(app).get('/')));
      expect(during.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(consoleError).not.toHaveBeenCalled();
      expect(logged.filter((line) => line.msg.includes('rate limit not counted'))).toHaveLength(3);
    } finally {
      consoleError.mockRestore();
      await redis.server.restart();
    }
    await vi.waitFor(() => expect(client.status).toBe('ready'), { timeout: 10_000 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await request(app).get('/')).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});
