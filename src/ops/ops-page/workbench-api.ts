/**
 * The ops page's JSON for the workbench (behind the sign-in and the CSRF check, like the rest
 * of /ops): the same routes as the engineer API (workbench-routes.ts) with the signed-in
 * engineer's login as the actor, plus the list with search and paging, and the registry lookup.
 * URLs are listed in docs/ops.md ("JSON behind the page").
 */
import express, { Router } from 'express';
import type { UrgencyLevel } from '../../domain/running-clock.js';
import type { Logger } from '../../logger.js';
import { listQuerySchema } from '../../search/list-query.js';
import { parseInput, requestNumberParam } from '../route-input.js';
import { actionFromBody, listedRequest, listRequests, registryRoutes, workbenchRoutes, type WorkbenchRouteDeps } from '../workbench-routes.js';
import { setSecurityHeaders } from './html.js';
import { toRow } from './request-view.js';
import { sessionOf } from './sign-in.js';

// The page may ask for every open request at once (5,000 render in well under a second).
const listQuery = listQuerySchema(10_000, 200);

export function workbenchApi(deps: WorkbenchRouteDeps & { urgency: readonly UrgencyLevel[]; logger: Logger }): Router {
  const router = Router();
  const login = (res: express.Response): string => sessionOf(res)?.login ?? 'unknown';
  const actorOf = (res: express.Response): string => `engineer:${login(res)}`;
  router.use('/ops/api', (_req, res, next) => {
    setSecurityHeaders(res);
    next();
  });

  router.get('/ops/api/list', async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const nowMs = deps.now();
    const page = await listRequests(deps, query, { me: login(res), nowMs, calendar: deps.calendar });
    res.json({
      now: new Date(nowMs).toISOString(),
      total: page.total,
      nextCursor: page.nextCursor,
      requests: page.requests.map((request) => listedRequest(request, nowMs, deps.calendar)),
      rows: page.requests.map((request) => toRow(request, nowMs, deps.calendar, deps.urgency)),
    });
  });

  router.use('/ops/api/registry', registryRoutes(deps.registry, deps.now));
  router.use(workbenchRoutes(deps, { base: '/ops/api/requests', actorOf }));

  router.post('/ops/api/requests/:number/actions/:action', express.json({ limit: '64kb' }), async (req, res) => {
    const number = requestNumberParam(req.params.number);
    const result = await actionFromBody(deps, number, req.params.action, req.body, actorOf(res));
    if (result.changed) deps.logger.info({ requestNumber: number, channel: result.request.channel, action: req.params.action, actor: actorOf(res) }, 'engineer action recorded');
    res.json({ request: result.request, events: result.events });
  });
  return router;
}
