/**
 * The engineer workbench's rules (issue 18), as pure transitions beside request-actions.ts:
 * correcting a request's data (judged again by the intake rule, assess()), ownership, reopening,
 * the reply mail's record, and folding a duplicate into another request. Each returns the new
 * request and its events, or null when a replay (same id) changes nothing; each refuses what
 * does not fit with a 409 that names the current status or owner.
 */
import { IntakeError } from '../errors.js';
import { applyAssessment, assess, type ReportFacts } from './assessment.js';
import type { ServiceCalendar } from './calendar.js';
import type { ContractRegistry } from './contracts.js';
import type { DataEditedEvent, MergedEvent, OwnerChangedEvent, ReopenedEvent, ReplyQueuedEvent, ReplySentEvent, RequestEvent } from './history.js';
import type { Reporter, RequestStatus, ServiceRequest } from './request.js';

export type Change<E extends RequestEvent = RequestEvent> = { request: ServiceRequest; events: E[] } | null;

/** Statuses with no response clock yet: the data (or a person) is missing. */
export const WAITING_STATUSES: readonly RequestStatus[] = ['needs-info', 'unauthorized-reporter', 'contract-expired'];

/** The `engineer:<login>` an action is recorded under, and the login it names. */
export function loginOf(actor: string): string {
  return actor.startsWith('engineer:') ? actor.slice('engineer:'.length) : actor;
}

function illegal(request: ServiceRequest, what: string): IntakeError {
  return new IntakeError('ILLEGAL_TRANSITION', `Cannot ${what} request ${request.number}: it is ${request.status}.`, { details: [{ path: 'status', message: request.status }] });
}

function notBeforeSent(request: ServiceRequest, atMs: number): void {
  if (atMs < Date.parse(request.sentAt)) {
    throw new IntakeError('INPUT_INVALID', `"at" (${new Date(atMs).toISOString()}) is before the request was sent (${request.sentAt}).`, {
      details: [{ path: 'at', message: `not before ${request.sentAt}` }],
    });
  }
}

export interface DataEdit {
  contractNumber?: string;
  serialNumber?: string;
  /** Fields given replace the stored ones; an empty string clears one. */
  reporter?: Reporter;
}

/**
 * An engineer corrects the contract, serial or reporter (after a call, say). The request is
 * judged by the same rule as intake (assess(), on the contract's validity on the day it was
 * sent). A request that waited for data starts its clock at `atMs` — when the missing data
 * arrived (DESIGN.md section 3) — and one whose clock already runs keeps it: the correction
 * must then still be acceptable, or it is refused (409) rather than silently stopping a clock.
 */
export function editRequestData(
  request: ServiceRequest,
  edit: DataEdit,
  context: { id: string; actor: string; atMs: number; registry: ContractRegistry; calendar: ServiceCalendar },
): Change<DataEditedEvent | RequestEvent> {
  if (request.appliedSources.includes(context.id)) return null;
  if (request.status === 'closed') throw illegal(request, 'edit the data of');
  notBeforeSent(request, context.atMs);

  const changes: Record<string, { from?: string; to?: string }> = {};
  const next: ServiceRequest = { ...request, reporter: { ...request.reporter }, appliedSources: [...request.appliedSources, context.id] };
  const set = (field: string, from: string | undefined, to: string | undefined, write: (value: string | undefined) => void): void => {
    const cleaned = to === undefined ? from : to.trim() === '' ? undefined : to.trim();
    if (cleaned === from) return;
    changes[field] = { ...(from !== undefined ? { from } : {}), ...(cleaned !== undefined ? { to: cleaned } : {}) };
    write(cleaned);
  };
  const assign = <K extends 'contractNumber' | 'serialNumber'>(key: K) => (value: string | undefined) => {
    if (value === undefined) delete next[key];
    else next[key] = value;
  };
  set('contractNumber', request.contractNumber, edit.contractNumber, assign('contractNumber'));
  set('serialNumber', request.serialNumber, edit.serialNumber, assign('serialNumber'));
  for (const key of ['name', 'email', 'phone'] as const) {
    set(`reporter.${key}`, request.reporter[key], edit.reporter?.[key], (value) => {
      if (value === undefined) delete next.reporter[key];
      else next.reporter[key] = value;
    });
  }
  if (Object.keys(changes).length === 0) return null;

  const facts: ReportFacts = { serialNumber: next.serialNumber, contractNumber: next.contractNumber, reporter: next.reporter, sentAtMs: Date.parse(request.sentAt) };
  const assessment = assess(facts, context.registry);
  const at = new Date(context.atMs).toISOString();
  const base = { at, actor: context.actor, source: 'api' };
  let judged: ServiceRequest;
  if (WAITING_STATUSES.includes(request.status)) {
    // A contract matched by its digits or a serial's only contract: the stored value is the
    // registry's spelling, as at intake.
    judged = applyAssessment(next, assessment, context.atMs, context.calendar);
    if (assessment.contract) judged.contractNumber = assessment.contract.number;
    // applyAssessment() adds what the registry matched; what the old data matched must go.
    if (!assessment.device) delete judged.device;
    if (!assessment.contract) for (const key of ['customer', 'package', 'window', 'onsite'] as const) delete judged[key];
  } else {
    if (assessment.acceptability !== 'accepted') {
      throw new IntakeError('ILLEGAL_TRANSITION', `Request ${request.number} is ${request.status} with its clock running; the correction would make it unacceptable: ${assessment.reason ?? assessment.acceptability}`, {
        details: [{ path: 'status', message: request.status }],
      });
    }
    const { contract, device } = assessment;
    judged = { ...next };
    if (contract) Object.assign(judged, { contractNumber: contract.number, customer: contract.customer, package: contract.package, window: contract.window, onsite: contract.onsite });
    if (device) judged.device = { serial: device.serial, model: device.model };
  }
  const events: RequestEvent[] = [
    { id: context.id, ...base, type: 'data-edited', data: { changes, status: judged.status, ...(judged.reason ? { reason: judged.reason } : {}) } },
  ];
  if (judged.clockStartedAt && judged.responseDeadline && judged.clockStartedAt !== request.clockStartedAt) {
    events.push({ id: `clock:${context.id}`, ...base, type: 'clock-started', data: { clockStartedAt: judged.clockStartedAt, responseDeadline: judged.responseDeadline } });
  }
  return { request: judged, events };
}

