/**
 * The Redis keys of the request store, all under the deployment prefix. The intake's own
 * records (sequence, number, Message-ID) are in src/intake/queues.ts; the source record is
 * here because both sides write it: submit() allocates it, the store marks it queued in the
 * same script that creates the request.
 */
import { hash } from 'node:crypto';

export function storeKeys(prefix: string) {
  return {
    /** Hash per source key: number, mode, queued, escalated. The idempotency record. */
    source: (sourceKey: string) => `${prefix}:source:${hash('sha256', sourceKey, 'hex')}`,
    request: (requestNumber: string) => `${prefix}:req:${requestNumber}`,
    history: (requestNumber: string) => `${prefix}:req:${requestNumber}:history`,
    /** The stored request's version, for compare-and-set (RequestStore). */
    version: (requestNumber: string) => `${prefix}:req:${requestNumber}:version`,
    /** Open requests scored by response deadline (ms); those without a clock score +inf. */
    openByDeadline: `${prefix}:open`,
    byStatus: (status: string) => `${prefix}:status:${status}`,
    /** Pub/sub channel announcing changed request numbers (ops page SSE). */
    changes: `${prefix}:changes`,
  };
}
export type StoreKeys = ReturnType<typeof storeKeys>;
