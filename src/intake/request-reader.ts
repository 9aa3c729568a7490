/**
 * What a channel may read of a filed request: the request and its history, by number (the
 * portal's status read-back, the escalation line's "is this a request of ours"). Channels
 * take this contract, not the request store: the store (src/store/request-store.ts) is the
 * dispatcher's, and main hands it to the channels as this.
 */
import type { RequestEvent } from '../domain/history.js';
import type { ServiceRequest } from '../domain/request.js';

export interface RequestReader {
  /** The stored request, or null while it is still queued (or for a number never filed). */
  get(number: string): Promise<ServiceRequest | null>;
  /** The request's history, oldest first. */
  history(number: string): Promise<RequestEvent[]>;
}