export type OwnerChange = { how: 'take' } | { how: 'assign'; to: string } | { how: 'release' };

/**
 * Who works on a request. Taking one that another engineer holds is refused (409 naming them):
 * two engineers must not call the same customer. Assigning hands it over whoever holds it;
 * releasing is its owner's. The store's compare-and-set makes the check and the write one step.
 */
export function changeOwner(request: ServiceRequest, change: OwnerChange, context: { id: string; actor: string; atMs: number }): Change<OwnerChangedEvent> {
  if (request.appliedSources.includes(context.id)) return null;
  const me = loginOf(context.actor);
  const owned = (): IntakeError =>
    new IntakeError('OWNED_BY_OTHER', `Request ${request.number} is taken by ${request.owner ?? ''}.`, { details: [{ path: 'owner', message: request.owner ?? '' }] });
  let to: string | undefined;
  switch (change.how) {
    case 'take':
      if (request.status === 'closed') throw illegal(request, 'take');
      if (request.owner === me) return null;
      if (request.owner !== undefined) throw owned();
      to = me;
      break;
    case 'assign':
      if (request.status === 'closed') throw illegal(request, 'assign');
      if (request.owner === change.to) return null;
      to = change.to;
      break;
    case 'release':
      if (request.owner === undefined) return null;
      if (request.owner !== me) throw owned();
      to = undefined;
      break;
  }
  const next: ServiceRequest = { ...request, appliedSources: [...request.appliedSources, context.id] };
  if (to === undefined) delete next.owner;
  else next.owner = to;
  const event: OwnerChangedEvent = {
    id: context.id,
    at: new Date(context.atMs).toISOString(),
    actor: context.actor,
    source: 'api',
    type: 'owner-changed',
    data: { how: change.how, ...(request.owner !== undefined ? { from: request.owner } : {}), ...(to !== undefined ? { to } : {}) },
  };
  return { request: next, events: [event] };
}

/** A closed request opened again, in the status it was closed from (its clocks as they were). */
export function reopenRequest(request: ServiceRequest, input: { id: string; actor: string; atMs: number; reason: string }): Change<ReopenedEvent> {
  if (request.appliedSources.includes(input.id)) return null;
  if (request.status !== 'closed') throw illegal(request, 'reopen');
  if (request.mergedInto) {
    throw new IntakeError('ILLEGAL_TRANSITION', `Request ${request.number} was merged into ${request.mergedInto}; work on that one.`, { details: [{ path: 'mergedInto', message: request.mergedInto }] });
  }
  // Requests closed before resolutions existed came from any status; accepted is the safe guess.
  const to = request.resolution?.closedFrom ?? 'accepted';
  const next: ServiceRequest = { ...request, status: to, appliedSources: [...request.appliedSources, input.id] };
  delete next.resolution;
  const event: ReopenedEvent = {
    id: input.id,
    at: new Date(input.atMs).toISOString(),
    actor: input.actor,
    source: 'api',
    type: 'reopened',
    data: { to, reason: input.reason, ...(request.resolution ? { resolution: request.resolution } : {}) },
  };
  return { request: next, events: [event] };
}

