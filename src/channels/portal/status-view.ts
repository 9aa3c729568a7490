/**
 * What a customer may see of a request: its status, deadlines (ISO and Warsaw time) with their
 * traces, the attachments, and a history of customer-visible events. Engineer-only data stays
 * out — internal notes, engineer names, the reason text written for engineers, timer alerts,
 * the raw payload. A whitelist, not a blacklist: an event type added later stays hidden until
 * someone decides it is for customers. Pure.
 */
import { formatWarsaw } from '../../domain/deadlines.js';
import type { RequestEvent } from '../../domain/history.js';
import type { Deadline, ServiceRequest } from '../../domain/request.js';


export interface DeadlineView {
  at: string;
  /** The same instant on a Warsaw wall clock, e.g. `Mon 2026-11-30 09:30 CET`. */
  warsaw: string;
  /** How it was computed, e.g. "sent Fri 16:30 → 30 min Fri + 30 min Mon → due Mon 09:30". */
  trace: string;
}

export interface HistoryItemView {
  at: string;
  type: string;
  /** Who acted, in the customer's terms: `you`, `HEZO` or the system. */
  by: 'you' | 'HEZO' | 'system';
  data?: Record<string, unknown>;
}

export interface RequestStatusView {
  requestNumber: string;
  /** `queued` until the dispatcher has stamped it (usually well under a second). */
  status: string;
  kind?: 'service' | 'escalation';
  escalated?: boolean;
  sentAt?: string;
  contractNumber?: string;
  serialNumber?: string;
  device?: { serial: string; model: string };
  subject?: string;
  responseDeadline?: DeadlineView;
  firstResponseAt?: string;
  deliveryDeadline?: DeadlineView;
  returnDeadline?: DeadlineView;
  attachments: Array<{ name: string; type: string; size: number; sha256: string }>;
  history: HistoryItemView[];
}

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
    ...(request.device ? { device: { serial: request.device.serial, model: request.device.model } } : {}),
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
  const data = customerData(event);
  if (data === null) return null;
  const by = event.actor.startsWith('engineer:') ? 'HEZO' : event.actor === 'system' ? 'system' : 'you';
  const shown = Object.fromEntries(Object.entries(data).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  return { at: event.at, type: event.type, by, ...(Object.keys(shown).length > 0 ? { data: shown } : {}) };
}

/**
 * The fields of an event that are the customer's to see, or null for an event they do not
 * see at all (timer alerts, a reporter's confirmation, types this version does not know).
 */
function customerData(event: RequestEvent): Record<string, string | undefined> | null {
  switch (event.type) {
    case 'filed':
      return { status: event.data.status, sentAt: event.data.sentAt };
    case 'clock-started':
      return { clockStartedAt: event.data.clockStartedAt, responseDeadline: event.data.responseDeadline.at };
    case 'reassessed':
      return { status: event.data.status };
    case 'reply':
    case 'escalation':
      return { sentAt: event.data.sentAt, subject: event.data.subject };
    case 'note':
      return { text: event.data.text };
    case 'escalated':
    case 'contacted':
    case 'verified':
    case 'shipped':
    case 'delivered':
    case 'returned':
    case 'closed':
      return {};
    case 'reporter-confirmed':
    case 'response-breached':
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
