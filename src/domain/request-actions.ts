/**
 * Engineer actions as pure transitions: contacted (the first response, met or breached),
 * verified (starts the SOS delivery clock), shipped, delivered (starts the 7-day return clock),
 * returned, closed, reporter-confirmed (starts the response clock), and notes.
 */
import { IntakeError } from '../errors.js';
import type { ServiceCalendar } from './calendar.js';
import { deliveryDeadline, explainResponseDeadline, returnDeadline } from './deadlines.js';
import { canApply, statusAfter, type Action, type RequestEvent, type ServiceRequest } from './request.js';

export interface ActionInput {
  action: Action;
  /** When it happened (a call logged after the fact); never in the future. */
  atMs: number;
  /** `engineer:<name>`. */
  actor: string;
  note?: string;
  /** Idempotency: an action replayed with the same id changes nothing. */
  id: string;
}

/** Applies an engineer action; throws ILLEGAL_TRANSITION (409) naming the current status. */
export function applyAction(
  request: ServiceRequest,
  input: ActionInput,
  calendar: ServiceCalendar,
): { request: ServiceRequest; events: RequestEvent[] } | null {
  if (request.appliedSources.includes(input.id)) return null;
  if (!canApply(input.action, request.status)) {
    throw new IntakeError('ILLEGAL_TRANSITION', `Cannot record "${input.action}" on request ${request.number}: it is ${request.status}.`, {
      details: [{ path: 'status', message: request.status }],
    });
  }
  // When it happened may be logged after the fact, but not before the request existed, and a
  // first response not before its clock started: either would make a late response "met".
  const notBefore = input.action === 'contacted' && request.clockStartedAt ? request.clockStartedAt : request.sentAt;
  if (input.atMs < Date.parse(notBefore)) {
    throw new IntakeError('INPUT_INVALID', `"at" (${new Date(input.atMs).toISOString()}) is before ${notBefore === request.sentAt ? 'the request was sent' : 'its clock started'} (${notBefore}).`, {
      details: [{ path: 'at', message: `not before ${notBefore}` }],
    });
  }
  const at = new Date(input.atMs).toISOString();
  const next: ServiceRequest = { ...request, status: statusAfter(input.action), appliedSources: [...request.appliedSources, input.id] };
  const data: Record<string, unknown> = { from: request.status, to: next.status, ...(input.note ? { note: input.note } : {}) };

  switch (input.action) {
    case 'contacted': {
      // The first response decides the contract; a later "contacted" never rewrites it.
      if (!next.firstResponse) {
        const due = request.responseDeadline ? Date.parse(request.responseDeadline.at) : undefined;
        next.firstResponse = { at, by: input.actor, met: due === undefined ? true : input.atMs <= due };
        data.firstResponse = next.firstResponse;
      }
      break;
    }
    case 'reporter-confirmed': {
      // The clock of an unconfirmed reporter starts when an engineer confirms them.
      if (request.window) {
        const explained = explainResponseDeadline(input.atMs, request.window, calendar);
        next.acceptability = 'accepted';
        next.clockStartedAt = at;
        next.responseDeadline = { at: new Date(explained.deadline).toISOString(), trace: explained.trace };
        delete next.reason;
        data.responseDeadline = next.responseDeadline;
      }
      break;
    }
    case 'verified': {
      if (request.package === 'SOS' && request.onsite) {
        const delivery = deliveryDeadline(input.atMs, request.onsite, calendar);
        next.deliveryDeadline = { at: new Date(delivery.deadline).toISOString(), trace: delivery.trace };
        data.deliveryDeadline = next.deliveryDeadline;
      }
      break;
    }
    case 'delivered': {
      const due = returnDeadline(input.atMs);
      next.returnDeadline = { at: new Date(due.deadline).toISOString(), trace: due.trace };
      data.returnDeadline = next.returnDeadline;
      break;
    }
    default:
      break;
  }
  const event: RequestEvent = { id: input.id, at, type: input.action, actor: input.actor, source: 'api', data };
  return { request: next, events: [event] };
}

/** A free note; internal notes never reach the customer. */
export function addNote(
  request: ServiceRequest,
  note: { id: string; text: string; actor: string; internal: boolean; atMs: number },
): { request: ServiceRequest; events: RequestEvent[] } | null {
  if (request.appliedSources.includes(note.id)) return null;
  return {
    request: { ...request, appliedSources: [...request.appliedSources, note.id] },
    events: [{ id: note.id, at: new Date(note.atMs).toISOString(), type: 'note', actor: note.actor, source: 'api', internal: note.internal, data: { text: note.text } }],
  };
}
