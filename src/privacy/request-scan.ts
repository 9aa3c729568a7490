/**
 * Walks every stored request with its history, in batches: there is no index by person (an
 * index of e-mail addresses would be one more copy of them), so finding what is held about
 * someone, or what retention must anonymize, reads the store through. An operator's command or
 * a daily job, never a request's path: SCAN keeps Redis answering meanwhile.
 */
import type { RequestEvent } from '../domain/history.js';
import type { ServiceRequest } from '../domain/request.js';
import type { RequestStore } from '../store/request-store.js';

export interface StoredRequest {
  request: ServiceRequest;
  history: RequestEvent[];
}

/** Every request with its history, a batch at a time. */
export async function* everyRequest(store: RequestStore, batch = 200): AsyncGenerator<StoredRequest> {
  for await (const numbers of store.numbers(batch)) {
    const requests = await store.getMany(numbers);
    const histories = await Promise.all(requests.map((request) => store.history(request.number)));
    for (const [i, request] of requests.entries()) yield { request, history: histories[i] ?? [] };
  }
}

/** The attachment files every request names now (a file shared by two requests stays while one names it). */
export async function referencedStorageKeys(store: RequestStore): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const numbers of store.numbers()) {
    for (const request of await store.getMany(numbers)) for (const attachment of request.attachments) keys.add(attachment.storageKey);
  }
  return keys;
}
