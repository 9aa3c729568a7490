/**
 * Call sessions in Redis, keyed by CallSid with a TTL (settings.phone.sessionTtlSeconds), so
 * that any web process can answer a call's next webhook.
 *
 * Every session is also kept in this process's memory for the same TTL. That copy exists for
 * one case: Redis going down in the middle of a call. Twilio keeps calling us; without the
 * copy the caller would be asked for everything again (or dropped), and what they already
 * told us would be lost. With it, the call goes on, and the routes spool the finished draft
 * to disk until Redis is back (DESIGN.md section 6: the call is still recorded).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { CallSession } from './call-flow.js';

export interface CallSessionsOptions {
  redis: Redis;
  prefix: string;
  ttlSeconds: number;
  logger: Logger;
  /** A webhook must answer fast: Redis gets this long before the local copy is used. */
  timeoutMs?: number;
  now?: () => number;
}

export class CallSessions {
  private readonly local = new Map<string, { session: CallSession; expiresAt: number }>();
  private readonly now: () => number;
  private readonly timeoutMs: number;

  constructor(private readonly options: CallSessionsOptions) {
    this.now = options.now ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 300;
  }

  /** The Redis key of a call. */
  key(callSid: string): string {
    return `${this.options.prefix}:phone:call:${callSid}`;
  }

  /** The call's session: from Redis, or this process's copy when Redis cannot answer. */
  async get(callSid: string): Promise<CallSession | undefined> {
    try {
      const text = await this.withTimeout(this.options.redis.get(this.key(callSid)));
      if (text !== null) return JSON.parse(text) as CallSession;
    } catch (error) {
      this.options.logger.warn({ err: error, callSid }, 'call session unreadable in Redis; using the local copy');
    }
    return this.localCopy(callSid);
  }

  /** Saves the session in memory, then in Redis; a Redis failure is logged, not thrown (the call goes on). */
  async save(session: CallSession): Promise<void> {
    this.sweep();
    // Re-inserted so that the map stays ordered by expiry for sweep().
    this.local.delete(session.callSid);
    this.local.set(session.callSid, { session, expiresAt: this.now() + this.options.ttlSeconds * 1000 });
    try {
      await this.withTimeout(this.options.redis.set(this.key(session.callSid), JSON.stringify(session), 'EX', this.options.ttlSeconds));
    } catch (error) {
      this.options.logger.warn({ err: error, callSid: session.callSid }, 'call session not saved in Redis; kept locally');
    }
  }

  private localCopy(callSid: string): CallSession | undefined {
    const entry = this.local.get(callSid);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.local.delete(callSid);
      return undefined;
    }
    return entry.session;
  }

  /** Drops expired copies; Map keeps insertion order, so the oldest come first. */
  private sweep(): void {
    const now = this.now();
    for (const [callSid, entry] of this.local) {
      if (entry.expiresAt > now) break;
      this.local.delete(callSid);
    }
  }

  private async withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
