/**
 * What anonymizing a request means, as plain functions over a request and its history (pure):
 *
 * - **Kept** for the SLA statistics: the number, status and acceptability, channel and kind,
 *   contract, device and serial number, the sent, stamped and clock-start instants, every
 *   deadline with its trace, the first response (the engineer's name stays: an engineer is not
 *   the data subject), and every event with its time, type and status change.
 * - **Removed**: the reporter (name, e-mail, phone), the subject and description, the
 *   attachments (their files are deleted by the caller), the raw source (mail headers, IVR
 *   answers, the recording's address), the text of replies and escalations, the text of notes
 *   and of action notes (engineers write the customer's words and numbers there).
 * - Everything left is also scrubbed of the person's traces (TraceMatcher): a reason or an
 *   unknown event type that quotes an address or a number loses it too.
 *
 * Each removal appends a `personal-data-removed` event naming what went, never whose it was.
 */
import type { PersonalDataRemovedEvent, RequestEvent } from '../domain/history.js';
import type { Attachment, ServiceRequest } from '../domain/request.js';
import { isSubject, REMOVED, TraceMatcher, type DataSubject } from './data-subject.js';

/** Who removes and why, for the event. */
/** Whose traces a matcher looks for. */
export interface Traces {
  emails: string[];
  phones: string[];
  names: string[];
}

export interface RemovalContext {
  at: string;
  /** `system` (retention) or who asked: `cli`, `admin:<token name>`. */
  actor: string;
  /** `retention` or `privacy`. */
  source: string;
}

/** A request and its history after a removal, and what the caller must delete on disk. */
export interface Removal {
  request: ServiceRequest;
  history: RequestEvent[];
  /** The event appended last (also in `history`). */
  event: PersonalDataRemovedEvent;
  /** Attachment files no longer named by this request (delete unless another request names them). */
  storageKeys: string[];
}

