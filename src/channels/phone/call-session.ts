/**
 * Call sessions in Redis, keyed by CallSid with a TTL (settings.phone.sessionTtlSeconds), so
 * that any web process can answer a call's next webhook.
 *
 * Every session is also kept in this process's memory for the same TTL. That copy exists for
 * one case: Redis going down in the middle of a call. Twilio keeps calling us; without the
 * copy the caller would be asked for everything again (or dropped), and what they already
 * told us would be lost. With it, the call goes on, and the routes spool the finished draft
 * to disk until Redis is back (DESIGN.md section 6: the call is still recorded).
 *
 * A finished call (filed or spooled) needs its copy only for the webhooks that trail it — a
 * retried step, a late <Record> action, the status callback — which come within seconds; its
 * copy is kept for FINISHED_LOCAL_SECONDS, so that memory holds minutes of calls, not an hour.
 */
import type { Redis } from 'ioredis';
import { IntakeError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { withTimeout } from '../../util/timeouts.js';
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

/** How long this process keeps its copy of a finished call's session (at most the TTL). */
export const FINISHED_LOCAL_SECONDS = 600;

type LocalCopies = Map<string, { session: CallSession; expiresAt: number }>;

export class CallSessions {
  /** Calls in progress and finished calls, each ordered by expiry (one lifetime per map). */
  private readonly live: LocalCopies = new Map();
  private readonly finished: LocalCopies = new Map();
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
      this.options.logger.warn({ reason: (error as Error).message, callSid }, 'call session unreadable in Redis; using the local copy');
    }
    return this.localCopy(callSid);
  }

  /** Saves the session in memory, then in Redis; a Redis failure is logged, not thrown (the call goes on). */
  async save(session: CallSession): Promise<void> {
    this.sweep();
    // Re-inserted so that each map stays ordered by expiry for sweep().
    this.live.delete(session.callSid);
    this.finished.delete(session.callSid);
    const seconds = session.finished ? Math.min(FINISHED_LOCAL_SECONDS, this.options.ttlSeconds) : this.options.ttlSeconds;
    (session.finished ? this.finished : this.live).set(session.callSid, { session, expiresAt: this.now() + seconds * 1000 });
    try {
      await this.withTimeout(this.options.redis.set(this.key(session.callSid), JSON.stringify(session), 'EX', this.options.ttlSeconds));
    } catch (error) {
      this.options.logger.warn({ reason: (error as Error).message, callSid: session.callSid }, 'call session not saved in Redis; kept locally');
    }
  }

  /** How many sessions this process holds copies of (calls in progress, finished calls). */
  localCopies(): { live: number; finished: number } {
    this.sweep();
    return { live: this.live.size, finished: this.finished.size };
  }

  private localCopy(callSid: string): CallSession | undefined {
    const entry = this.live.get(callSid) ?? this.finished.get(callSid);
    if (!entry || entry.expiresAt <= this.now()) return undefined;
    return entry.session;
  }

  /** Drops expired copies; a Map keeps insertion order, so the oldest come first. */
  private sweep(): void {
    const now = this.now();
    for (const copies of [this.live, this.finished]) {
      for (const [callSid, entry] of copies) {
        if (entry.expiresAt > now) break;
        copies.delete(callSid);
      }
    }
  }

  private withTimeout<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.timeoutMs, () => {
      throw new IntakeError('REDIS_UNAVAILABLE', `Redis did not answer within ${this.timeoutMs} ms`);
    });
  }
}
