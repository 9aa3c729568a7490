/**
 * Ops page sessions and sign-in lock-out, kept in Redis so that every web instance shares
 * them and a restart signs nobody out. A session id travels only in an HttpOnly cookie; Redis
 * holds its SHA-256, so a copy of the database cannot be replayed as a cookie. Each session
 * carries its own CSRF token (synchronizer token pattern): a forged form from another site
 * can send the cookie but cannot read the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

/** What a session knows. `login` is absent before sign-in (the sign-in form's own CSRF token). */
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

/** A sign-in form is good for half an hour before it has to be reloaded. */
const ANONYMOUS_TTL_SECONDS = 1800;

export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: SessionStoreOptions,
  ) {}

  /** A fresh session (anonymous, or signed in); a new id every time, so sign-in never keeps a planted id. */
  async create(fields: { login?: string; name?: string; language: 'pl' | 'en' }): Promise<OpsSession> {
    const session: OpsSession = { id: randomToken(), csrf: randomToken(), createdAt: new Date().toISOString(), ...fields };
    const ttl = fields.login ? this.options.ttlSeconds : ANONYMOUS_TTL_SECONDS;
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

  /** Seconds left of an account's lock-out, 0 when it may try to sign in. */
  async lockedForSeconds(login: string): Promise<number> {
    const key = this.failuresKey(login);
    const failures = Number((await this.redis.get(key)) ?? 0);
    if (failures < this.options.lockoutAttempts) return 0;
    return Math.max(1, await this.redis.ttl(key));
  }

  /** Counts a failed sign-in; the window starts at the first failure and ends with the lock-out. */
  async recordFailure(login: string): Promise<number> {
    const key = this.failuresKey(login);
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, this.options.lockoutSeconds, 'NX').exec()) as [[unknown, number]];
    if (count >= this.options.lockoutAttempts) await this.redis.expire(key, this.options.lockoutSeconds);
    return count;
  }

  async clearFailures(login: string): Promise<void> {
    await this.redis.del(this.failuresKey(login));
  }

  private key(id: string): string {
    return `${this.options.prefix}:ops:session:${sha256(id)}`;
  }

  private failuresKey(login: string): string {
    // Unknown logins are counted too, so the answer never tells which logins exist.
    return `${this.options.prefix}:ops:signin-failures:${sha256(login.toLowerCase())}`;
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
