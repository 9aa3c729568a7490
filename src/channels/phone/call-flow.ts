/**
 * The IVR as a pure state machine over plain data (DESIGN.md section 5, Phone): a call's
 * session plus what the caller pressed or said gives the next session and what to say. No
 * I/O here — the routes load and save sessions, submit drafts and render TwiML — so every
 * path of a call can be tested without a server.
 */
import { representsContract } from '../../domain/assessment.js';
import { contractStatusAt, type Contract, type Device } from '../../domain/contract-terms.js';
import type { ContractRegistry } from '../../domain/contracts.js';
import { requestNumberFromKeypad } from '../../domain/request-number.js';
import { promptsFor, type CallLanguage } from './prompts.js';

/** Which number was called: the hotline (+48 12 25 25 600) or the escalation line (+48 12 25 25 502). */
export type Line = 'hotline' | 'escalation';

/** Where a call stands: the question the caller is answering. */
export type Step =
  | 'language'
  | 'contract-offer'
  | 'contract'
  | 'device-confirm'
  | 'serial'
  | 'serial-confirm'
  | 'escalation-number'
  | 'escalation-confirm'
  | 'record'
  | 'done';

/** One answer as heard, kept so that a call-back can see what the caller tried. */
export interface HeardInput {
  step: Step;
  digits?: string;
  speech?: string;
}

/** Everything a call has collected; stored in Redis by CallSid between webhooks. */
export interface CallSession {
  callSid: string;
  line: Line;
  /** The caller's number as Twilio gave it (caller ID). */
  from: string;
  to: string;
  /** The first webhook's time: the request's sentAt ("sent" is call start, DESIGN.md §3). */
  startedAt: string;
  language: CallLanguage;
  step: Step;
  /** Wrong or missing answers so far; at maxFailures the caller is asked to leave a message. */
  failures: number;
  /** The representative recognised by caller ID, if any. */
  callerName?: string;
  /** The contract offered by caller ID, awaiting "1". */
  offeredContract?: string;
  contractNumber?: string;
  /** A device read back and awaiting "1" (not yet confirmed, so never filed as the serial). */
  candidateSerial?: string;
  serialNumber?: string;
  /** Escalation line: the request number read back or confirmed. */
  escalationNumber?: string;
  recordingUrl?: string;
  heard: HeardInput[];
  /** Set once the call's request is in Redis (`filed`) or in the local spool (`spooled`). */
  finished?: 'filed' | 'spooled';
  requestNumber?: string;
  /**
   * What the caller heard when the call was filed. A webhook that reaches a finished call is
   * its last one again — the process that answered it died before the answer got out, and the
   * load balancer sent it on — so the caller hears the same number, not a bare goodbye.
   */
  closing?: string[];
}

/** What the caller did at a webhook. */
export interface CallInput {
  digits?: string;
  speech?: string;
  /** The Gather ended without input (Twilio followed our Redirect). */
  timedOut?: boolean;
  recordingUrl?: string;
}

/** What Twilio should collect next. */
export interface Ask {
  /** `key`: one key; `digits`: digits ended by #; `serial`: digits ended by # or speech. */
  kind: 'key' | 'digits' | 'serial';
  timeoutSeconds: number;
}

/** What to do on the line. */
export interface Reply {
  say: string[];
  ask?: Ask;
  record?: boolean;
  hangup?: boolean;
}

/** Why a call is filed now: the flow completed, a message was recorded, an escalation. */
export type Filing = 'complete' | 'recording' | 'escalation';

/** The next state: say something and wait, or file the request (then the routes close the call). */
export type Transition = { session: CallSession; reply: Reply; file?: undefined } | { session: CallSession; file: Filing; prefix: string[] };

/** What the flow reads besides the session. */
export interface FlowContext {
  registry: ContractRegistry;
  maxFailures: number;
  /** Escalation line: whether the request number just typed exists (looked up by the route). */
  escalationRequestKnown?: boolean;
}

