/**
 * The data-subject requests over HTTP (`/api/v1/privacy`), for an admin token only
 * (`api.adminTokens`, apart from the engineer tokens: an engineer works on requests, an erasure
 * removes them from everyone's view). With no admin token configured every call is 401.
 *
 * - `GET /export?email=` or `?phone=`: everything held about the person (JSON, as the CLI prints).
 * - `POST /erase` `{"email"|"phone", "force"?}`: anonymizes it; 409 OPEN_REQUESTS_HELD while
 *   they have open requests, unless `force`.
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { bearerAuth, type Principal } from '../ops/bearer-auth.js';
import { parseInput } from '../ops/route-input.js';
import { parseDataSubject } from './data-subject.js';
import type { DataSubjectRequests } from './data-subject-requests.js';

export const PRIVACY_API_PATH = '/api/v1/privacy';

export interface PrivacyApiDeps {
  privacy: DataSubjectRequests;
  adminTokens: Readonly<Record<string, string>>;
}

const subjectQuery = z.object({ email: z.string().max(320).optional(), phone: z.string().max(40).optional() }).strict();
const eraseBody = subjectQuery.extend({ force: z.boolean().default(false) }).strict();

export function privacyApi(deps: PrivacyApiDeps): Router {
  const router = Router();
  router.use(bearerAuth(deps.adminTokens, 'Send "Authorization: Bearer <token>" with an admin token (api.adminTokens).'));
  router.use(express.json({ limit: '4kb' }));
  // What is held about someone must not linger in a cache between us and the admin.
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/export', async (req, res) => {
    const subject = parseDataSubject(parseInput(subjectQuery, req.query));
    res.json(await deps.privacy.export(subject));
  });

  router.post('/erase', async (req, res) => {
    const body = parseInput(eraseBody, req.body ?? {});
    const subject = parseDataSubject(body);
    res.json(await deps.privacy.erase(subject, { force: body.force, actor: `admin:${(res.locals.principal as Principal).name}` }));
  });

  return router;
}
