/**
 * The one door every channel uses: `Intake.submit(draft)` and what it answers. In its own file
 * so that channels depend on this contract, not on IntakeService (submit.ts) and its Redis.
 */
import type { IntakeDraft } from '../domain/request.js';

/** What submit() tells the channel. */
export interface SubmitResult {
  requestNumber: string;
  /** `new` request, or `attach`ed to the request it answers (reply, escalation). */
  mode: 'new' | 'attach';
  /** The same source key was submitted before: nothing new was queued. */
  duplicate: boolean;
}

/** The contract channels depend on (tests and channels take this, not the class). */
export interface Intake {
  /** Files a draft; rejects with a retryable IntakeError when Redis cannot take it. */
  submit(draft: IntakeDraft, options?: SubmitOptions): Promise<SubmitResult>;
}

/**
 * A key bound to a value in the same atomic step as the allocation: the first submit binds
 * it; a later one with another value is refused (IntakeError IDEMPOTENCY_KEY_REUSED) and
 * files nothing. The portal binds its Idempotency-Key to the body's hash this way, in the
 * round trip that allocates the number instead of one of its own.
 */
export interface SubmitGuard {
  /** The Redis key of the binding (under the deployment prefix). */
  key: string;
  value: string;
  /**
   * How long the binding is remembered; without one (or 0) it never expires. A binding that
   * expires before the source record it guards lets another value through to that record's
   * number (the portal's guard has none for that reason).
   */
  ttlMs?: number;
}

export interface SubmitOptions {
  guard?: SubmitGuard;
}
