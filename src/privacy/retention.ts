/**
 * Retention (DESIGN.md section 9): personal data is kept only as long as it is needed.
 *
 * - A closed request is anonymized `retention.closedRequestMonths` calendar months (Warsaw)
 *   after it was closed (its last `closed` event): what the SLA report needs stays
 *   (src/privacy/anonymize.ts), its attachment files are deleted.
 * - A call recording's address is removed `retention.recordingDays` days after the call,
 *   whatever the request's status: the recording itself is Twilio's (docs/privacy.md).
 * - Quarantine entries (a sender's address and the reason their mail was set aside) go after
 *   the closed-request period, and failed intake jobs (a draft that could never be filed) too;
 *   finished jobs naming the people of an anonymized request go with it.
 *
 * One sweep reads every request (src/privacy/request-scan.ts); it is idempotent — a request done
 * carries `personalDataRemoved` / `recordingsRemovedAt` — so a sweep cut short is finished by
 * the next one.
 */
import { rm } from 'node:fs/promises';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DateTime } from 'luxon';
import type { RequestEvent } from '../domain/history.js';
import type { ServiceRequest } from '../domain/request.js';
import type { RequestStore } from '../store/request-store.js';
import type { AttachmentStore } from '../intake/attachment-store.js';
import { QUEUE_NAMES } from '../intake/queues.js';
import { anonymizeRequest, recordingsOf, removeRecordings, tracesOfRequest, type Traces } from './anonymize.js';
import { TraceMatcher } from './data-subject.js';
import { QueueTraces } from './queue-traces.js';
import { rewriteAppendOnlyFile } from './redis-compaction.js';
import type { RecordingDeleter } from './recording-deleter.js';
import { everyRequest, referencedStorageKeys } from './request-scan.js';

export interface RetentionSettings {
  closedRequestMonths: number;
  recordingDays: number;
}

export interface RetentionDeps {
  redis: Redis;
  store: RequestStore;
  attachments: AttachmentStore;
  prefix: string;
  retention: Readonly<RetentionSettings>;
  /** Deletes a recording at Twilio before its address is removed (none: addresses only). */
  recordings?: RecordingDeleter;
}

/** What one sweep did (the job's result; no personal data). */
export interface RetentionResult {
  at: string;
  anonymized: string[];
  recordingsRemoved: string[];
  /** Recordings deleted at Twilio. */
  recordingsDeleted: number;
  /** Requests left for the next sweep because Twilio could not be asked to delete their recordings. */
  retryLater: string[];
  attachmentsDeleted: number;
  /** Finished queue jobs that named the people of the anonymized requests. */
  jobsRemoved: number;
  quarantineEntriesDropped: number;
  failedJobsRemoved: number;
  appendOnlyFile: string;
}

/** When a closed request was closed: its last `closed` event (the request's last change when there is none). */
export function closedAt(request: ServiceRequest, history: readonly RequestEvent[]): number {
  const closing = history.filter((event) => event.type === 'closed').at(-1);
  return Date.parse(closing?.at ?? request.updatedAt);
}

/** The instants before which data is due for removal, for a sweep at `nowMs`. */
export function retentionCutoffs(nowMs: number, retention: Readonly<RetentionSettings>): { closedBefore: number; callsBefore: number } {
  const warsaw = DateTime.fromMillis(nowMs, { zone: 'Europe/Warsaw' });
  return {
    closedBefore: warsaw.minus({ months: retention.closedRequestMonths }).toMillis(),
    callsBefore: nowMs - retention.recordingDays * 86_400_000,
  };
}