/** How many raw answers a session keeps (a caller pressing keys for an hour must not grow it without end). */
const MAX_HEARD = 40;

/** A new call: greet, offer English. */
export function startCall(call: { callSid: string; line: Line; from: string; to: string; startedAt: string }): { session: CallSession; reply: Reply } {
  const session: CallSession = { ...call, language: 'pl', step: 'language', failures: 0, heard: [] };
  const pl = promptsFor('pl');
  return { session, reply: { say: [pl.greeting(call.line), pl.englishOption], ask: { kind: 'key', timeoutSeconds: 3 } } };
}

/** One answer of the caller → the next state. */
export function advance(current: CallSession, input: CallInput, context: FlowContext): Transition {
  const session: CallSession = { ...current, heard: remember(current, input) };
  const t = promptsFor(session.language);
  const digits = (input.digits ?? '').replace(/[^0-9]/g, '');
  const key = digits.slice(0, 1);

  switch (session.step) {
    case 'language':
      if (key === '9') session.language = 'en';
      return afterLanguage(session, context);

    case 'contract-offer': {
      if (key === '1' && session.offeredContract) {
        const contract = context.registry.findContract(session.offeredContract);
        if (contract) return contractChosen(session, contract, context.registry);
      }
      if (key === '2') return ask(session, 'contract', [t.askContract]);
      return failure(session, input, t.pressOneOrTwo, context);
    }

    case 'contract': {
      if (digits === '') return failure(session, input, t.noInput, context);
      const contract = context.registry.findContractByDigits(digits);
      if (!contract) return failure(session, input, t.contractNotFound(digits), context);
      // Typed digits are read back as the stored number with its customer (DESIGN.md section 1)
      // to a representative of that contract, so one who mistyped into another customer's
      // contract hears it; anyone else hears only the digits they typed (section 9: whose
      // contract a number is, is not told to whoever types it).
      const readBack = callerRepresents(session, contract, context.registry) ? t.readBackContract(contract.number, contract.customer) : t.readBackContractDigits(digits);
      return contractChosen(session, contract, context.registry, [readBack]);
    }

    case 'device-confirm': {
      const contract = contractOf(session, context);
      const only = contract?.devices.length === 1 ? contract.devices[0] : undefined;
      if (key === '1' && only) return { session: { ...session, serialNumber: only.serial, step: 'done' }, file: 'complete', prefix: [] };
      if (key === '2') return ask(session, 'serial', [t.askSerial]);
      return failure(session, input, t.pressOneOrTwo, context);
    }

    case 'serial': {
      const contract = contractOf(session, context);
      const heard = input.speech?.trim() || digits;
      if (!contract) return ask(session, 'contract', [t.askContract]);
      if (heard === '') return failure(session, input, t.noInput, context);
      const matches = matchSerial(context.registry, contract, digits, input.speech);
      if (matches.length === 0) return failure(session, input, t.serialNotFound(heard.replace(/[^A-Za-z0-9]/g, '')), context);
      if (matches.length > 1) return failure(session, input, t.serialAmbiguous(matches.length), context);
      const device = matches[0] as Device;
      session.candidateSerial = device.serial;
      const readBack = callerRepresents(session, contract, context.registry) ? t.readBackSerial(device.model, device.serial) : t.readBackSerialHeard(heardSerial(heard));
      return ask(session, 'serial-confirm', [readBack]);
    }

    case 'serial-confirm':
      if (key === '1' && session.candidateSerial) {
        return { session: { ...session, serialNumber: session.candidateSerial, step: 'done' }, file: 'complete', prefix: [] };
      }
      if (key === '2') return ask({ ...session, candidateSerial: undefined }, 'serial', [t.askSerial]);
      return failure(session, input, t.pressOneOrTwo, context);

    case 'escalation-number': {
      if (digits === '0') return { session: { ...session, escalationNumber: undefined, step: 'done' }, file: 'escalation', prefix: [] };
      if (digits === '') return failure(session, input, t.noInput, context);
      const number = requestNumberFromKeypad(digits);
      if (number === null) return failure(session, input, t.escalationNumberMalformed, context);
      if (context.escalationRequestKnown === false) return failure(session, input, t.escalationNumberUnknown(number), context);
      session.escalationNumber = number;
      return ask(session, 'escalation-confirm', [t.readBackEscalationNumber(number)]);
    }

    case 'escalation-confirm':
      if (key === '1' && session.escalationNumber) return { session: { ...session, step: 'done' }, file: 'escalation', prefix: [] };
      if (key === '2') return ask({ ...session, escalationNumber: undefined }, 'escalation-number', [t.askEscalationNumber]);
      return failure(session, input, t.pressOneOrTwo, context);

    case 'record':
      return { session: { ...session, recordingUrl: input.recordingUrl, step: 'done' }, file: 'recording', prefix: [t.recordingReceived] };

    case 'done':
      return { session, reply: { say: [t.goodbye], hangup: true } };
  }
}

