/**
 * The SLA report over HTTP: `GET /api/v1/reports/sla?from=YYYY-MM-DD&to=YYYY-MM-DD[&contract=]
 * [&format=csv]` for the engineer API (bearer token), and the ops pages `/ops/reports` and
 * `/ops/reports/requests` (the requests behind one figure) for signed-in engineers.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import { isCalendarDate } from '../domain/contract-terms.js';
import type { ContractRegistry } from '../domain/contracts.js';
import { warsawDate } from '../domain/deadlines.js';
import { daysBetween } from '../domain/inspections.js';
import { renewalsDue } from '../domain/renewals.js';
import { IntakeError } from '../errors.js';
import { bearerAuth } from '../ops/bearer-auth.js';
import { setSecurityHeaders } from '../ops/ops-page/html.js';
import { requireEngineer, sessionOf } from '../ops/ops-page/sign-in.js';
import { parseInput } from '../ops/route-input.js';
import type { ReportSource } from './report-source.js';
import { reportPage, requestsPage } from './report-page.js';
import { slaReportCsv } from './sla-csv.js';
import { computeSlaReport, monthPeriod, requestsBehind, type ReportPeriod, type SlaReport } from './sla-report.js';

/** The longest period one report covers (a year, with room for a leap day and a month's overlap). */
export const MAX_REPORT_DAYS = 400;

const date = (what: string) => z.string().refine(isCalendarDate, { message: `${what} must be a date YYYY-MM-DD` });

export const reportQuery = z
  .object({
    from: date('from'),
    to: date('to'),
    contract: z.string().trim().min(1).max(100).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

/** Checks the period's order and length (INPUT_INVALID naming the field). */
export function checkPeriod(period: { from: string; to: string }): void {
  const days = daysBetween(period.from, period.to);
  if (days < 0) throw new IntakeError('INPUT_INVALID', '"to" is before "from".', { details: [{ path: 'to', message: `not before ${period.from}` }] });
  if (days >= MAX_REPORT_DAYS) {
    throw new IntakeError('INPUT_INVALID', `A report covers at most ${MAX_REPORT_DAYS} days; ask for a shorter period.`, { details: [{ path: 'to', message: `at most ${MAX_REPORT_DAYS} days after from` }] });
  }
}

export interface ReportDeps {
  source: ReportSource;
  now?: () => number;
}

/** The report for a period, read and computed (what the API, the page and the CLI run). */
export async function slaReport(deps: ReportDeps, period: ReportPeriod): Promise<SlaReport> {
  checkPeriod(period);
  return computeSlaReport(await deps.source.factsFrom(period.from), period, (deps.now ?? Date.now)());
}

/** Sends the report as JSON or as a CSV download. */
export function sendReport(res: Response, report: SlaReport, format: 'json' | 'csv'): void {
  if (format === 'json') {
    res.json(report);
    return;
  }
  res.type('text/csv; charset=utf-8');
  res.attachment(`sla-${report.from}-${report.to}${report.contract ? `-${report.contract}` : ''}.csv`);
  res.send(slaReportCsv(report));
}

export function reportsApi(deps: ReportDeps & { engineerTokens: Readonly<Record<string, string>> }): Router {
  const router = Router();
  router.use(bearerAuth(deps.engineerTokens));
  router.get('/sla', async (req, res) => {
    const query = parseInput(reportQuery, req.query);
    sendReport(res, await slaReport(deps, { from: query.from, to: query.to, ...(query.contract ? { contract: query.contract } : {}) }), query.format);
  });
  return router;
}

const pageQuery = z
  .object({
    from: date('from').optional(),
    to: date('to').optional(),
    contract: z.string().trim().max(100).optional(),
    format: z.enum(['html', 'csv', 'json']).default('html'),
  })
  .strict();

const listQuery = z.object({ from: date('from'), to: date('to'), contract: z.string().trim().max(100).optional(), figure: z.string().min(1).max(60) }).strict();

/** The signed-in pages (mounted in createOps before its guard, like the inspection pages). */
export function reportPages(deps: ReportDeps & { registry: () => ContractRegistry; reminderDays: readonly number[] }): Router {
  const router = Router();
  const now = deps.now ?? Date.now;

  router.get('/ops/reports', requireEngineer(), async (req, res) => {
    const query = parseInput(pageQuery, req.query);
    // Last month by default: what a manager opens the page for.
    const thisMonth = monthPeriod(warsawDate(now()).slice(0, 7));
    const lastMonth = monthPeriod(warsawDate(Date.parse(`${thisMonth.from}T12:00:00Z`) - 86_400_000).slice(0, 7));
    const period: ReportPeriod = { from: query.from ?? lastMonth.from, to: query.to ?? lastMonth.to, ...(query.contract ? { contract: query.contract } : {}) };
    const report = await slaReport(deps, period);
    setSecurityHeaders(res);
    if (query.format !== 'html') {
      sendReport(res, report, query.format);
      return;
    }
    const renewals = renewalsDue(deps.registry(), warsawDate(now()), deps.reminderDays);
    res.type('html').send(reportPage(report, renewals, sessionOf(res)?.language ?? 'pl'));
  });

  router.get('/ops/reports/requests', requireEngineer(), async (req, res) => {
    const query = parseInput(listQuery, req.query);
    const period: ReportPeriod = { from: query.from, to: query.to, ...(query.contract ? { contract: query.contract } : {}) };
    checkPeriod(period);
    const found = requestsBehind(await deps.source.factsFrom(period.from), period, query.figure, now());
    setSecurityHeaders(res);
    res.type('html').send(requestsPage(period, query.figure, found, sessionOf(res)?.language ?? 'pl'));
  });

  return router;
}
