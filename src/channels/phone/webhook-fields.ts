/**
 * Twilio's form fields as the call flow may use them. Twilio sends each field once, as short
 * text; but a correctly signed body can still carry anything (a leaked auth token, a Twilio
 * change, a test), and whatever it carries must neither crash a route, nor file a request under
 * a garbage key, nor make a draft that submit() refuses (the call would be lost), nor make TwiML
 * that Twilio refuses (a <Say> over 3,000 characters with a Polly voice, warning 13521).
 *
 * So the CallSid — the call's identity, its session key and its source key — is checked and a
 * bad one is refused with 400 (INPUT_INVALID, which Twilio's debugger shows). Everything else is
 * bounded or dropped and the call goes on: a caller must not be hung up on over a field.
 */
import type { Request } from 'express';
import { IntakeError } from '../../errors.js';

/**
 * Twilio writes `CA` and 32 hex digits; simulators and tests write shorter ones, so any letters
 * or digits are taken. Never a `:` (source keys are `call:<sid>` and `call:<sid>:recording`),
 * never whitespace or control characters, never longer than 64 characters.
 */
export const CALL_SID = /^CA[A-Za-z0-9]{1,62}$/;

/** The bounds applied to what a caller or Twilio sends. */
export const FIELD_LIMITS = {
  /** Keys of one <Gather>: no question of ours takes more than a few dozen. */
  digits: 64,
  /** A recognised utterance: a serial number said aloud is a few dozen characters. */
  speech: 500,
  /** Caller ID (From, To): E.164 is at most 16 characters; SIP and client addresses are longer. */
  callerId: 64,
  /** raw.location of a draft holds at most 2,000 characters. */
  recordingUrl: 2_000,
  /** Twilio ends a call after 24 hours at the latest. */
  callDurationSeconds: 86_400,
} as const;

/** A caller ID that may be filed as the reporter's phone (digits with the usual separators). */
const PHONE_NUMBER = /^\+?[0-9][0-9 ()./-]{2,39}$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A form field as a string: '' when absent or given more than once (an array after parsing). */
export function field(req: Request, name: string): string {
  const value = fieldValue(req, name);
  return typeof value === 'string' ? value : '';
}

/** The call's CallSid; a missing, repeated or malformed one is refused (400) before any state is touched. */
export function callSidOf(req: Request): string {
  const value = fieldValue(req, 'CallSid');
  if (value === undefined) throw invalid('CallSid is missing; Twilio sends it with every voice webhook.');
  if (typeof value !== 'string') throw invalid('CallSid was given more than once; a webhook concerns one call.');
  if (!CALL_SID.test(value)) throw invalid('CallSid is not shaped like a Twilio CallSid ("CA" followed by at most 62 letters or digits).');
  return value;
}

/** The status callback's CallStatus; missing or repeated is refused (400), an unknown value is the route's to ignore. */
export function callStatusOf(req: Request): string {
  const value = fieldValue(req, 'CallStatus');
  if (value === undefined) throw invalid('CallStatus is missing; Twilio sends it with every status callback.');
  if (typeof value !== 'string') throw invalid('CallStatus was given more than once.');
  return value;
}

/** From or To as kept in the session: control characters removed, bounded. */
export function callerIdOf(req: Request, name: 'From' | 'To'): string {
  return field(req, name).replace(CONTROL, '').trim().slice(0, FIELD_LIMITS.callerId);
}

/** Whether a caller ID can be filed as the reporter's phone (not `anonymous`, `client:…`, `sip:…`). */
export function isPhoneNumber(callerId: string): boolean {
  return PHONE_NUMBER.test(callerId);
}

/** Keys pressed at a <Gather>, bounded; undefined when absent or repeated (the flow then hears no answer). */
export function digitsOf(req: Request): string | undefined {
  const value = fieldValue(req, 'Digits');
  return typeof value === 'string' ? value.slice(0, FIELD_LIMITS.digits) : undefined;
}

/** Speech recognised at a <Gather>, bounded; undefined when absent, blank or repeated. */
export function speechOf(req: Request): string | undefined {
  const value = fieldValue(req, 'SpeechResult');
  if (typeof value !== 'string') return undefined;
  const speech = value.replace(CONTROL, ' ').trim().slice(0, FIELD_LIMITS.speech);
  return speech === '' ? undefined : speech;
}

/** The recording's URL when it is one (http or https, bounded); otherwise the call is filed without it. */
export function recordingUrlOf(req: Request): string | undefined {
  const value = field(req, 'RecordingUrl');
  // Whitespace or a control character is no part of a URL Twilio hands out.
  if (value === '' || value.length > FIELD_LIMITS.recordingUrl || /\s/.test(value) || value.replace(CONTROL, '') !== value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The call's length from a status callback, in ms: whole seconds within a day, else 0 (start = now). */
export function callDurationMsOf(req: Request): number {
  const value = field(req, 'CallDuration').trim();
  if (!/^\d{1,6}$/.test(value)) return 0;
  return Math.min(Number(value), FIELD_LIMITS.callDurationSeconds) * 1000;
}

function fieldValue(req: Request, name: string): unknown {
  const body = req.body as Record<string, unknown> | undefined;
  // Own properties only: `toString` must not be read off Object.prototype as a field.
  return body !== undefined && body !== null && Object.hasOwn(body, name) ? body[name] : undefined;
}

function invalid(message: string): IntakeError {
  return new IntakeError('INPUT_INVALID', message);
}
