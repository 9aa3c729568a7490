/**
 * Recording an engineer's action or note, with its follow-ups, in one place for both doors
 * engineers use (the engineer API and the ops page): the store update, the timers re-planned
 * for the new state, and the acknowledgment a confirmed reporter is owed.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceCalendar } from '../domain/calendar.js';
import { addNote, applyAction, type ActionInput } from '../domain/request-actions.js';
import type { RequestEvent } from '../domain/history.js';
import { ACTIONS, type Action, type ServiceRequest } from '../domain/request.js';
import { IntakeError } from '../errors.js';
import type { RequestStore } from '../store/request-store.js';
import type { RequestAlerts } from './request-alerts.js';
import type { TimerService } from './timers.js';
import type { RequestIndex } from '../search/request-index.js';

export interface EngineerActionDeps {
  store: RequestStore;
  timers: Pick<TimerService, 'schedule'>;
  alerts: Pick<RequestAlerts, 'acknowledge'>;
  calendar: ServiceCalendar;
  /** This process's list and search: told of every change made here at once. */
  index?: Pick<RequestIndex, 'apply'>;
  /**
   * Called after an inspection request is closed (and again on a retry that finds it closed):
   * records the inspection date and sends the record (src/inspections/). Idempotent.
   */
  inspectionClosed?: (request: ServiceRequest) => Promise<void>;
}

export interface RecordedChange {
  request: ServiceRequest;
  events: RequestEvent[];
  changed: boolean;
}

/** The action named in a URL, or NOT_FOUND listing the actions there are. */
export function parseAction(text: string | undefined): Action {
  // Object.hasOwn, not `in`: "constructor" must not pass as an action.
  if (text && Object.hasOwn(ACTIONS, text)) return text as Action;
  throw new IntakeError('NOT_FOUND', `Unknown action "${text ?? ''}"; one of: ${Object.keys(ACTIONS).join(', ')}.`);
}

/** Records an action (409 ILLEGAL_TRANSITION when it does not fit the status). `id` makes a retry harmless. */
export async function recordAction(
  deps: EngineerActionDeps,
  number: string,
  input: Omit<ActionInput, 'id'> & { id?: string },
): Promise<RecordedChange> {
  const id = `${input.action}:${input.id ?? randomUUID()}`;
  const result = await deps.store.update(number, (request) => applyAction(request, { ...input, id }, deps.calendar));
  deps.index?.apply(result.request);
  // The follow-ups run again when a retry finds the action recorded: the first attempt may have
  // failed after the store write and before them. Their fixed ids make a repeat harmless.
  if (result.changed || result.request.appliedSources.includes(id)) {
    await deps.timers.schedule(result.request);
    if (input.action === 'reporter-confirmed') await deps.alerts.acknowledge(result.request, `confirmed:${id}`);
    if (input.action === 'closed' && result.request.kind === 'inspection') await deps.inspectionClosed?.(result.request);
  }
  return result;
}

/** Adds a note; internal notes never reach the customer. */
export async function recordNote(
  deps: Pick<EngineerActionDeps, 'store' | 'index'>,
  number: string,
  note: { text: string; actor: string; internal: boolean; atMs: number; id?: string },
): Promise<RecordedChange> {
  const result = await deps.store.update(number, (request) =>
    addNote(request, { id: `note:${note.id ?? randomUUID()}`, text: note.text, actor: note.actor, internal: note.internal, atMs: note.atMs }),
  );
  deps.index?.apply(result.request);
  return result;
}
