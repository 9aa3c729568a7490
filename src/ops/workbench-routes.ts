/**
 * The workbench's JSON routes, written once and mounted on both doors: the engineer API
 * (`/api/v1/requests`, bearer token) and the ops page (`/ops/api/requests`, session + CSRF),
 * each with its own way of naming the actor. The list (search, views, sort, keyset paging),
 * a request's related requests, data corrections, ownership, reopen, reply by mail, merge,
 * and the contract registry lookup the correction form uses as the engineer types.
 */
import express, { Router, type Response } from 'express';
import { z } from 'zod';
import type { ServiceCalendar } from '../domain/calendar.js';
import { contractStatusAt, type Contract } from '../domain/contract-terms.js';
import type { ContractRegistry } from '../domain/contracts.js';
import type { ServiceRequest } from '../domain/request.js';
import { remainingClockTime, runningClock } from '../domain/running-clock.js';
import { waitingSinceMs } from '../domain/workbench-rules.js';
import { parseAction, recordAction } from '../dispatcher/engineer-actions.js';
import { changeOwnership, editData, merge, queueReply, reopen, type WorkbenchDeps } from './workbench-actions.js';
import { IntakeError } from '../errors.js';
import { listGroupOf, listPage, type ListGroup, type ListQuery, type RequestRow } from '../search/list-query.js';
import { foldTerm, type RequestIndex } from '../search/request-index.js';
import { parseInput, requestNumberParam } from './route-input.js';
import { actionBody, actionTime, assignBody, editBody, idOnlyBody, knownAssignee, mergeBody, reopenBody, replyBody } from './workbench-input.js';

export interface WorkbenchRouteDeps extends WorkbenchDeps {
  index: RequestIndex;
  /** The logins `assign` accepts. */
  engineers: () => readonly string[];
  now: () => number;
}

/** A listed request: as stored, with its countdown (window time) or how long it has waited for data. */
export type ListedRequest = ServiceRequest & { group: ListGroup; responseRemainingMs?: number; waitingForData?: true; waitingMs?: number };

export function listedRequest(request: ServiceRequest, nowMs: number, calendar: ServiceCalendar): ListedRequest {
  const clock = runningClock(request);
  const since = waitingSinceMs(request);
  return {
    ...request,
    group: listGroupOf(request),
    ...(clock?.kind === 'response' ? { responseRemainingMs: remainingClockTime(clock, nowMs, calendar) } : {}),
    ...(since !== null ? { waitingForData: true as const, waitingMs: Math.max(0, nowMs - since) } : {}),
  };
}

/**
 * One page of the list: the numbers from the index, the requests read fresh from the store
 * (a request changed by another process a moment ago shows as it is now).
 */
export async function listRequests(
  deps: Pick<WorkbenchRouteDeps, 'index' | 'store'>,
  query: ListQuery,
  context: { me: string; nowMs: number; calendar: ServiceCalendar },
): Promise<{ requests: ServiceRequest[]; total: number; nextCursor: string | null }> {
  await deps.index.ready();
  const matched = query.q !== undefined && query.q.trim() !== '' ? deps.index.match(query.q) : undefined;
  // A search walks only what it matched, not every row.
  const page = matched ? listPage(deps.index.rowsOf(matched), query, context) : listPage(deps.index.rowsView(), query, context);
  const requests = (await deps.store.getMany(page.numbers)).filter((request): request is ServiceRequest => request !== null);
  return { requests, total: page.total, nextCursor: page.nextCursor };
}

/** A contract as the correction form shows it, with its standing today. */
export function contractView(contract: Contract, nowMs: number) {
  return {
    number: contract.number,
    customer: contract.customer,
    package: contract.package,
    window: contract.window,
    onsite: contract.onsite,
    validFrom: contract.validFrom,
    validTo: contract.validTo,
    standing: contractStatusAt(contract, nowMs),
    devices: contract.devices.map((device) => ({ serial: device.serial, model: device.model })),
    representatives: contract.representatives.map((person) => ({ name: person.name, email: person.email, phone: person.phone })),
  };
}

/** The registry lookup: `/contracts?prefix=&serial=` (up to 20) and `/contracts/:number` (404 when unknown). */
export function registryRoutes(registry: () => ContractRegistry, now: () => number): Router {
  const router = Router();
  router.get('/contracts', (req, res) => {
    const query = parseInput(registryQuery, req.query);
    const current = registry();
    const found = new Map<string, Contract>();
    if (query.serial) for (const match of current.findDeviceAnywhere(query.serial)) found.set(match.contract.number, match.contract);
    if (query.prefix) for (const contract of contractsByPrefix(current, query.prefix, query.limit)) found.set(contract.number, contract);
    res.json({ contracts: [...found.values()].slice(0, query.limit).map((contract) => contractView(contract, now())) });
  });
  router.get('/contracts/:number', (req, res) => {
    const current = registry();
    const text = req.params.number;
    const contract = current.findContract(text) ?? current.findContractByDigits(text.replace(/\D/g, ''));
    if (!contract) throw new IntakeError('NOT_FOUND', `Contract "${text}" is not in the registry.`);
    res.json({ contract: contractView(contract, now()) });
  });
  return router;
}