/**
 * The contract's devices matching what the caller typed or said. Speech is tried as a whole
 * serial first ("Q48-24-07315" said in full), then as a suffix; typed digits as a suffix of the
 * serial's digits (a caller reads the label and types what the keypad allows).
 */
export function matchSerial(registry: ContractRegistry, contract: Contract, digits: string, speech?: string): Device[] {
  const spoken = (speech ?? '').replace(/[^A-Za-z0-9]/g, '');
  if (spoken !== '') {
    const exact = registry.findDevice(contract, spoken);
    if (exact) return [exact];
    const bySuffix = registry.findDevicesBySuffix(contract, spoken);
    if (bySuffix.length > 0) return bySuffix;
    const spokenDigits = spoken.replace(/\D/g, '');
    return spokenDigits === '' ? [] : registry.findDevicesBySuffix(contract, spokenDigits);
  }
  return digits === '' ? [] : registry.findDevicesBySuffix(contract, digits);
}

function afterLanguage(session: CallSession, context: FlowContext): Transition {
  const t = promptsFor(session.language);
  if (session.line === 'escalation') return ask(session, 'escalation-number', [t.askEscalationNumber]);
  const recognised = recogniseCaller(session, context.registry);
  if (recognised) {
    session.callerName = recognised.name;
    session.offeredContract = recognised.contract.number;
    return ask(session, 'contract-offer', [t.welcomeBack(recognised.name), t.offerContract(recognised.contract.number, recognised.contract.customer)]);
  }
  return ask(session, 'contract', [t.askContract]);
}

/** The caller's representative record by caller ID; a valid contract is offered before an expired one. */
export function recogniseCaller(session: Pick<CallSession, 'from' | 'startedAt'>, registry: ContractRegistry): { name: string; contract: Contract } | undefined {
  const matches = registry.findRepresentativesByPhone(session.from);
  const at = Date.parse(session.startedAt);
  const best = matches.find((m) => contractStatusAt(m.contract, at) === 'valid') ?? matches[0];
  return best ? { name: best.representative.name, contract: best.contract } : undefined;
}

/**
 * Whether the caller ID is a representative's of `contract`: only they hear its customer, its
 * devices and its validity (DESIGN.md section 9).
 */
export function callerRepresents(session: Pick<CallSession, 'from'>, contract: Contract, registry: ContractRegistry): boolean {
  return representsContract(contract.number, { phone: session.from }, registry);
}

/**
 * The contract is known: say `readBack` and, to its representative, any validity notice and
 * the only device to confirm; then ask for the device. Anyone else is asked for the serial
 * (the request is filed all the same, and an engineer checks it).
 */
