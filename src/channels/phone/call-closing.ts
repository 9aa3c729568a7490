/**
 * The end of a call, pure: the IntakeDraft a call files, and what the caller hears once it is
 * filed — the request number digit by digit and the response deadline in words, computed the
 * way the dispatcher will stamp it (the same `assess` and `explainResponseDeadline`), so that
 * what the caller is told and what the engineers see agree.
 */
import { assess, representsContract } from '../../domain/assessment.js';
import type { ServiceCalendar } from '../../domain/calendar.js';
import type { ContractRegistry } from '../../domain/contracts.js';
import { explainResponseDeadline } from '../../domain/deadlines.js';
import type { IntakeDraft } from '../../domain/request.js';
import { instantInWords } from '../../domain/instant-in-words.js';
import type { CallSession, Filing, Reply } from './call-flow.js';
import { promptsFor } from './prompts.js';
import { isPhoneNumber } from './webhook-fields.js';

/** Why a call that did not finish the flow is filed anyway. */
export type Unfinished = { reason: 'hang-up'; callStatus: string };

/**
 * A call to the escalation line is an escalation however it ends (DESIGN.md section 1): a
 * caller who failed three times and left a message, or hung up, called to escalate all the
 * same, and the escalation manager is alerted at once only for an escalation.
 */
function escalates(session: Pick<CallSession, 'line'>, filing: Filing | Unfinished): boolean {
  return filing === 'escalation' || session.line === 'escalation';
}

/** The draft a call files: source key `call:<CallSid>`, sent at call start, the caller's number as reporter. */
export function draftForCall(session: CallSession, filing: Filing | Unfinished): IntakeDraft {
  const pl = session.language === 'pl';
  const escalation = escalates(session, filing);
  // The request number typed and read back, but never confirmed with 1 (the call ended first):
  // still the best reference there is. submit() attaches to it only if it exists, else files a
  // new escalation; the description tells the manager it was not confirmed.
  const unconfirmedNumber = escalation && filing !== 'escalation' && session.escalationNumber !== undefined;
  const lines: string[] = [];
  if (filing === 'recording') {
    lines.push(pl ? 'Dzwoniący nagrał wiadomość po nieudanych próbach podania danych; oddzwonić.' : 'The caller left a recorded message after failed attempts; call back.');
  } else if (typeof filing === 'object') {
    lines.push(
      pl
        ? `Połączenie zakończone przed końcem zgłoszenia (status: ${filing.callStatus}, krok: ${session.step}); oddzwonić.`
        : `The call ended before the report was complete (status: ${filing.callStatus}, step: ${session.step}); call back.`,
    );
  }
  if (session.recordingUrl) lines.push(`${pl ? 'Nagranie' : 'Recording'}: ${session.recordingUrl}`);
  if (session.candidateSerial && !session.serialNumber) {
    lines.push(`${pl ? 'Niepotwierdzone urządzenie' : 'Unconfirmed device'}: ${session.candidateSerial}`);
  }
  if (escalation && !session.escalationNumber) lines.push(pl ? 'Dzwoniący nie podał numeru zgłoszenia.' : 'The caller gave no request number.');
  if (unconfirmedNumber) {
    lines.push(`${pl ? 'Numer zgłoszenia wpisany, niepotwierdzony' : 'Request number typed, not confirmed'}: ${session.escalationNumber}`);
  }

  const draft: IntakeDraft = {
    channel: 'phone',
    kind: escalation ? 'escalation' : 'service',
    sourceKey: `call:${session.callSid}`,
    sentAt: session.startedAt,
    // A caller ID that is no number (`anonymous`, `client:…`) stays in the payload, not as a phone to call back.
    reporter: { ...(isPhoneNumber(session.from) ? { phone: session.from } : {}), ...(session.callerName ? { name: session.callerName } : {}) },
    language: session.language,
    subject: escalation ? (pl ? 'Eskalacja telefoniczna' : 'Escalation by phone') : pl ? 'Zgłoszenie telefoniczne' : 'Report by phone',
    references: escalation && session.escalationNumber ? [session.escalationNumber] : [],
    raw: {
      ...(session.recordingUrl ? { location: session.recordingUrl } : {}),
      payload: {
        callSid: session.callSid,
        line: session.line,
        from: session.from,
        to: session.to,
        step: session.step,
        failures: session.failures,
        heard: session.heard,
        ...(session.recordingUrl ? { recordingUrl: session.recordingUrl } : {}),
        ...(session.candidateSerial ? { candidateSerial: session.candidateSerial } : {}),
        ...(typeof filing === 'object' ? { callStatus: filing.callStatus } : {}),
      },
    },
  };
  if (lines.length > 0) draft.description = lines.join('\n');
  if (session.contractNumber) draft.contractNumber = session.contractNumber;
  // Only a confirmed device is filed as the serial: an unconfirmed read-back stays in the payload.
  if (session.serialNumber) draft.serialNumber = session.serialNumber;
  return draft;
}

