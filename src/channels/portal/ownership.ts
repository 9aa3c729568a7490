/**
 * Which portal client filed which request: a client reads, escalates and uploads to its own
 * requests only, and for any other number gets the same 404 as for a number that does not
 * exist (existence is not leaked). Recorded at filing time, so a request still in the queue
 * is already its client's.
 */
import type { Redis } from 'ioredis';

export class RequestOwnership {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Records `client` as the filer of `number`; the first filer stays. */
  async record(number: string, client: string): Promise<void> {
    await this.redis.set(this.key(number), client, 'NX');
  }

  /** Whether `client` filed `number`. */
  async isOwner(number: string, client: string): Promise<boolean> {
    return (await this.redis.get(this.key(number))) === client;
  }

  /** The Redis key of a request's filer (for writing it in one script with other records). */
  key(number: string): string {
    return `${this.prefix}:portal:owner:${number}`;
  }
}
