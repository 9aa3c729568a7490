/**
 * Engineer actions as pure transitions: contacted (the first response, met or breached),
 * verified (starts the SOS delivery clock), shipped, delivered (starts the 7-day return clock),
 * returned, closed, reporter-confirmed (starts the response clock), and notes.
 */
import { IntakeError } from '../errors.js';
import type { ServiceCalendar } from './calendar.js';
import { deliveryDeadline, explainResponseDeadline, returnDeadline } from './deadlines.js';
import type { ActionEvent, ActionTransition, NoteEvent } from './history.js';
import { closeInspection } from './inspection-request.js';
import { canApply, RESOLUTION_KINDS, statusAfter, type Action, type ContactVia, type ResolutionKind, type ServiceRequest } from './request.js';

export interface ActionInput {
  action: Action;
  /** When it happened (a call logged after the fact); never in the future. */
  atMs: number;
  /** `engineer:<name>`. */
  actor: string;
  note?: string;
  /** Idempotency: an action replayed with the same id changes nothing. */
  id: string;
  /** `contacted`: how the reporter was reached. */
  via?: ContactVia;
  /** `closed`: required; `of` names the original of a duplicate. */
  resolution?: { kind: ResolutionKind; of?: string };
}

/** Applies an engineer action; throws ILLEGAL_TRANSITION (409) naming the current status. */
export function applyAction(
  request: ServiceRequest,
  input: ActionInput,
  calendar: ServiceCalendar,
): { request: ServiceRequest; events: ActionEvent[] } | null {
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
  if (input.action === 'closed') checkResolution(request, input.resolution);
  const at = new Date(input.atMs).toISOString();
  // Closing an inspection needs its checklist and records its date (refused: CHECKLIST_INCOMPLETE).
  const closing = input.action === 'closed' ? closeInspection(request, input.atMs) : request;
  const next: ServiceRequest = { ...closing, status: statusAfter(input.action), appliedSources: [...request.appliedSources, input.id] };
  const recorded = { id: input.id, at, actor: input.actor, source: 'api' };
  const transition: ActionTransition = { from: request.status, to: next.status, ...(input.note ? { note: input.note } : {}) };
  let event: ActionEvent;

  switch (input.action) {
    case 'contacted': {
      // The first response decides the contract; a later "contacted" never rewrites it.
      const first = !next.firstResponse;
      if (first) {
        const due = request.responseDeadline ? Date.parse(request.responseDeadline.at) : undefined;
        next.firstResponse = { at, by: input.actor, met: due === undefined ? true : input.atMs <= due, ...(input.via ? { via: input.via } : {}) };
      }
      event = {
        ...recorded,
        type: 'contacted',
        data: { ...transition, ...(input.via ? { via: input.via } : {}), ...(first && next.firstResponse ? { firstResponse: next.firstResponse } : {}) },
      };
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
      }
      next.reporterConfirmation = { at, by: input.actor };
      event = { ...recorded, type: 'reporter-confirmed', data: { ...transition, ...(request.window && next.responseDeadline ? { responseDeadline: next.responseDeadline } : {}) } };
      break;
    }
    case 'verified': {
      const delivery = request.package === 'SOS' && request.onsite ? deliveryDeadline(input.atMs, request.onsite, calendar) : undefined;
      if (delivery) next.deliveryDeadline = { at: new Date(delivery.deadline).toISOString(), trace: delivery.trace };
      event = { ...recorded, type: 'verified', data: { ...transition, ...(delivery && next.deliveryDeadline ? { deliveryDeadline: next.deliveryDeadline } : {}) } };
      break;
    }
    case 'delivered': {
      const due = returnDeadline(input.atMs);
      next.returnDeadline = { at: new Date(due.deadline).toISOString(), trace: due.trace };
      event = { ...recorded, type: 'delivered', data: { ...transition, returnDeadline: next.returnDeadline } };
      break;
    }
    case 'closed': {
      const resolution = input.resolution;
      if (resolution) next.resolution = { kind: resolution.kind, ...(resolution.of ? { of: resolution.of } : {}), at, by: input.actor, closedFrom: request.status };
      event = { ...recorded, type: 'closed', data: { ...transition, ...(next.resolution ? { resolution: next.resolution } : {}) } };
      break;
    }
    case 'shipped':
    case 'returned':
      event = { ...recorded, type: input.action, data: transition };
      break;
  }
  return { request: next, events: [event] };
}

/** A close names how it ended; a duplicate names its original, which is another request. */
function checkResolution(request: ServiceRequest, resolution: ActionInput['resolution']): void {
  // An inspection ends with its checklist (closeInspection), which is its resolution.
  if (!resolution && request.kind === 'inspection') return;
  if (!resolution) {
    throw new IntakeError('INPUT_INVALID', `Closing request ${request.number} needs a resolution: one of ${RESOLUTION_KINDS.join(', ')}.`, {
      details: [{ path: 'resolution', message: 'required' }],
    });
  }
  if (resolution.kind === 'duplicate' && (!resolution.of || resolution.of === request.number)) {
    throw new IntakeError('INPUT_INVALID', `A duplicate names the request it duplicates ("of": another request's number).`, { details: [{ path: 'of', message: 'required for a duplicate, not this request' }] });
  }
  if (resolution.kind !== 'duplicate' && resolution.of) {
    throw new IntakeError('INPUT_INVALID', `"of" belongs to a duplicate only.`, { details: [{ path: 'of', message: 'only with resolution duplicate' }] });
  }
}

/** A free note; internal notes never reach the customer. */
export function addNote(
  request: ServiceRequest,
  note: { id: string; text: string; actor: string; internal: boolean; atMs: number },
): { request: ServiceRequest; events: NoteEvent[] } | null {
  if (request.appliedSources.includes(note.id)) return null;
  return {
    request: { ...request, appliedSources: [...request.appliedSources, note.id] },
    events: [{ id: note.id, at: new Date(note.atMs).toISOString(), type: 'note', actor: note.actor, source: 'api', internal: note.internal, data: { text: note.text } }],
  };
}
