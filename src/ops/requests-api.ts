/**
 * The engineer API (`/api/v1/requests`): the list (search, views, any column's order, keyset
 * paging), one request with its history and related requests, the actions of DESIGN.md
 * section 1 — contacted, verified, shipped, delivered, returned, closed, reporter-confirmed —
 * notes, and the workbench's routes (workbench-routes.ts: correcting data, ownership, reopen,
 * reply by mail, merge). What does not fit the request's state is 409 with its status or owner.
 */
import express, { Router } from 'express';
import { z } from 'zod';
import type { ServiceCalendar } from '../domain/calendar.js';
import type { ContractRegistry } from '../domain/contracts.js';
import { CHANNELS, REQUEST_STATUSES, type ServiceRequest } from '../domain/request.js';
import { remainingClockTime, runningClock } from '../domain/running-clock.js';
import { recordNote } from '../dispatcher/engineer-actions.js';
import { IntakeError } from '../errors.js';
import { listQuerySchema } from '../search/list-query.js';
import { bearerAuth, type Principal } from './bearer-auth.js';
import { parseInput, requestNumberParam } from './route-input.js';
import { actionFromBody, listedRequest, listRequests, registryRoutes, relatedOf, workbenchRoutes, type WorkbenchRouteDeps } from './workbench-routes.js';

export interface RequestsApiDeps extends Omit<WorkbenchRouteDeps, 'now'> {
  engineerTokens: Readonly<Record<string, string>>;
  now?: () => number;
  /** What closing an inspection sets off (src/inspections/care-sweep.ts). */
  inspectionClosed?: (request: ServiceRequest) => Promise<void>;
}

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

const listQuery = listQuerySchema(5000, 500);

export function requestsApi(deps: RequestsApiDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  const routeDeps: WorkbenchRouteDeps = { ...deps, now };
  const actor = (res: express.Response): string => `engineer:${(res.locals.principal as Principal).name}`;
  router.use(bearerAuth(deps.engineerTokens));

  router.get('/', async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const at = now();
    const page = await listRequests(deps, query, { me: (res.locals.principal as Principal).name, nowMs: at, calendar: deps.calendar });
    res.json({ requests: page.requests.map((request) => listedRequest(request, at, deps.calendar)), total: page.total, nextCursor: page.nextCursor });
  });

  router.get('/:number', async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const request = await deps.store.get(number);
    if (!request) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
    await deps.index.ready();
    res.json({ request: listedRequest(request, now(), deps.calendar), history: await deps.store.history(number), related: relatedOf(deps.index, request) });
  });

  router.use(workbenchRoutes(routeDeps, { base: '', actorOf: actor }));
  router.use(express.json({ limit: '64kb' }));

  router.post('/:number/notes', async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const body = parseInput(noteBody, req.body ?? {});
    const result = await recordNote(deps, number, { text: body.text, actor: actor(res), internal: body.internal, atMs: now(), ...(body.id ? { id: body.id } : {}) });
    res.status(201).json({ request: result.request, events: result.events });
  });

  router.post('/:number/:action', async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const result = await actionFromBody(routeDeps, number, req.params.action, req.body, actor(res));
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



/** The contract registry lookup for the correction form (`/api/v1/registry`), behind the same tokens. */
export function registryApi(registry: () => ContractRegistry, engineerTokens: Readonly<Record<string, string>>, now: () => number = Date.now): Router {
  const router = Router();
  router.use(bearerAuth(engineerTokens));
  router.use(registryRoutes(registry, now));
  return router;
}
