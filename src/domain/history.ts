/**
 * A request's history: the append-only events that the dispatcher (filing, replies), the
 * engineer actions and the timers write, one type each with its own fields, and how stored
 * events of an older shape are read. Stored lists are never rewritten: an old event is
 * migrated each time it is read. Pure.
 */
import type { RecordedItem } from './inspections.js';
import type { Action, Attachment, ContactVia, Deadline, Reporter, RequestStatus, Resolution, Undeliverable } from './request.js';

interface EventBase {
  /** Unique per request; replays of the same source write the same id and are skipped. */
  id: string;
  /** When it was recorded; for an engineer action, when it happened. */
  at: string;
  /** Who: `system`, `engineer:<name>`, the channel (`phone`, `email`, `portal`). */
  actor: string;
  /** Where it came from: a source key, `api`, `timer`. */
  source: string;
  /** Internal notes are never shown to the customer. */
  internal?: boolean;
  /** Set on an event copied from a duplicate merged into this request: the duplicate's number. */
  mergedFrom?: string;
}

/** The request was stamped; `status` is where the assessment put it. */
export interface FiledEvent extends EventBase {
  type: 'filed';
  data: { status: RequestStatus; reason?: string; sentAt: string };
}

/**
 * The response clock started: at the sent time of the request, or of the reply that brought
 * the missing serial or contract. Not when this event was written (`at`): after a backlog,
 * that is later.
 */
export interface ClockStartedEvent extends EventBase {
  type: 'clock-started';
  data: { clockStartedAt: string; responseDeadline: Deadline };
}

/** A new request that came in as an escalation. */
export interface EscalatedEvent extends EventBase {
  type: 'escalated';
  data?: undefined;
}

/** Missing data arrived and the request was judged again. */
export interface ReassessedEvent extends EventBase {
  type: 'reassessed';
  data: { status: RequestStatus; reason?: string };
}

/** What a reply or an escalation naming an existing request brought. */
export interface AttachedInput {
  sentAt: string;
  subject?: string;
  description?: string;
  serialNumber?: string;
  contractNumber?: string;
  attachments?: Attachment[];
  reporter: Reporter;
}

export interface ReplyEvent extends EventBase {
  type: 'reply';
  data: AttachedInput;
}

export interface EscalationEvent extends EventBase {
  type: 'escalation';
  data: AttachedInput;
}

/** Every engineer action records the status it left and the one it led to. */
export interface ActionTransition {
  from: RequestStatus;
  to: RequestStatus;
  note?: string;
}

/** The first response; absent on a later "contacted", which never rewrites it. */
export interface ContactedEvent extends EventBase {
  type: 'contacted';
  data: ActionTransition & { via?: ContactVia; firstResponse?: { at: string; by: string; met: boolean; via?: ContactVia } };
}

/** The reporter confirmed: the response clock starts at the event's `at`. */
export interface ReporterConfirmedEvent extends EventBase {
  type: 'reporter-confirmed';
  data: ActionTransition & { responseDeadline?: Deadline };
}

/** Verified: an SOS request's delivery clock starts. */
export interface VerifiedEvent extends EventBase {
  type: 'verified';
  data: ActionTransition & { deliveryDeadline?: Deadline };
}

/** Delivered: the damaged device's return clock starts. */
export interface DeliveredEvent extends EventBase {
  type: 'delivered';
  data: ActionTransition & { returnDeadline?: Deadline };
}

export interface StatusActionEvent extends EventBase {
  type: 'shipped' | 'returned';
  data: ActionTransition;
}

/** Closed, with how (requests closed before resolutions existed have none). */
export interface ClosedEvent extends EventBase {
  type: 'closed';
  data: ActionTransition & { resolution?: Resolution };
}

/** An engineer corrected the contract, serial or reporter; the request was judged again. */
export interface DataEditedEvent extends EventBase {
  type: 'data-edited';
  data: { changes: Record<string, { from?: string; to?: string }>; status: RequestStatus; reason?: string };
}

/** Who works on the request: taken by `to`, assigned to `to`, or released (`to` absent). */
export interface OwnerChangedEvent extends EventBase {
  type: 'owner-changed';
  data: { how: 'take' | 'assign' | 'release'; from?: string; to?: string };
}

/** A closed request opened again, back in the status it was closed from. */
export interface ReopenedEvent extends EventBase {
  type: 'reopened';
  data: { to: RequestStatus; reason: string; resolution?: Resolution };
}

/** An engineer's mail to the reporter, queued on the notify queue. */
export interface ReplyQueuedEvent extends EventBase {
  type: 'reply-queued';
  data: { jobId: string; to: string; language: 'pl' | 'en'; subject: string; text: string };
}

/** The notify worker handed that mail to the relay at `data.sentAt`. */
export interface ReplySentEvent extends EventBase {
  type: 'reply-sent';
  data: { jobId: string; sentAt: string };
}

