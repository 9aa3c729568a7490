/**
 * The workbench's actions with their follow-ups, for both doors engineers use (the engineer API
 * and the ops page): correcting a request's data, ownership, reopening, a reply by mail (queued
 * on the notify queue; "contacted" is recorded when the worker has sent it) and merging a
 * duplicate. The rules are pure (domain/workbench-rules.ts); here is the I/O around them.
 */
import { randomUUID } from 'node:crypto';
import type { ContractRegistry } from '../domain/contracts.js';
import { applyAction } from '../domain/request-actions.js';
import type { RequestEvent } from '../domain/history.js';
import type { ServiceRequest } from '../domain/request.js';
import {
  absorbDuplicate,
  changeOwner,
  closeAsMerged,
  editRequestData,
  loginOf,
  recordReplyQueued,
  recordReplySent,
  reopenRequest,
  WAITING_STATUSES,
  type DataEdit,
  type OwnerChange,
} from '../domain/workbench-rules.js';
import { IntakeError } from '../errors.js';
import { renderEngineerReply, renderMergeNotice } from '../notify/engineer-mail.js';
import type { NotificationJob } from '../notify/notification-channel.js';
import type { EngineerActionDeps, RecordedChange } from '../dispatcher/engineer-actions.js';
import type { NotificationSink } from '../notify/notification-sink.js';

export interface WorkbenchDeps extends EngineerActionDeps {
  registry: () => ContractRegistry;
  notifier: NotificationSink;
  /** The name an engineer signs with: ops.engineers' name for a login, else the login itself. */
  engineerName: (login: string) => string;
}

/** Who acts and when, with an optional client id that makes a retried call harmless. */
export interface Acting {
  actor: string;
  atMs: number;
  id?: string;
}

/** Corrects contract, serial or reporter; a request that waited for them may start its clock. */
export async function editData(deps: WorkbenchDeps, number: string, edit: DataEdit, acting: Acting): Promise<RecordedChange> {
  const id = `edit:${acting.id ?? randomUUID()}`;
  let waited = false;
  const result = await deps.store.update(number, (request) => {
    waited = WAITING_STATUSES.includes(request.status);
    return editRequestData(request, edit, { id, actor: acting.actor, atMs: acting.atMs, registry: deps.registry(), calendar: deps.calendar });
  });
  deps.index?.apply(result.request);
  if (result.changed || result.request.appliedSources.includes(id)) {
    await deps.timers.schedule(result.request);
    // The reporter is told the deadline, as when a reply brings the missing data.
    if (waited && result.request.status === 'accepted') await deps.alerts.acknowledge(result.request, `edited:${id}`);
  }
  return result;
}

export async function changeOwnership(deps: Pick<WorkbenchDeps, 'store' | 'index'>, number: string, change: OwnerChange, acting: Acting): Promise<RecordedChange> {
  const id = `owner:${acting.id ?? randomUUID()}`;
  const result = await deps.store.update(number, (request) => changeOwner(request, change, { id, actor: acting.actor, atMs: acting.atMs }));
  deps.index?.apply(result.request);
  return result;
}

export async function reopen(deps: WorkbenchDeps, number: string, reason: string, acting: Acting): Promise<RecordedChange> {
  const id = `reopen:${acting.id ?? randomUUID()}`;
  const result = await deps.store.update(number, (request) => reopenRequest(request, { id, actor: acting.actor, atMs: acting.atMs, reason }));
  deps.index?.apply(result.request);
  if (result.changed) await deps.timers.schedule(result.request);
  return result;
}

/** The thread an engineer's mail joins: the reporter's first mail, when the request came by mail. */
function threadOf(request: ServiceRequest): Pick<Extract<NotificationJob, { type: 'reporter-mail' }>, 'inReplyTo' | 'references'> {
  const messageId = request.raw.payload?.messageId;
  return typeof messageId === 'string' ? { inReplyTo: messageId, references: [messageId] } : {};
}

const REPLY_JOB = /^reporter-mail:(.+):reply:.+$/;

/**
 * Queues a reply to the reporter, in their language unless told otherwise, signed with the
 * engineer's name. It is recorded first (the request's history holds the text), then queued
 * under a fixed id, so a retried call queues one mail.
 */
