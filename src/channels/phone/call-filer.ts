/**
 * Files a call's draft when more than one webhook of the call may file it: the status callback
 * and the <Record> action come together whenever a caller hangs up to end a message, and a
 * spooled draft may be filed long after a racing webhook filed its own. submit() keeps the first
 * draft of a source key (`call:<CallSid>`) and answers the others "duplicate" — which cannot
 * tell a repeat of the same draft from a draft that carries a recording the first one lacked.
 *
 * So every filing binds the call, in the same atomic step that numbers it (submit()'s guard), to
 * the recording its draft carries, or to none. A later draft with another recording is refused
 * by the binding, and its recording is attached to the request as `call:<CallSid>:recording`; a
 * later draft with the same recording (a retried <Record> action, a spool retried after a crash
 * between submit and delete) is a plain repeat and files nothing.
 */
import type { IntakeDraft } from '../../domain/request.js';
import { isIntakeError } from '../../errors.js';
import type { Intake, SubmitResult } from '../../intake/intake.js';

/**
 * How long a call stays bound to its recording: longer than any draft of the call waits in a
 * spool once Redis is back. A draft filed after that is taken as a repeat.
 */
export const RECORDING_BINDING_TTL_MS = 7 * 24 * 3_600_000;

/** The binding's value for a draft without a recording (a recording is a URL, never this). */
const NO_RECORDING = 'none';

export interface CallFilerOptions {
  intake: Intake;
  /** The deployment's Redis key prefix (settings.intake.prefix); the bindings live under it. */
  prefix: string;
}

export class CallFiler {
  constructor(private readonly options: CallFilerOptions) {}

  /**
   * Files the draft, or finds the request an earlier draft of the call filed (and attaches this
   * draft's recording to it if that request lacks it). Rejects as submit() does: a retryable
   * IntakeError means nothing of this draft is certain to be filed — spool it and file it again.
   */
  async file(draft: IntakeDraft): Promise<SubmitResult> {
    const { intake, prefix } = this.options;
    const recordingUrl = recordingOf(draft);
    const guard = { key: `${prefix}:phone:filed-recording:${draft.sourceKey}`, value: recordingUrl ?? NO_RECORDING, ttlMs: RECORDING_BINDING_TTL_MS };
    try {
      return await intake.submit(draft, { guard });
    } catch (error) {
      if (!isIntakeError(error) || error.code !== 'IDEMPOTENCY_KEY_REUSED') throw error;
    }
    // Filed before with another recording or none. Without the binding the draft is a duplicate:
    // it files nothing and tells the number.
    const filed = await intake.submit(draft);
    if (recordingUrl) await intake.submit(recordingAttachment(draft, filed.requestNumber));
    return filed;
  }
}

/** The recording a call's draft carries (draftForCall puts it in the payload). */
export function recordingOf(draft: IntakeDraft): string | undefined {
  const url = draft.raw?.payload?.recordingUrl;
  return typeof url === 'string' ? url : undefined;
}

/** A call's recording as an attachment to the request the call was filed as. */
function recordingAttachment(draft: IntakeDraft, requestNumber: string): IntakeDraft {
  // Attached as a reply even on the escalation line: the call's first filing escalated that
  // request and alerted the manager already; as an escalation the message would alert again.
  return { ...draft, kind: 'service', sourceKey: `${draft.sourceKey}:recording`, references: [requestNumber] };
}