/** Contracts whose number starts with `prefix` (dashes and case ignored), or whose customer's name holds it (Polish letters folded). */
function contractsByPrefix(registry: ContractRegistry, prefix: string, limit: number): readonly Contract[] {
  const wanted = prefix.replace(/[^0-9a-z]/gi, '').toLowerCase();
  const words = foldTerm(prefix.trim());
  return registry.contracts
    .filter((contract) => (wanted !== '' && contract.number.replace(/[^0-9a-z]/gi, '').toLowerCase().startsWith(wanted)) || foldTerm(contract.customer).includes(words))
    .slice(0, limit);
}

const registryQuery = z
  .object({ prefix: z.string().min(1).max(100).optional(), serial: z.string().min(1).max(100).optional(), limit: z.coerce.number().int().min(1).max(100).default(20) })
  .strict()
  .refine((query) => query.prefix !== undefined || query.serial !== undefined, { message: 'give prefix or serial' });

/**
 * The request routes under `base` ('' for the engineer API, '/ops/api/requests' for the page).
 * `actorOf` names who acts (`engineer:<login>`).
 */
export function workbenchRoutes(deps: WorkbenchRouteDeps, options: { base: string; actorOf: (res: Response) => string }): Router {
  const router = Router();
  const json = express.json({ limit: '64kb' });
  const { base, actorOf } = options;
  const acting = (res: Response, id: string | undefined, atMs?: number) => ({ actor: actorOf(res), atMs: atMs ?? deps.now(), ...(id ? { id } : {}) });

  router.get(`${base}/:number/related`, async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const request = await deps.store.get(number);
    if (!request) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
    await deps.index.ready();
    res.json({ related: relatedOf(deps.index, request) });
  });

  router.patch(`${base}/:number`, json, async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const body = parseInput(editBody, req.body ?? {});
    const edit = { ...(body.contractNumber !== undefined ? { contractNumber: body.contractNumber } : {}), ...(body.serialNumber !== undefined ? { serialNumber: body.serialNumber } : {}), ...(body.reporter ? { reporter: body.reporter } : {}) };
    const result = await editData(deps, number, edit, acting(res, body.id, actionTime(body.at, deps.now())));
    res.json({ request: result.request, events: result.events });
  });

  router.post(`${base}/:number/take`, json, async (req, res) => {
    const body = parseInput(idOnlyBody, req.body ?? {});
    const result = await changeOwnership(deps, requestNumberParam(req.params.number), { how: 'take' }, acting(res, body.id));
    res.json({ request: result.request, events: result.events });
  });
  router.post(`${base}/:number/release`, json, async (req, res) => {
    const body = parseInput(idOnlyBody, req.body ?? {});
    const result = await changeOwnership(deps, requestNumberParam(req.params.number), { how: 'release' }, acting(res, body.id));
    res.json({ request: result.request, events: result.events });
  });
  router.post(`${base}/:number/assign`, json, async (req, res) => {
    const body = parseInput(assignBody, req.body ?? {});
    const to = knownAssignee(body.to, deps.engineers());
    const result = await changeOwnership(deps, requestNumberParam(req.params.number), { how: 'assign', to }, acting(res, body.id));
    res.json({ request: result.request, events: result.events });
  });
  router.post(`${base}/:number/reopen`, json, async (req, res) => {
    const body = parseInput(reopenBody, req.body ?? {});
    const result = await reopen(deps, requestNumberParam(req.params.number), body.reason, acting(res, body.id));
    res.json({ request: result.request, events: result.events });
  });
  router.post(`${base}/:number/reply`, json, async (req, res) => {
    const body = parseInput(replyBody, req.body ?? {});
    const result = await queueReply(deps, requestNumberParam(req.params.number), { text: body.text, ...(body.language ? { language: body.language } : {}) }, acting(res, body.id));
    res.status(202).json({ request: result.request, events: result.events, jobId: result.jobId });
  });
  router.post(`${base}/:number/merge`, json, async (req, res) => {
    const body = parseInput(mergeBody, req.body ?? {});
    const result = await merge(deps, requestNumberParam(req.params.number), body.into, acting(res, body.id));
    res.json({ request: result.duplicate, into: result.into, events: result.events });
  });
  return router;
}

/** Records an action from its body (both doors): at, via, note, resolution and `of`. */
export async function actionFromBody(deps: WorkbenchRouteDeps, number: string, actionName: string | undefined, rawBody: unknown, actor: string) {
  const action = parseAction(actionName);
  const body = parseInput(actionBody, rawBody ?? {});
  const atMs = actionTime(body.at, deps.now());
  return recordAction(deps, number, {
    action,
    atMs,
    actor,
    ...(body.note ? { note: body.note } : {}),
    ...(body.id ? { id: body.id } : {}),
    ...(body.via ? { via: body.via } : {}),
    ...(body.resolution ? { resolution: { kind: body.resolution, ...(body.of ? { of: body.of } : {}) } } : {}),
  });
}

/** The same contract's, device's and reporter's other requests, open first. */
export function relatedOf(index: RequestIndex, request: ServiceRequest): Array<Pick<RequestRow, 'number' | 'status' | 'sentAt' | 'subject' | 'customer' | 'owner'> & { via: string[] }> {
  return index.related(request).map(({ row, via }) => ({
    number: row.number,
    status: row.status,
    sentAt: row.sentAt,
    ...(row.subject ? { subject: row.subject } : {}),
    ...(row.customer ? { customer: row.customer } : {}),
    ...(row.owner ? { owner: row.owner } : {}),
    via,
  }));
}