export async function queueReply(deps: WorkbenchDeps, number: string, input: { text: string; language?: 'pl' | 'en' }, acting: Acting): Promise<RecordedChange & { jobId: string }> {
  const key = acting.id ?? randomUUID();
  const id = `reply:${key}`;
  const jobId = `reporter-mail:${number}:reply:${key}`;
  let mail: { to: string; subject: string; text: string } | undefined;
  const result = await deps.store.update(number, (request) => {
    const language = input.language ?? request.language;
    const rendered = renderEngineerReply({ requestNumber: number, language, text: input.text, engineerName: deps.engineerName(loginOf(acting.actor)), ...(request.subject ? { subject: request.subject } : {}) });
    mail = { to: request.reporter.email ?? '', ...rendered };
    return recordReplyQueued(request, { id, actor: acting.actor, atMs: acting.atMs, jobId, language, subject: rendered.subject, text: rendered.text });
  });
  deps.index?.apply(result.request);
  const queued = result.changed ? (result.events[0] as Extract<RequestEvent, { type: 'reply-queued' }>) : undefined;
  // A retry after the store write: the mail as it was recorded then.
  const recorded = queued?.data ?? (await deps.store.history(number)).find((event): event is Extract<RequestEvent, { type: 'reply-queued' }> => event.type === 'reply-queued' && event.id === id)?.data;
  const to = recorded?.to ?? mail?.to;
  if (!to) throw new IntakeError('NO_REPORTER_ADDRESS', `Request ${number} has no reporter e-mail address to reply to.`);
  await deps.notifier.enqueue(jobId, {
    type: 'reporter-mail',
    requestNumber: number,
    to,
    subject: recorded?.subject ?? mail?.subject ?? '',
    text: recorded?.text ?? mail?.text ?? '',
    actor: acting.actor,
    ...threadOf(result.request),
  });
  return { ...result, jobId };
}

/**
 * The notify worker sent a reporter mail. A reply is recorded as sent and — for a request whose
 * response clock runs — as "contacted" by mail at its send time, by the engineer who wrote it.
 * Fixed ids: the worker calls this again when a re-run finds the mail sent.
 */
export async function reporterMailSent(deps: Pick<WorkbenchDeps, 'store' | 'timers' | 'calendar' | 'index'>, jobId: string, notification: NotificationJob, sentAtMs: number): Promise<void> {
  if (notification.type !== 'reporter-mail') return;
  const number = REPLY_JOB.exec(jobId)?.[1];
  if (!number) return;
  const contactedId = `contacted:${jobId}`;
  const result = await deps.store.update(number, (request) => {
    const sent = recordReplySent(request, { jobId, actor: notification.actor, sentAtMs });
    if (!sent) return null;
    if (request.status !== 'accepted') return sent;
    const contacted = applyAction(sent.request, { action: 'contacted', atMs: sentAtMs, actor: notification.actor, id: contactedId, via: 'mail' }, deps.calendar);
    return contacted ? { request: contacted.request, events: [...sent.events, ...contacted.events] } : sent;
  });
  deps.index?.apply(result.request);
  if (result.changed || result.request.appliedSources.includes(contactedId)) await deps.timers.schedule(result.request);
}

/**
 * Folds a duplicate into another request: the survivor takes the duplicate's events (marked
 * with where they came from) and attachments, then the duplicate is closed as a duplicate of
 * it, then its reporter is told the surviving number by mail. Each step has a fixed id, so a
 * merge cut off half-way is finished by calling it again.
 */
export async function merge(deps: WorkbenchDeps, number: string, into: string, acting: Acting): Promise<{ duplicate: ServiceRequest; into: ServiceRequest; events: RequestEvent[] }> {
  if (number === into) throw new IntakeError('INPUT_INVALID', 'A request cannot be merged into itself.', { details: [{ path: 'into', message: 'another request' }] });
  const duplicate = await deps.store.get(number);
  if (!duplicate) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
  const target = await deps.store.get(into);
  if (!target) throw new IntakeError('NOT_FOUND', `Request ${into} does not exist.`);
  if (target.mergedInto) throw new IntakeError('ILLEGAL_TRANSITION', `Request ${into} was itself merged into ${target.mergedInto}; merge into that one.`, { details: [{ path: 'into', message: target.mergedInto }] });
  if (duplicate.status === 'closed' && duplicate.mergedInto !== into) {
    throw new IntakeError('ILLEGAL_TRANSITION', `Cannot merge request ${number}: it is closed.`, { details: [{ path: 'status', message: duplicate.status }] });
  }
  const history = await deps.store.history(number);
  const survivor = await deps.store.update(into, (request) => absorbDuplicate(request, duplicate, history.filter((event) => event.mergedFrom === undefined), acting));
  deps.index?.apply(survivor.request);
  const closed = await deps.store.update(number, (request) => (request.mergedInto === into ? null : closeAsMerged(request, into, acting)));
  deps.index?.apply(closed.request);
  await deps.timers.schedule(closed.request);
  if (closed.request.reporter.email) {
    const notice = renderMergeNotice({
      duplicate: number,
      into,
      language: closed.request.language,
      engineerName: deps.engineerName(loginOf(acting.actor)),
      ...(closed.request.subject ? { subject: closed.request.subject } : {}),
    });
    await deps.notifier.enqueue(`reporter-mail:${number}:merge:${into}`, {
      type: 'reporter-mail',
      requestNumber: number,
      to: closed.request.reporter.email,
      subject: notice.subject,
      text: notice.text,
      actor: acting.actor,
      ...threadOf(closed.request),
    });
  }
  return { duplicate: closed.request, into: survivor.request, events: [...survivor.events, ...closed.events] };
}
