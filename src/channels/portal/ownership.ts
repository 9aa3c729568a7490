/**
 * Which portal client filed which request: a client reads, escalates and uploads to its own
 * requests only, and for any other number gets the same 404 as for a number that does not
 * exist (existence is not leaked). Nothing is written for it: the number record that submit()
 * allocates holds the source key that made the number (`portal:<client>:<key>`), so a request
 * still in the queue is already its client's, and filing costs no extra round trip.
 */
import type { Redis } from 'ioredis';
import { intakeKeys, type IntakeKeys } from '../../intake/queues.js';

/** The source key of a request filed by `client` through the portal starts with this. */
export function portalSourcePrefix(client: string): string {
  return `portal:${client}:`;
}

export class RequestOwnership {
  private readonly keys: IntakeKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = intakeKeys(prefix);
  }

  /** Whether `client` filed `number`. */
  async isOwner(number: string, client: string): Promise<boolean> {
    const filedBy = await this.redis.get(this.keys.number(number));
    return filedBy !== null && filedBy.startsWith(portalSourcePrefix(client));
  }
}
