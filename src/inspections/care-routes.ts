/**
 * The ops page's care and report pages as one router for createOps: the inspection checklist
 * and record pages, the SLA report pages, and their stylesheet and scripts with uPlot, all
 * served from the gateway itself (the ops CSP allows only 'self'). Signed-in engineers only.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import type { ContractRegistry } from '../domain/contracts.js';
import { requireEngineer } from '../ops/ops-page/sign-in.js';
import { reportPages } from '../reports/report-routes.js';
import type { ReportSource } from '../reports/report-source.js';
import { PACKAGE_ROOT } from '../settings.js';
import { inspectionPages, type InspectionPagesDeps } from './inspection-pages.js';

/** The browser assets: next to this module in src/, or the src/ copy when running from dist/. */
export const CARE_ASSETS_DIR = ((): string => {
  const beside = fileURLToPath(new URL('./assets', import.meta.url));
  return existsSync(beside) ? beside : path.join(PACKAGE_ROOT, 'src', 'inspections', 'assets');
})();

/** uPlot's browser build, from the installed package (no CDN). */
export const UPLOT_DIR = path.dirname(createRequire(import.meta.url).resolve('uplot'));

export type CareRoutesDeps = InspectionPagesDeps & { source: ReportSource; registry: () => ContractRegistry; reminderDays: readonly number[] };

export function careRoutes(deps: CareRoutesDeps): Router {
  const router = Router();
  const staticFiles = (dir: string) =>
    express.static(dir, { index: false, fallthrough: false, setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff') });
  router.use('/ops/care-assets', requireEngineer(), staticFiles(CARE_ASSETS_DIR));
  router.use('/ops/vendor/uplot', requireEngineer(), staticFiles(UPLOT_DIR));
  router.use(inspectionPages(deps));
  router.use(reportPages(deps));
  return router;
}
