/**
 * One watcher per mailbox across processes (DESIGN.md section 4): a Redis lease, `SET NX PX`,
 * renewed well inside its TTL by its holder. A holder that dies stops renewing, the key
 * expires, and another process takes the mailbox over within one TTL. Renew and release check
 * the owner token, so a process that lost its lease (paused too long) cannot extend or free
 * someone else's.
 */
import type { Redis } from 'ioredis';

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class MailboxLease {
  constructor(
    private readonly redis: Redis,
    /** `<prefix>:mail:lease:<mailbox>` */
    readonly key: string,
    /** Unique per watcher instance. */
    readonly owner: string,
    private readonly ttlMs: number,
  ) {}

  /** Takes the lease when free (or already ours); true when this watcher holds it now. */
  async acquire(): Promise<boolean> {
    if ((await this.redis.set(this.key, this.owner, 'PX', this.ttlMs, 'NX')) === 'OK') return true;
    return (await this.renew());
  }

  /** Extends the lease; false when it is no longer ours. */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key, this.owner, this.ttlMs)) === 1;
  }

  /** Frees the lease so that another process can take the mailbox at once. */
  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.owner);
  }
}
