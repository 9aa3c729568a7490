/**
 * The engineer API (`/api/v1/requests`): the open list ordered by deadline, one request with
 * its history, and the actions of DESIGN.md section 1 — contacted, verified, shipped,
 * delivered, returned, closed, reporter-confirmed — plus notes. Illegal transitions are 409
 * with the current status.
 */
import express, { Router } from 'express';
import { z } from 'zod';
import type { ServiceCalendar } from '../domain/calendar.js';
import { CHANNELS, REQUEST_STATUSES, type ServiceRequest } from '../domain/request.js';
import { remainingClockTime, runningClock } from '../domain/running-clock.js';
import { parseAction, recordAction, recordNote } from '../dispatcher/engineer-actions.js';
import type { EngineerAlerts } from '../notify/engineer-alerts.js';
import type { RequestStore } from '../store/request-store.js';
import type { TimerService } from '../dispatcher/timers.js';
import { IntakeError } from '../errors.js';
import { bearerAuth, type Principal } from './bearer-auth.js';
import { parseInput, requestNumberParam } from './route-input.js';

export interface RequestsApiDeps {
  store: RequestStore;
  timers: TimerService;
  alerts: EngineerAlerts;
  calendar: ServiceCalendar;
  engineerTokens: Readonly<Record<string, string>>;
  now?: () => number;
  /** What closing an inspection sets off (src/inspections/care-sweep.ts). */
  inspectionClosed?: (request: ServiceRequest) => Promise<void>;
}

const actionBody = z
  .object({
    /** When it happened, if not now (a call logged afterwards). */
    at: z.iso.datetime({ offset: true }).optional(),
    note: z.string().max(10_000).optional(),
    /** Client-chosen id: a retried POST records the action once. */
    id: z.string().min(1).max(200).optional(),
  })
  .strict();

const noteBody = z.object({ text: z.string().min(1).max(10_000), internal: z.boolean().default(true), id: z.string().min(1).max(200).optional() }).strict();

/** The filters of an open-request list (engineer API and ops page), with its own page size. */
export function openListQuery(maxLimit: number, defaultLimit: number) {
  return z
    .object({
      status: z.enum(REQUEST_STATUSES).optional(),
      channel: z.enum(CHANNELS).optional(),
      contract: z.string().max(100).optional(),
      limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
    })
    .strict();
}

const listQuery = openListQuery(5000, 500);

export function requestsApi(deps: RequestsApiDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  router.use(bearerAuth(deps.engineerTokens));
  router.use(express.json({ limit: '64kb' }));

  router.get('/', async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const requests = await deps.store.listOpen(query);
    const at = now();
    res.json({ requests: requests.map((request) => withCountdown(request, at, deps.calendar)) });
  });

  router.get('/:number', async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const request = await deps.store.get(number);
    if (!request) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
    res.json({ request: withCountdown(request, now(), deps.calendar), history: await deps.store.history(number) });
  });

  router.post('/:number/notes', async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const body = parseInput(noteBody, req.body ?? {});
    const actor = `engineer:${(res.locals.principal as Principal).name}`;
    const result = await recordNote(deps, number, { text: body.text, actor, internal: body.internal, atMs: now(), ...(body.id ? { id: body.id } : {}) });
    res.status(201).json({ request: result.request, events: result.events });
  });

  router.post('/:number/:action', async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const action = parseAction(req.params.action);
    const body = parseInput(actionBody, req.body ?? {});
    const atMs = body.at ? Date.parse(body.at) : now();
    if (atMs > now() + 60_000) throw invalid('at', 'must not be in the future');
    const actor = `engineer:${(res.locals.principal as Principal).name}`;
    const result = await recordAction(deps, number, { action, atMs, actor, ...(body.note ? { note: body.note } : {}), ...(body.id ? { id: body.id } : {}) });
    res.json({ request: result.request, events: result.events });
  });

  return router;
}

/** Countdown in window time: an 8x5 request on Friday 16:55 shows its clock paused, not late. */
export function withCountdown(request: ServiceRequest, atMs: number, calendar: ServiceCalendar): ServiceRequest & { responseRemainingMs?: number } {
  const clock = runningClock(request);
  if (clock?.kind !== 'response') return request;
  return { ...request, responseRemainingMs: remainingClockTime(clock, atMs, calendar) };
}



function invalid(path: string, message: string): IntakeError {
  return new IntakeError('INPUT_INVALID', `${path} ${message}.`, { details: [{ path, message }] });
}
