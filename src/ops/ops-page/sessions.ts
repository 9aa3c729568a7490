/**
 * Ops page sessions and sign-in lock-out, kept in Redis so that every web instance shares
 * them and a restart signs nobody out. A session id travels only in an HttpOnly cookie; Redis
 * holds its SHA-256, so a copy of the database cannot be replayed as a cookie. Each session
 * carries its own CSRF token (synchronizer token pattern): a forged form from another site
 * can send the cookie but cannot read the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * What a session knows. Only a successful sign-in creates one (the sign-in form's token is
 * stateless: sign-in-guards.ts); `login` stays optional for sessions stored by older versions.
 */
export interface OpsSession {
  id: string;
  csrf: string;
  login?: string;
  name?: string;
  language: 'pl' | 'en';
  createdAt: string;
}

export interface SessionStoreOptions {
  prefix: string;
  ttlSeconds: number;
  lockoutAttempts: number;
  lockoutSeconds: number;
}

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: SessionStoreOptions,
  ) {}

  /** A fresh session (anonymous, or signed in); a new id every time, so sign-in never keeps a planted id. */
  async create(fields: { login: string; name?: string; language: 'pl' | 'en' }): Promise<OpsSession> {
    const session: OpsSession = { id: randomToken(), csrf: randomToken(), createdAt: new Date().toISOString(), ...fields };
    const ttl = this.options.ttlSeconds;
    await this.redis.set(this.key(session.id), JSON.stringify(session), 'EX', ttl);
    return session;
  }

  async get(id: string | undefined): Promise<OpsSession | null> {
    if (!id || !/^[A-Za-z0-9_-]{20,100}$/.test(id)) return null;
    const json = await this.redis.get(this.key(id));
    return json ? (JSON.parse(json) as OpsSession) : null;
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  /**
   * Counts a sign-in attempt BEFORE its password is checked. Checking for a lock-out first and
   * counting the failure after the (slow) bcrypt comparison let attempts sent at once all pass
   * the check before any of them was counted; one INCR gives each attempt its own number
   * instead. The window starts at the first attempt; a successful sign-in clears it, so the
   * count is the failures in a row plus this attempt. `lockedForSeconds` is 0 while the
   * attempt may still be checked.
   */
  async countAttempt(login: string): Promise<{ attempt: number; lockedForSeconds: number }> {
    const key = this.attemptsKey(login);
    const [[, attempt], , [, ttl]] = (await this.redis.multi().incr(key).expire(key, this.options.lockoutSeconds, 'NX').ttl(key).exec()) as [[unknown, number], unknown, [unknown, number]];
    return { attempt, lockedForSeconds: attempt > this.options.lockoutAttempts ? Math.max(1, ttl) : 0 };
  }

  /**
   * A checked attempt failed: when it was the last one allowed, the lock-out starts now and
   * lasts `lockoutSeconds`. Returns the seconds locked, 0 when attempts are left.
   */
  async attemptFailed(login: string, attempt: number): Promise<number> {
    if (attempt < this.options.lockoutAttempts) return 0;
    await this.redis.expire(this.attemptsKey(login), this.options.lockoutSeconds);
    return this.options.lockoutSeconds;
  }

  /** Takes back an attempt counted by `countAttempt` whose password was never compared (the checks were full). */
  async uncountAttempt(login: string): Promise<void> {
    await this.redis.decr(this.attemptsKey(login));
  }

  async clearAttempts(login: string): Promise<void> {
    await this.redis.del(this.attemptsKey(login));
  }

  private key(id: string): string {
    return `${this.options.prefix}:ops:session:${sha256(id)}`;
  }

  private attemptsKey(login: string): string {
    // Unknown logins are counted too, so the answer never tells which logins exist.
    return `${this.options.prefix}:ops:signin-attempts:${sha256(login.toLowerCase())}`;
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: OpsSession, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const a = Buffer.from(sha256(presented));
  const b = Buffer.from(sha256(session.csrf));
  return timingSafeEqual(a, b);
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