/** What closing needs besides the session. */
export interface ClosingContext {
  registry: ContractRegistry;
  calendar: ServiceCalendar;
  now: number;
  /** An SMS acknowledgment will follow (Twilio is configured): say so. */
  smsConfirmation: boolean;
}

/** What the caller hears after the request is in Redis. */
export function closingReply(
  session: CallSession,
  filing: Filing,
  result: { requestNumber: string; mode: 'new' | 'attach' },
  context: ClosingContext,
  prefix: string[] = [],
): Reply {
  const t = promptsFor(session.language);
  const say = [...prefix];
  const sms = context.smsConfirmation ? [t.smsFollows] : [];
  // An escalation-line call that ended in a recorded message was filed as an escalation too, so
  // the caller hears where it went and that the manager was alerted.
  if (escalates(session, filing)) {
    say.push(t.escalationFiled(result.requestNumber, result.mode === 'attach'));
    if (result.mode === 'new') say.push(t.requestNumber(result.requestNumber));
    say.push(t.managerAlerted, t.goodbye);
    return { say, hangup: true };
  }
  say.push(t.requestNumber(result.requestNumber));
  const draft = draftForCall(session, filing);
  const sentAtMs = Date.parse(session.startedAt);
  const assessment = assess(
    { serialNumber: draft.serialNumber, contractNumber: draft.contractNumber, reporter: draft.reporter, sentAtMs },
    context.registry,
  );
  // Only a representative of the matched contract hears about it (DESIGN.md section 9); an
  // accepted report is a representative's by definition.
  const represents = assessment.contract !== undefined && representsContract(assessment.contract.number, draft.reporter, context.registry);
  if (assessment.acceptability === 'accepted' && assessment.contract) {
    const explained = explainResponseDeadline(sentAtMs, assessment.contract.window, context.calendar);
    say.push(t.deadline(instantInWords(new Date(explained.deadline).toISOString(), session.language, context.now)));
    const clockStart = explained.segments[0]?.start ?? sentAtMs;
    if (clockStart > sentAtMs) say.push(t.clockStarts(instantInWords(new Date(clockStart).toISOString(), session.language, context.now, 'at')));
  } else if (assessment.acceptability === 'contract-expired' && represents) {
    say.push(t.expiredFollowUp);
  } else if (assessment.acceptability === 'contract-expired' || assessment.acceptability === 'unauthorized-reporter') {
    say.push(t.checkingFollowUp);
  } else {
    say.push(t.needsInfoFollowUp);
  }
  say.push(...sms, t.goodbye);
  return { say, hangup: true };
}

/** What the caller hears when Redis is down: the request is kept and filed when Redis is back. */
export function registeringReply(session: CallSession, smsConfirmation: boolean, prefix: string[] = []): Reply {
  const t = promptsFor(session.language);
  return { say: [...prefix, t.registering(smsConfirmation), t.goodbye], hangup: true };
}
