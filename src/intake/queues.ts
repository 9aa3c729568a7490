/**
 * Every queue, its job options and the intake's Redis keys are defined here, in one place (issue [2/7]):
 * intake (drafts waiting to be stamped), timers (breach warnings, delivery and return
 * reminders as delayed jobs), notify (mail, SMS, webhooks; see src/notify/notifier.ts) and
 * maintenance (the daily retention sweep; see src/privacy/maintenance.ts).
 */
import { hash } from 'node:crypto';
import type { DefaultJobOptions } from 'bullmq';
import type { ValidDraft } from '../domain/request.js';
import { storeKeys } from '../store/store-keys.js';

/** `maintenance`: the daily retention sweep (src/privacy/); `care`: the daily sweep of inspections and renewals (src/inspections/care-scheduler.ts). */
export const QUEUE_NAMES = { intake: 'intake', timers: 'timers', notify: 'notify', maintenance: 'maintenance', care: 'care' } as const;

/** The payload of an intake job: the draft and what submit() already decided. */
export interface IntakeJobData {
  requestNumber: string;
  /** `new`: file a request; `attach`: add the draft to an existing request as an event. */
  mode: 'new' | 'attach';
  draft: ValidDraft;
  submittedAt: string;
  /** The id under which an attachment is applied once (the source key, or a variant of it). */
  eventSource: string;
}

/**
 * Intake jobs are retried with backoff (a Redis hiccup or a registry reload must not lose a
 * request) and removed once completed: the idempotency record lives apart from the job, in
 * `sourceKey(...)`, so removing the job never lets a duplicate through.
 */
export function intakeJobOptions(attempts: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: false,
  };
}

/**
 * BullMQ job ids must not contain ':' and must not look like integers; a hash of the source
 * key is safe, fixed-length and the same in every process.
 */
export function jobIdFor(kind: string, key: string): string {
  return `${kind}-${hash('sha256', key, 'hex').slice(0, 40)}`;
}

/**
 * Redis keys of the intake's records, all under the deployment prefix. The request store's
 * keys are in src/store/store-keys.ts; the source record, which submit() allocates and the
 * store marks queued, is defined there and named here too, for submit().
 */
export function intakeKeys(prefix: string) {
  return {
    /** Hash per source key: number, mode, queued, escalated. The idempotency record. */
    source: storeKeys(prefix).source,
    /** Yearly request sequence. */
    sequence: (year: number) => `${prefix}:seq:${year}`,
    /**
     * Set once a number is allocated (so references resolve before it is stamped), to the
     * source key that made it: who filed a request is known from the first moment on.
     */
    number: (requestNumber: string) => `${prefix}:number:${requestNumber}`,
    /** Message-ID (ours or the reporter's) → request number, for threading replies. */
    messageId: (messageId: string) => `${prefix}:msgid:${messageId.toLowerCase()}`,
  };
}
export type IntakeKeys = ReturnType<typeof intakeKeys>;
