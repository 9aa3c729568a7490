/**
 * Requests per API key per window, counted in Redis (express-rate-limit + rate-limit-redis)
 * so that the limit holds across processes. Over the limit: 429 RATE_LIMITED with Retry-After.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { IntakeError } from '../../errors.js';
import { portalClientOf } from './api-keys.js';

/**
 * rate-limit-redis loads its script once, when the limiter is made; if Redis is down at that
 * moment the rejected load is kept and every later count fails — with `passOnStoreError`, the
 * limit would be off for good. This store loads the script again after a failed count.
 */
class ReloadingRedisStore extends RedisStore {
  override async init(options: Parameters<RedisStore['init']>[0]): Promise<void> {
    try {
      await super.init(options);
    } catch {
      // Redis is down now; the script is loaded again on the first count that fails.
    }
  }

  override async increment(key: string): ReturnType<RedisStore['increment']> {
    try {
      return await super.increment(key);
    } catch (error) {
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => undefined);
      throw error;
    }
  }
}

/** The limiter for requests authenticated by `portalAuth` (keyed by client name). */
export function portalRateLimit(redis: Redis, options: { prefix: string; windowMs: number; max: number }): RequestHandler {
  const store = new ReloadingRedisStore({ sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>, prefix: `${options.prefix}:portal:rl:` });
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (_req, res) => portalClientOf(res.locals),
    // A limiter that cannot reach Redis lets the request through to submit(), which then
    // answers 503 itself; a 500 from the limiter would tell the portal nothing useful.
    passOnStoreError: true,
    store,
    handler: (_req, res, next) => {
      res.set('Retry-After', String(Math.ceil(options.windowMs / 1000)));
      next(new IntakeError('RATE_LIMITED', `More than ${options.max} requests in ${Math.round(options.windowMs / 1000)} s with this API key; wait and try again.`));
    },
  });
}
