/**
 * The ops page's care and report pages as one router for createOps: the inspection checklist
 * and record pages, and their stylesheet and scripts (served from the gateway itself; the ops
 * CSP allows only 'self'). Signed-in engineers only.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { requireEngineer } from '../ops/ops-page/sign-in.js';
import { PACKAGE_ROOT } from '../settings.js';
import { inspectionPages, type InspectionPagesDeps } from './inspection-pages.js';

/** The browser assets: next to this module in src/, or the src/ copy when running from dist/. */
export const CARE_ASSETS_DIR = ((): string => {
  const beside = fileURLToPath(new URL('./assets', import.meta.url));
  return existsSync(beside) ? beside : path.join(PACKAGE_ROOT, 'src', 'inspections', 'assets');
})();

export type CareRoutesDeps = InspectionPagesDeps;

export function careRoutes(deps: CareRoutesDeps): Router {
  const router = Router();
  router.use(
    '/ops/care-assets',
    requireEngineer(),
    express.static(CARE_ASSETS_DIR, { index: false, fallthrough: false, setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff') }),
  );
  router.use(inspectionPages(deps));
  return router;
}