/** Twilio recording addresses (`https://api.twilio.com/.../Recordings/RE...`). */
const RECORDING_URL = /https?:\/\/[^\s"'<>]+\/Recordings\/[A-Za-z0-9_-]+(?:\.[a-z0-9]+)?/g;

/** The call recordings a request and its history name. */
export function recordingsOf(request: ServiceRequest, history: readonly RequestEvent[]): string[] {
  return [...new Set(JSON.stringify([request, history]).match(RECORDING_URL) ?? [])];
}

/** The traces of every person a request holds: its reporter and those of its replies. */
export function tracesOfRequest(request: ServiceRequest, history: readonly RequestEvent[]): Traces {
  const reporters = [request.reporter, ...history.flatMap((event) => (event.type === 'reply' || event.type === 'escalation' ? [event.data.reporter] : []))];
  return {
    emails: reporters.flatMap((r) => (r?.email ? [r.email] : [])),
    phones: reporters.flatMap((r) => (r?.phone ? [r.phone] : [])),
    names: reporters.flatMap((r) => (r?.name ? [r.name] : [])),
  };
}

/** Retention of a closed request: every person's data in it goes. */
export function anonymizeRequest(request: ServiceRequest, history: readonly RequestEvent[], context: RemovalContext): Removal {
  return removeFrom(request, history, new TraceMatcher(tracesOfRequest(request, history)), 'whole', context, 'retention');
}

/**
 * A data subject's erasure: a request they filed is anonymized whole (as retention would); in a
 * request someone else filed, only their replies lose their content, and their traces are
 * scrubbed from the rest. Null when the request holds nothing of theirs.
 */
export function eraseSubject(request: ServiceRequest, history: readonly RequestEvent[], subject: DataSubject, names: readonly string[], context: RemovalContext): Removal | null {
  const own: Traces = { emails: subject.email ? [subject.email] : [], phones: subject.phone ? [subject.phone] : [], names: [...names] };
  const matcher = new TraceMatcher(own);
  if (isSubject(request.reporter, subject)) {
    // Their request: the other people in it (a colleague's reply) go as well.
    const all = tracesOfRequest(request, history);
    return removeFrom(request, history, new TraceMatcher({ emails: [...own.emails, ...all.emails], phones: [...own.phones, ...all.phones], names: [...own.names, ...all.names] }), 'whole', context, 'erasure');
  }
  const theirs = (event: RequestEvent): boolean => (event.type === 'reply' || event.type === 'escalation') && isSubject(event.data.reporter, subject);
  if (!history.some(theirs) && !matcher.mentionedIn([request, history])) return null;
  return removeFrom(request, history, matcher, theirs, context, 'erasure');
}

/** Recording retention: the recordings' addresses go, the rest of the request stays. */
export function removeRecordings(request: ServiceRequest, history: readonly RequestEvent[], context: RemovalContext): Removal | null {
  const recordings = recordingsOf(request, history);
  if (recordings.length === 0) return null;
  const strip = <T>(value: T): T => JSON.parse(JSON.stringify(value).replace(RECORDING_URL, REMOVED)) as T;
  const raw = { ...request.raw };
  if (raw.location && new RegExp(RECORDING_URL.source).test(raw.location)) delete raw.location;
  const next = strip({ ...request, raw, recordingsRemovedAt: context.at });
  const event: PersonalDataRemovedEvent = {
    id: `personal-data-removed:recordings:${context.at}`,
    at: context.at,
    actor: context.actor,
    source: context.source,
    type: 'personal-data-removed',
    data: { reason: 'recording-retention', fields: ['recordings'], events: 0, attachmentsDeleted: 0, recordingsRemoved: recordings.length },
  };
  return { request: next, history: [...strip([...history]), event], event, storageKeys: [] };
}

function removeFrom(
  request: ServiceRequest,
  history: readonly RequestEvent[],
  matcher: TraceMatcher,
  /** `whole`: the request and every event; else the events whose content goes. */
  strip: 'whole' | ((event: RequestEvent) => boolean),
  context: RemovalContext,
  reason: 'retention' | 'erasure',
): Removal {
  const whole = strip === 'whole';
  const recordings = recordingsOf(request, history);
  const removedKeys = new Set<string>();
  const fields: string[] = [];
  let next: ServiceRequest = { ...request };
  if (whole) {
    if (Object.keys(request.reporter ?? {}).length > 0) fields.push('reporter');
    if (request.subject !== undefined) fields.push('subject');
    if (request.description !== undefined) fields.push('description');
    if (request.attachments.length > 0) fields.push('attachments');
    if (Object.keys(request.raw ?? {}).length > 0) fields.push('raw');
    for (const attachment of request.attachments) removedKeys.add(attachment.storageKey);
    next = { ...next, reporter: {}, attachments: [], raw: {}, personalDataRemoved: { at: context.at, reason } };
    delete next.subject;
    delete next.description;
  }
  let events = 0;
  const nextHistory = history.map((event): RequestEvent => {
    const stripped = strip === 'whole' || strip(event) ? stripEventText(event) : event;
    if (stripped !== event) {
      events += 1;
      if ((event.type === 'reply' || event.type === 'escalation') && event.data.attachments) {
        for (const attachment of event.data.attachments) removedKeys.add(attachment.storageKey);
      }
    }
    return matcher.scrubValue(stripped);
  });
  if (!whole && removedKeys.size > 0) {
    // Their attachments also leave the request's own list.
    next = { ...next, attachments: request.attachments.filter((a: Attachment) => !removedKeys.has(a.storageKey)) };
    fields.push('attachments');
  }
  next = matcher.scrubValue(next);
  const event: PersonalDataRemovedEvent = {
    id: `personal-data-removed:${reason}:${context.at}`,
    at: context.at,
    actor: context.actor,
    source: context.source,
    type: 'personal-data-removed',
    data: { reason, fields, events, attachmentsDeleted: removedKeys.size, recordingsRemoved: whole ? recordings.length : 0 },
  };
  // Recording addresses held in what was kept (a reason quoting one) go too when the request goes whole.
  const finalRequest = whole ? (JSON.parse(JSON.stringify(next).replace(RECORDING_URL, REMOVED)) as ServiceRequest) : next;
  const finalHistory = whole ? (JSON.parse(JSON.stringify(nextHistory).replace(RECORDING_URL, REMOVED)) as RequestEvent[]) : nextHistory;
  if (whole && recordings.length > 0) finalRequest.recordingsRemovedAt = context.at;
  return { request: finalRequest, history: [...finalHistory, event], event, storageKeys: [...removedKeys] };
}

/** The event without its personal text: a reply keeps when it came and what it changed. */
function stripEventText(event: RequestEvent): RequestEvent {
  switch (event.type) {
    case 'reply':
    case 'escalation': {
      const { sentAt, serialNumber, contractNumber } = event.data;
      return { ...event, data: { sentAt, reporter: {}, ...(serialNumber ? { serialNumber } : {}), ...(contractNumber ? { contractNumber } : {}) } };
    }
    case 'note':
      return { ...event, data: { text: REMOVED } };
    case 'acknowledgment-undeliverable': {
      // The refused address and the server's words (which quote it) are the reporter's.
      const { status, messageId, sentAt } = event.data;
      return { ...event, data: { sentAt, ...(status ? { status } : {}), ...(messageId ? { messageId } : {}) } };
    }
    case 'contacted':
    case 'reporter-confirmed':
    case 'verified':
    case 'delivered':
    case 'shipped':
    case 'returned':
    case 'closed': {
      if (event.data.note === undefined) return event;
      return { ...event, data: { ...event.data, note: REMOVED } } as RequestEvent;
    }
    default:
      return event;
  }
}
