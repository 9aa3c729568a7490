/**
 * What happens on each of a call's webhooks, without HTTP: load the call's session, let the pure
 * flow (call-flow.ts) decide, file through submit() when the flow says so — or spool the draft
 * to disk while Redis is down — save, and say what to answer. routes.ts reads Twilio's fields
 * into these calls and renders the answer as TwiML.
 */
import type { ServiceCalendar } from '../../domain/calendar.js';
import type { ContractRegistry } from '../../domain/contracts.js';
import type { IntakeDraft } from '../../domain/request.js';
import { requestNumberFromKeypad } from '../../domain/request-number.js';
import { isIntakeError } from '../../errors.js';
import type { RequestReader } from '../../intake/request-reader.js';
import type { SubmitResult } from '../../intake/intake.js';
import type { Logger } from '../../logger.js';
import type { Settings } from '../../settings.js';
import { withTimeout } from '../../util/timeouts.js';
import type { CallFiler } from './call-filer.js';
import { closingReply, draftForCall, registeringReply, type Unfinished } from './call-closing.js';
import { advance, startCall, type CallInput, type CallSession, type Filing, type Line, type Reply } from './call-flow.js';
import type { CallSessions } from './call-session.js';
import type { PhoneSpool } from './phone-spool.js';
import type { CallLanguage } from './prompts.js';

/** What every webhook says of its call (read and bounded by webhook-fields.ts). */
export interface CallFacts {
  callSid: string;
  /** Caller ID as kept in the session. */
  from: string;
  /** The number called: tells the hotline from the escalation line on a status callback. */
  to: string;
}

/** What to answer Twilio: the flow's reply in the call's language, or a goodbye. */
export type CallAnswer = { kind: 'reply'; session: CallSession; reply: Reply } | { kind: 'goodbye'; language: CallLanguage };

export interface PhoneCallsOptions {
  sessions: CallSessions;
  filer: CallFiler;
  spool: PhoneSpool;
  /** The registry in force now (it reloads without restart). */
  registry: () => ContractRegistry;
  calendar: ServiceCalendar;
  store: RequestReader;
  settings: Readonly<Settings>;
  logger: Logger;
  now: () => number;
}

const ENDED_STATUSES = new Set(['completed', 'no-answer', 'busy', 'failed', 'canceled']);

export class PhoneCalls {
  private readonly smsConfirmation: boolean;

  constructor(private readonly options: PhoneCallsOptions) {
    this.smsConfirmation = options.settings.twilio.accountSid !== '' && options.settings.twilio.smsFrom !== '';
  }

  /** A call comes in on `line`. */
  async incoming(call: CallFacts, line: Line): Promise<CallAnswer> {
    const existing = await this.options.sessions.get(call.callSid);
    const started = this.begin(call, line);
    // A repeated first webhook (Twilio retried it) keeps the call's original start.
    const session = existing ? { ...started.session, startedAt: existing.startedAt } : started.session;
    await this.options.sessions.save(session);
    return { kind: 'reply', session, reply: started.reply };
  }

  /** A <Gather> ended with `input` (keys, speech, or nothing when it timed out). */
  async step(call: CallFacts, line: Line, input: CallInput): Promise<CallAnswer> {
    const { sessions, settings } = this.options;
    let session = await sessions.get(call.callSid);
    if (!session) {
      // The session expired or was never saved: start over rather than drop the caller.
      const started = this.begin(call, line);
      await sessions.save(started.session);
      return { kind: 'reply', session: started.session, reply: started.reply };
    }
    if (session.finished) {
      if (session.closing) return { kind: 'reply', session, reply: { say: session.closing, hangup: true } };
      return { kind: 'goodbye', language: session.language };
    }
    const escalationRequestKnown = await this.knownRequest(session, input);
    const transition = advance(session, input, { registry: this.options.registry(), maxFailures: settings.phone.maxFailures, escalationRequestKnown });
    session = transition.session;
    const reply = transition.file ? await this.file(session, transition.file, transition.prefix) : transition.reply;
    await sessions.save(session);
    return { kind: 'reply', session, reply };
  }