function contractChosen(session: CallSession, contract: Contract, registry: ContractRegistry, readBack: string[] = []): Transition {
  const t = promptsFor(session.language);
  session.contractNumber = contract.number;
  session.offeredContract = undefined;
  if (!callerRepresents(session, contract, registry)) return ask(session, 'serial', [...readBack, t.askSerial]);
  const status = contractStatusAt(contract, Date.parse(session.startedAt));
  // An expired contract is still filed (a human answers it), so the device is still asked for.
  const notice = status === 'expired' ? [t.contractExpired(contract.validTo)] : status === 'not-yet-valid' ? [t.contractNotYetValid(contract.validFrom)] : [];
  const only = contract.devices.length === 1 ? contract.devices[0] : undefined;
  if (only) return ask(session, 'device-confirm', [...readBack, ...notice, t.confirmOnlyDevice(only.model, only.serial)]);
  return ask(session, 'serial', [...readBack, ...notice, t.askSerial]);
}

/** What the caller typed or said for the serial, as it is read back: letters and digits only. */
function heardSerial(heard: string): string {
  return heard.replace(/[^A-Za-z0-9]/g, '');
}

function contractOf(session: CallSession, context: FlowContext): Contract | undefined {
  return session.contractNumber ? context.registry.findContract(session.contractNumber) : undefined;
}

/** Asks the question of `step`, after `say`. */
function ask(session: CallSession, step: Step, say: string[]): Transition {
  const next = { ...session, step };
  return { session: next, reply: { say, ask: askFor(step) } };
}

function askFor(step: Step): Ask {
  if (step === 'contract' || step === 'escalation-number') return { kind: 'digits', timeoutSeconds: 8 };
  if (step === 'serial') return { kind: 'serial', timeoutSeconds: 8 };
  return { kind: 'key', timeoutSeconds: 6 };
}

/** The question of the current step again, for a retry. */
function repeatQuestion(session: CallSession, context: FlowContext): string[] {
  const t = promptsFor(session.language);
  switch (session.step) {
    case 'contract-offer': {
      const contract = session.offeredContract ? context.registry.findContract(session.offeredContract) : undefined;
      return contract ? [t.offerContract(contract.number, contract.customer)] : [t.askContract];
    }
    case 'device-confirm': {
      const only = contractOf(session, context)?.devices[0];
      return only ? [t.confirmOnlyDevice(only.model, only.serial)] : [t.askSerial];
    }
    case 'serial':
      return [t.askSerial];
    case 'serial-confirm': {
      const contract = contractOf(session, context);
      if (contract && callerRepresents(session, contract, context.registry)) {
        return [t.readBackSerial(contract.devices.find((d) => d.serial === session.candidateSerial)?.model ?? '', session.candidateSerial ?? '')];
      }
      const last = [...session.heard].reverse().find((entry) => entry.step === 'serial');
      return [t.readBackSerialHeard(heardSerial(last?.speech?.trim() || (last?.digits ?? '')))];
    }
    case 'escalation-number':
      return [t.askEscalationNumber];
    case 'escalation-confirm':
      return [t.readBackEscalationNumber(session.escalationNumber ?? '')];
    default:
      return [t.askContract];
  }
}

/** A wrong or missing answer: say what was wrong and ask again, or ask for a recorded message. */
function failure(session: CallSession, _input: CallInput, what: string, context: FlowContext): Transition {
  const t = promptsFor(session.language);
  const failures = session.failures + 1;
  if (failures >= context.maxFailures) {
    return { session: { ...session, failures, step: 'record' }, reply: { say: [what, t.askForRecording], record: true } };
  }
  return { session: { ...session, failures }, reply: { say: [what, ...repeatQuestion(session, context)], ask: askFor(session.step) } };
}

function remember(session: CallSession, input: CallInput): HeardInput[] {
  if (input.digits === undefined && input.speech === undefined) return session.heard;
  const entry: HeardInput = { step: session.step };
  if (input.digits !== undefined) entry.digits = input.digits.slice(0, 64);
  if (input.speech !== undefined) entry.speech = input.speech.slice(0, 200);
  return [...session.heard, entry].slice(-MAX_HEARD);
}