/** A duplicate folded into this request (its events follow, marked `mergedFrom`), or this one into another. */
export interface MergedEvent extends EventBase {
  type: 'merged';
  data: { from: string; into: string };
}

export interface NoteEvent extends EventBase {
  type: 'note';
  internal: boolean;
  data: { text: string };
}

/** The response deadline passed without a first response. */
export interface ResponseBreachedEvent extends EventBase {
  type: 'response-breached';
  data: { deadline: string };
}

/**
 * Personal data was removed from the request (src/privacy): by retention after the request
 * was closed long enough, a call recording's address after `retention.recordingDays`, or a
 * data subject's erasure. Names what went and how much — never whose it was.
 */
export interface PersonalDataRemovedEvent extends EventBase {
  type: 'personal-data-removed';
  data: {
    reason: 'retention' | 'recording-retention' | 'erasure';
    /** The request's fields that were emptied (`reporter`, `description`, ...). */
    fields: string[];
    /** History events whose personal text was removed. */
    events: number;
    attachmentsDeleted: number;
    recordingsRemoved: number;
  };
}

/** An inspection checklist item recorded (a later one for the same item replaces it on the request). */
export interface InspectionItemEvent extends EventBase {
  type: 'inspection-item';
  data: RecordedItem;
}

/**
 * Our acknowledgment came back undeliverable (a bounce naming its Message-ID): the reporter's
 * address is wrong, and an engineer has to reach them another way. Internal.
 */
export interface AcknowledgmentUndeliverableEvent extends EventBase {
  type: 'acknowledgment-undeliverable';
  internal: true;
  data: Undeliverable & { sentAt: string };
}

export type ActionEvent = ContactedEvent | ReporterConfirmedEvent | VerifiedEvent | DeliveredEvent | StatusActionEvent | ClosedEvent;

/** One line of a request's append-only history. */
export type RequestEvent =
  | FiledEvent
  | ClockStartedEvent
  | EscalatedEvent
  | ReassessedEvent
  | ReplyEvent
  | EscalationEvent
  | ActionEvent
  | NoteEvent
  | ResponseBreachedEvent
  | DataEditedEvent
  | OwnerChangedEvent
  | ReopenedEvent
  | ReplyQueuedEvent
  | ReplySentEvent
  | MergedEvent
  | PersonalDataRemovedEvent
  | InspectionItemEvent
  | AcknowledgmentUndeliverableEvent;

export type RequestEventType = RequestEvent['type'];

// Every engineer action has its event type: a new action fails to compile until it has one.
type MissingActionEvent = Exclude<Action, ActionEvent['type']>;
const everyActionHasAnEvent: MissingActionEvent extends never ? true : never = true;
void everyActionHasAnEvent;

/** A `clock-started` event as written before it named its start: `data` was the deadline itself. */
interface StoredClockStartedV1 extends EventBase {
  type: 'clock-started';
  data: Deadline;
}

/**
 * The history as stored (one JSON text per event, oldest first) in today's shape.
 *
 * `clock-started` events written before the clock's start had its own field carried only the
 * deadline, as `data.at`. The start is the sent time of the input that started the clock: the
 * `filed`, `reply` or `escalation` event of the same source (ids `clock:<source>` and
 * `filed:<source>`, ...), which every such history holds. Should it be missing, the event's own
 * `at` — when the clock was stamped, the latest it can have started — stands in.
 *
 * Events of a type this version does not know (written by a newer one during a rolling
 * deploy) are passed on as stored; the readers hide types they do not know.
 */
export function readStoredHistory(stored: readonly string[]): RequestEvent[] {
  const events = stored.map((text) => JSON.parse(text) as RequestEvent | StoredClockStartedV1);
  const sentAtBySource = new Map<string, string>();
  for (const event of events) {
    if ((event.type === 'filed' || event.type === 'reply' || event.type === 'escalation') && typeof event.data?.sentAt === 'string') {
      sentAtBySource.set(event.id.slice(event.id.indexOf(':') + 1), event.data.sentAt);
    }
  }
  return events.map((event) => {
    if (!isClockStartedV1(event)) return event as RequestEvent;
    const sentAt = sentAtBySource.get(event.id.slice(event.id.indexOf(':') + 1));
    const clockStartedAt = sentAt === undefined || Number.isNaN(Date.parse(sentAt)) ? event.at : new Date(Date.parse(sentAt)).toISOString();
    return { ...event, data: { clockStartedAt, responseDeadline: { at: event.data.at, trace: event.data.trace } } };
  });
}

function isClockStartedV1(event: RequestEvent | StoredClockStartedV1): event is StoredClockStartedV1 {
  return event.type === 'clock-started' && !('responseDeadline' in event.data) && typeof (event.data as Partial<Deadline>).at === 'string';
}