  /**
   * A <Record> ended: the caller's message (`recordingUrl`, undefined when Twilio sent none or
   * a malformed one). `line` is used only when the call has no session (the fallback's hotline).
   */
  async recorded(call: CallFacts, line: Line, recordingUrl: string | undefined): Promise<CallAnswer> {
    const { sessions, settings } = this.options;
    const current = (await sessions.get(call.callSid)) ?? { ...this.begin(call, line).session, step: 'record' as const };
    if (current.finished) {
      if (recordingUrl && recordingUrl !== current.recordingUrl) {
        // The status callback outran the <Record> action and filed (or spooled) the call without
        // the message. Filed as the call's draft, it is attached to that request (CallFiler) — or,
        // while the call's spooled draft still waits for Redis, filed as it — rather than lost.
        const session = { ...current, recordingUrl };
        await this.fileOrSpool(draftForCall(session, 'recording'));
        // A retried <Record> action then finds its recording kept.
        await sessions.save(session);
      }
      return { kind: 'goodbye', language: current.language };
    }
    const transition = advance({ ...current, step: 'record' }, { recordingUrl }, { registry: this.options.registry(), maxFailures: settings.phone.maxFailures });
    const session = transition.session;
    const reply = transition.file ? await this.file(session, transition.file, transition.prefix) : transition.reply;
    await sessions.save(session);
    return { kind: 'reply', session, reply };
  }

  /**
   * The call's status callback. A call that ended (`callStatus`) without being filed — it never
   * reached the IVR (busy, failed) or the caller hung up mid-way — is filed as a needs-info
   * request for a call-back; `durationMs` dates its start when it has no session.
   */
  async statusChanged(call: CallFacts, callStatus: string, durationMs: number): Promise<void> {
    const { sessions, settings } = this.options;
    const ended = ENDED_STATUSES.has(callStatus);
    const session = ended ? await sessions.get(call.callSid) : undefined;
    if (!ended || session?.finished) return;
    const line = call.to === settings.phone.escalationNumber ? 'escalation' : 'hotline';
    const unfinished = session ?? { ...this.begin(call, line).session, startedAt: new Date(this.options.now() - durationMs).toISOString() };
    await this.file(unfinished, { reason: 'hang-up', callStatus }, []);
    await sessions.save(unfinished);
  }

  private begin(call: CallFacts, line: Line): { session: CallSession; reply: Reply } {
    return startCall({ callSid: call.callSid, line, from: call.from, to: call.to, startedAt: new Date(this.options.now()).toISOString() });
  }

  /** Files a call's draft; undefined when Redis is down and the draft was spooled instead. */
  private async fileOrSpool(draft: IntakeDraft): Promise<SubmitResult | undefined> {
    try {
      return await this.options.filer.file(draft);
    } catch (error) {
      if (!isIntakeError(error) || !error.retryable) throw error;
      // A draft of the call already spooled by a racing webhook counts too: that one is filed.
      await this.options.spool.save(draft);
      return undefined;
    }
  }

  /** Files the call: submit, or spool when Redis is down. Returns the closing reply. */
  private async file(session: CallSession, filing: Filing | Unfinished, prefix: string[]): Promise<Reply> {
    const result = await this.fileOrSpool(draftForCall(session, filing));
    if (!result) {
      session.finished = 'spooled';
      const registering = registeringReply(session, this.smsConfirmation, prefix);
      session.closing = registering.say;
      return registering;
    }
    session.finished = 'filed';
    session.requestNumber = result.requestNumber;
    this.options.logger.info({ callSid: session.callSid, requestNumber: result.requestNumber, filing: typeof filing === 'object' ? filing.reason : filing }, 'call filed');
    if (typeof filing === 'object') return { say: [] };
    const closing = closingReply(session, filing, result, { registry: this.options.registry(), calendar: this.options.calendar, now: this.options.now(), smsConfirmation: this.smsConfirmation }, prefix);
    session.closing = closing.say;
    return closing;
  }

  /** On the escalation line, whether a typed request number exists; undefined when it cannot be told. */
  private async knownRequest(session: CallSession, input: CallInput): Promise<boolean | undefined> {
    const number = requestNumberFromKeypad((input.digits ?? '').replace(/\D/g, ''));
    if (session.step !== 'escalation-number' || number === null) return undefined;
    try {
      const found = this.options.store.get(number).then((request) => request !== null);
      return await withTimeout(found, 500, () => undefined);
    } catch {
      // Redis is down: do not refuse the number; the escalation is spooled and attached later.
      return undefined;
    }
  }
}