/** The engineer's mail to the reporter, queued: recorded with its text. No address: 409. */
export function recordReplyQueued(
  request: ServiceRequest,
  input: { id: string; actor: string; atMs: number; jobId: string; language: 'pl' | 'en'; subject: string; text: string },
): Change<ReplyQueuedEvent> {
  if (request.appliedSources.includes(input.id)) return null;
  const to = request.reporter.email;
  if (!to) {
    throw new IntakeError('NO_REPORTER_ADDRESS', `Request ${request.number} has no reporter e-mail address to reply to; add one (PATCH) or call.`, {
      details: [{ path: 'reporter.email', message: 'missing' }],
    });
  }
  const event: ReplyQueuedEvent = {
    id: input.id,
    at: new Date(input.atMs).toISOString(),
    actor: input.actor,
    source: 'api',
    type: 'reply-queued',
    data: { jobId: input.jobId, to, language: input.language, subject: input.subject, text: input.text },
  };
  return { request: { ...request, appliedSources: [...request.appliedSources, input.id] }, events: [event] };
}

/** The reply left through the relay at `sentAtMs`: recorded once per job. */
export function recordReplySent(request: ServiceRequest, input: { jobId: string; actor: string; sentAtMs: number }): Change<ReplySentEvent> {
  const id = `reply-sent:${input.jobId}`;
  if (request.appliedSources.includes(id)) return null;
  const sentAt = new Date(input.sentAtMs).toISOString();
  const event: ReplySentEvent = { id, at: sentAt, actor: input.actor, source: 'notify', type: 'reply-sent', data: { jobId: input.jobId, sentAt } };
  return { request: { ...request, appliedSources: [...request.appliedSources, id] }, events: [event] };
}

/**
 * The surviving side of a merge: the duplicate's events copied in, each marked with where it
 * came from (ids prefixed, so a second run copies nothing twice), and its attachments.
 */
export function absorbDuplicate(target: ServiceRequest, duplicate: ServiceRequest, duplicateHistory: readonly RequestEvent[], context: { actor: string; atMs: number }): Change {
  const id = `merged-from:${duplicate.number}`;
  if (target.appliedSources.includes(id)) return null;
  if (target.status === 'closed') throw illegal(target, `merge ${duplicate.number} into`);
  if (target.number === duplicate.number) throw new IntakeError('INPUT_INVALID', 'A request cannot be merged into itself.', { details: [{ path: 'into', message: 'another request' }] });
  const at = new Date(context.atMs).toISOString();
  const marker: MergedEvent = { id, at, actor: context.actor, source: 'api', type: 'merged', data: { from: duplicate.number, into: target.number } };
  const copied = duplicateHistory.map((event) => ({ ...event, id: `${duplicate.number}/${event.id}`, mergedFrom: duplicate.number }) as RequestEvent);
  const known = new Set(target.attachments.map((attachment) => attachment.sha256));
  return {
    request: {
      ...target,
      attachments: [...target.attachments, ...duplicate.attachments.filter((attachment) => !known.has(attachment.sha256))],
      appliedSources: [...target.appliedSources, id],
    },
    events: [marker, ...copied],
  };
}

/** The duplicate's side: closed as a duplicate of the survivor, pointing at it. */
export function closeAsMerged(duplicate: ServiceRequest, into: string, context: { actor: string; atMs: number }): Change {
  const id = `merged-into:${into}`;
  if (duplicate.appliedSources.includes(id)) return null;
  if (duplicate.status === 'closed') throw illegal(duplicate, 'merge');
  const at = new Date(context.atMs).toISOString();
  const resolution = { kind: 'duplicate' as const, of: into, at, by: context.actor, closedFrom: duplicate.status };
  return {
    request: { ...duplicate, status: 'closed', resolution, mergedInto: into, appliedSources: [...duplicate.appliedSources, id] },
    events: [
      { id, at, actor: context.actor, source: 'api', type: 'merged', data: { from: duplicate.number, into } },
      { id: `closed:${id}`, at, actor: context.actor, source: 'api', type: 'closed', data: { from: duplicate.status, to: 'closed', resolution } },
    ],
  };
}

/**
 * Since when a request without a clock has waited: its sending, or the reopening / last
 * judgement that put it back. Only the sending is on the request itself; it is the time the
 * reporter has waited, which is what the list shows ("czeka na dane: 1 h 20 min").
 */
export function waitingSinceMs(request: ServiceRequest): number | null {
  return WAITING_STATUSES.includes(request.status) ? Date.parse(request.sentAt) : null;
}
