/**
 * The engineer API of an inspection: `GET /api/v1/requests/{n}/inspection` (due date, checklist,
 * what closing still needs) and `POST /api/v1/requests/{n}/inspection` with one checklist item.
 * Closing is the usual `POST /api/v1/requests/{n}/closed`, refused with 409 CHECKLIST_INCOMPLETE
 * before the first three items are recorded. Mount before the requests API at its path.
 */
import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import { inspectionItemSchema, recordInspectionItem } from '../domain/inspection-request.js';
import { missingItems } from '../domain/inspections.js';
import type { ServiceRequest } from '../domain/request.js';
import type { RequestStore } from '../store/request-store.js';
import { IntakeError } from '../errors.js';
import { bearerAuth, type Principal } from '../ops/bearer-auth.js';
import { parseInput, requestNumberParam } from '../ops/route-input.js';

export interface InspectionApiDeps {
  store: RequestStore;
  engineerTokens: Readonly<Record<string, string>>;
  now?: () => number;
}

/** An item with an optional client id: a retried POST records it once. */
export const inspectionItemBody = z.intersection(inspectionItemSchema, z.object({ id: z.string().min(1).max(200).optional() }));

/** The inspection of a stored request, or 404 when there is none. */
export async function inspectionOf(store: Pick<RequestStore, 'get'>, number: string): Promise<ServiceRequest & { inspection: NonNullable<ServiceRequest['inspection']> }> {
  const request = await store.get(number);
  if (!request) throw new IntakeError('NOT_FOUND', `Request ${number} does not exist.`);
  if (request.kind !== 'inspection' || !request.inspection) throw new IntakeError('NOT_FOUND', `Request ${number} is not an inspection; it has no checklist.`);
  return request as ServiceRequest & { inspection: NonNullable<ServiceRequest['inspection']> };
}

/** Records one item for `actor`; the shared step of the API and the ops page's form. */
export async function recordItem(
  store: Pick<RequestStore, 'update'>,
  number: string,
  input: { body: z.output<typeof inspectionItemBody>; actor: string; atMs: number },
): Promise<ServiceRequest> {
  const { id, ...item } = input.body;
  const result = await store.update(number, (request) =>
    recordInspectionItem(request, { item, atMs: input.atMs, actor: input.actor, id: `inspection-item:${id ?? randomUUID()}` }),
  );
  return result.request;
}

export function inspectionApi(deps: InspectionApiDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  const auth = bearerAuth(deps.engineerTokens);

  router.get('/:number/inspection', auth, async (req, res) => {
    const request = await inspectionOf(deps.store, requestNumberParam(String(req.params.number)));
    res.json({ number: request.number, status: request.status, inspection: request.inspection, missing: missingItems(request.inspection.checklist) });
  });

  router.post('/:number/inspection', auth, express.json({ limit: '16kb' }), async (req, res) => {
    const number = requestNumberParam(String(req.params.number));
    await inspectionOf(deps.store, number);
    const body = parseInput(inspectionItemBody, req.body ?? {});
    const actor = `engineer:${(res.locals.principal as Principal).name}`;
    const request = await recordItem(deps.store, number, { body, actor, atMs: now() });
    const inspection = request.inspection;
    res.status(201).json({ number, status: request.status, inspection, missing: inspection ? missingItems(inspection.checklist) : [] });
  });

  return router;
}

