/**
 * Requests per API key per window, counted in Redis (express-rate-limit + rate-limit-redis)
 * so that the limit holds across processes. Over the limit: 429 RATE_LIMITED with Retry-After.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { IntakeError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { portalClientOf } from './api-keys.js';

/**
 * rate-limit-redis loads its script once, when the limiter is made; if Redis is down at that
 * moment the rejected load is kept and every later count fails — the limit would be off for
 * good. This store loads the script again after a failed count.
 *
 * A count that fails lets the request through (submit() then answers 503 itself; a 500 from the
 * limiter would tell the portal nothing useful). That is express-rate-limit's
 * `passOnStoreError`, done here instead because the library reports each such error with
 * console.error — a stack trace per request outside the JSON log during a Redis outage.
 */
class ReloadingRedisStore extends RedisStore {
  constructor(
    options: ConstructorParameters<typeof RedisStore>[0],
    private readonly logger: Logger,
  ) {
    super(options);
  }

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
    } catch {
      // Maybe only the script load failed (Redis was down when it was made): load it again and
      // count once more, so the first request after an outage is counted too.
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => undefined);
      try {
        return await super.increment(key);
      } catch (error) {
        this.logger.warn({ reason: (error as Error).message }, 'portal rate limit not counted (Redis unavailable); request let through');
        // Counted as the window's first hit: the request is let through and nothing is stored.
        return { totalHits: 1, resetTime: new Date(Date.now() + this.windowMs) };
      }
    }
  }
}

/** The limiter for requests authenticated by `portalAuth` (keyed by client name). */
export function portalRateLimit(redis: Redis, options: { prefix: string; windowMs: number; max: number; logger: Logger }): RequestHandler {
  const store = new ReloadingRedisStore({ sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>, prefix: `${options.prefix}:portal:rl:` }, options.logger);
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.max,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (_req, res) => portalClientOf(res.locals),
    store,
    handler: (_req, res, next) => {
      res.set('Retry-After', String(Math.ceil(options.windowMs / 1000)));
      next(new IntakeError('RATE_LIMITED', `More than ${options.max} requests in ${Math.round(options.windowMs / 1000)} s with this API key; wait and try again.`));
    },
  });
}