export async function sweepRetention(deps: RetentionDeps, nowMs: number): Promise<RetentionResult> {
  const at = new Date(nowMs).toISOString();
  const context = { at, actor: 'system', source: 'retention' };
  const { closedBefore, callsBefore } = retentionCutoffs(nowMs, deps.retention);
  const dueWhole = (request: ServiceRequest, history: readonly RequestEvent[]): boolean =>
    request.status === 'closed' && !request.personalDataRemoved && closedAt(request, history) <= closedBefore;
  const dueRecordings = (request: ServiceRequest, history: readonly RequestEvent[]): boolean =>
    !request.recordingsRemovedAt && Date.parse(request.sentAt) <= callsBefore && recordingsOf(request, history).length > 0;

  const result: RetentionResult = { at, anonymized: [], recordingsRemoved: [], recordingsDeleted: 0, retryLater: [], attachmentsDeleted: 0, jobsRemoved: 0, quarantineEntriesDropped: 0, failedJobsRemoved: 0, appendOnlyFile: 'not needed' };
  const storageKeys = new Set<string>();
  // Whose data went: their finished jobs (kept for diagnosis) and event-stream entries go too.
  const gone: Traces = { emails: [], phones: [], names: [] };
  for await (const { request, history } of everyRequest(deps.store)) {
    if (!dueWhole(request, history) && !dueRecordings(request, history)) continue;
    // The recordings go at Twilio first: an address forgotten first would leave them undeletable.
    try {
      for (const url of recordingsOf(request, history)) if ((await deps.recordings?.delete(url)) === 'deleted') result.recordingsDeleted += 1;
    } catch {
      result.retryLater.push(request.number);
      continue;
    }
    if (dueWhole(request, history)) {
      // Checked again on the stored request: it may have been reopened by a reply meanwhile.
      const written = await deps.store.rewrite(request.number, (current, currentHistory) => {
        if (!dueWhole(current, currentHistory)) return null;
        const removal = anonymizeRequest(current, currentHistory, context);
        for (const key of removal.storageKeys) storageKeys.add(key);
        const traces = tracesOfRequest(current, currentHistory);
        gone.emails.push(...traces.emails);
        gone.phones.push(...traces.phones);
        gone.names.push(...traces.names);
        return removal;
      });
      if (written.changed) result.anonymized.push(request.number);
    } else if (dueRecordings(request, history)) {
      const written = await deps.store.rewrite(request.number, (current, currentHistory) => (dueRecordings(current, currentHistory) ? removeRecordings(current, currentHistory, context) : null));
      if (written.changed) result.recordingsRemoved.push(request.number);
    }
  }
  if (storageKeys.size > 0) {
    const stillNamed = await referencedStorageKeys(deps.store);
    for (const key of storageKeys) {
      if (stillNamed.has(key) || !(await deps.attachments.exists(key))) continue;
      await rm(deps.attachments.pathOf(key), { force: true });
      result.attachmentsDeleted += 1;
    }
  }
  if (result.anonymized.length > 0) {
    const queues = new QueueTraces(deps.redis, deps.prefix);
    result.jobsRemoved = (await queues.remove(await queues.findFinishedOf(new Set(result.anonymized)))).removed;
    await queues.scrubEventStreams(new TraceMatcher(gone), true);
  }
  result.quarantineEntriesDropped = await dropOldQuarantine(deps, closedBefore);
  result.failedJobsRemoved = await removeOldFailedIntake(deps, nowMs - closedBefore);
  if (result.anonymized.length + result.recordingsRemoved.length + result.quarantineEntriesDropped + result.failedJobsRemoved > 0) {
    result.appendOnlyFile = await rewriteAppendOnlyFile(deps.redis);
  }
  return result;
}

/** Quarantine entries are appended in time order: the old ones are at the head of the list. */
async function dropOldQuarantine(deps: RetentionDeps, before: number): Promise<number> {
  const key = `${deps.prefix}:quarantine`;
  let dropped = 0;
  for (;;) {
    const head = await deps.redis.lindex(key, 0);
    if (head === null) return dropped;
    let entryAt = Number.NaN;
    try {
      entryAt = Date.parse((JSON.parse(head) as { at?: string }).at ?? '');
    } catch {
      // An entry that is not JSON has no time: it is old by definition (nothing writes such entries now).
    }
    if (Number.isFinite(entryAt) && entryAt > before) return dropped;
    // LPOP only if the head is still this entry (another sweep may have popped it).
    const popped = await deps.redis.eval("if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then return redis.call('LPOP', KEYS[1]) end return false", 1, key, head);
    if (popped) dropped += 1;
  }
}

/** Failed intake jobs are kept for a human (removeOnFail: false); after the retention period their drafts go. */
async function removeOldFailedIntake(deps: RetentionDeps, ageMs: number): Promise<number> {
  const queue = new Queue(QUEUE_NAMES.intake, { connection: deps.redis, prefix: deps.prefix });
  try {
    return (await queue.clean(ageMs, 10_000, 'failed')).length;
  } finally {
    await queue.close();
  }
}
