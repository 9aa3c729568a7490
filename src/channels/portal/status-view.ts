/**
 * What a customer may see of a request: its status, deadlines (ISO and Warsaw time) with their
 * traces, the attachments, and a history of customer-visible events. Engineer-only data stays
 * out — internal notes, engineer names, the reason text written for engineers, timer alerts,
 * the raw payload. A whitelist, not a blacklist: an event type added later stays hidden until
 * someone decides it is for customers. Pure.
 */
import { reporterMayKnowCase } from '../../domain/assessment.js';
import { formatWarsaw } from '../../domain/deadlines.js';
import type { RequestEvent } from '../../domain/history.js';
import type { Deadline, ServiceRequest } from '../../domain/request.js';
import type { CustomerEventType, DeadlineView, HistoryItemView, RequestStatusView } from './answers.js';

/** The customer's view of a stored request (or of one still in the queue, when `request` is null). */
export function customerView(number: string, request: ServiceRequest | null, history: readonly RequestEvent[]): RequestStatusView {
  if (!request) return { requestNumber: number, status: 'queued', attachments: [], history: [] };
  return {
    requestNumber: request.number,
    status: request.status,
    kind: request.kind,
    escalated: request.escalated,
    sentAt: request.sentAt,
    ...(request.contractNumber ? { contractNumber: request.contractNumber } : {}),
    ...(request.serialNumber ? { serialNumber: request.serialNumber } : {}),
    // The registry's device (its model) only once the reporter is known to represent the
    // contract (a started clock): a stranger's report is not told what a serial is (DESIGN.md §9).
    ...(request.device && reporterMayKnowCase(request, undefined) ? { device: { serial: request.device.serial, model: request.device.model } } : {}),
    ...(request.subject ? { subject: request.subject } : {}),
    ...(request.responseDeadline ? { responseDeadline: deadlineView(request.responseDeadline) } : {}),
    ...(request.firstResponse ? { firstResponseAt: request.firstResponse.at } : {}),
    ...(request.deliveryDeadline ? { deliveryDeadline: deadlineView(request.deliveryDeadline) } : {}),
    ...(request.returnDeadline ? { returnDeadline: deadlineView(request.returnDeadline) } : {}),
    attachments: request.attachments.map(({ name, type, size, sha256 }) => ({ name, type, size, sha256 })),
    history: history.flatMap((event) => {
      const item = historyItem(event);
      return item ? [item] : [];
    }),
  };
}

function deadlineView(deadline: Deadline): DeadlineView {
  return { at: deadline.at, warsaw: formatWarsaw(Date.parse(deadline.at), { zone: true }), trace: deadline.trace };
}

function historyItem(event: RequestEvent): HistoryItemView | null {
  if (event.internal === true) return null;
  const shown = customerPart(event);
  if (shown === null) return null;
  const by = event.actor.startsWith('engineer:') ? 'HEZO' : event.actor === 'system' ? 'system' : 'you';
  const data = Object.fromEntries(Object.entries(shown.data).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  return { at: event.at, type: shown.type, by, ...(Object.keys(data).length > 0 ? { data } : {}) };
}

/**
 * The type and the fields of an event that are the customer's to see, or null for an event
 * they do not see at all (timer alerts, a reporter's confirmation, types this version does
 * not know).
 */
function customerPart(event: RequestEvent): { type: CustomerEventType; data: Record<string, string | undefined> } | null {
  switch (event.type) {
    case 'filed':
      return { type: event.type, data: { status: event.data.status, sentAt: event.data.sentAt } };
    case 'clock-started':
      return { type: event.type, data: { clockStartedAt: event.data.clockStartedAt, responseDeadline: event.data.responseDeadline.at } };
    case 'reassessed':
      return { type: event.type, data: { status: event.data.status } };
    case 'reply':
    case 'escalation':
      return { type: event.type, data: { sentAt: event.data.sentAt, subject: event.data.subject } };
    case 'note':
      return { type: event.type, data: { text: event.data.text } };
    case 'escalated':
    case 'contacted':
    case 'verified':
    case 'shipped':
    case 'delivered':
    case 'returned':
    case 'closed':
      return { type: event.type, data: {} };
    case 'data-edited':
      // An engineer completed the data: to the customer, the request was judged again.
      return { type: 'reassessed', data: { status: event.data.status } };
    // An inspection's checklist is the engineers'; the customer gets the record when it closes.
    case 'inspection-item':
    case 'reporter-confirmed':
    case 'response-breached':
    case 'personal-data-removed':
    case 'acknowledgment-undeliverable':
    case 'owner-changed':
    case 'reopened':
    case 'reply-queued':
    case 'reply-sent':
    case 'merged':
      return null;
    default: {
      // A type a newer version wrote (a rolling deploy) stays hidden until someone decides;
      // a type added to the union fails to compile here until someone does.
      const undecided: never = event;
      void undecided;
      return null;
    }
  }
}
