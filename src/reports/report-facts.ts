/**
 * What the SLA report knows of one request (pure): its facts — the raw instants and states its
 * figures are decided on, with nothing that depends on "now" — and the figure keys they count
 * in at a given moment. The one place each figure's rule is written (DESIGN.md section 9).
 */
import { DateTime } from 'luxon';
import { WARSAW_ZONE, type ServiceCalendar } from '../domain/calendar.js';
import { warsawDate, windowTimeBetween } from '../domain/deadlines.js';
import type { Acceptability, ServiceRequest } from '../domain/request.js';

/** When a request's SOS delivery and return happened (from its history), where it has them. */
export interface Milestones {
  deliveredAt?: string;
  returnedAt?: string;
}

/** A stored request with the milestones the report needs. */
export type ReportRequest = ServiceRequest & { milestones?: Milestones };

const CHANNEL_KEYS: Partial<Record<string, string>> = {};
const OUTCOME_KEYS: Partial<Record<string, string>> = {};

/** Monday (Warsaw) of the week an instant falls in. */
export function weekOf(ms: number): string {
  return DateTime.fromMillis(ms, { zone: WARSAW_ZONE }).startOf('week').toISODate() ?? warsawDate(ms);
}

/**
 * What the report reads of one request: its figures' raw facts, with nothing that depends on
 * "now" (pending or breached is decided when the report runs). Small and plain, so that the
 * report source can keep it in Redis beside the request and recompute it only when the
 * request's version changes.
 */
export interface RequestFacts {
  number: string;
  /** Bumped by every change of the request: facts of an older version are recomputed. */
  version: number;
  sentAtMs: number;
  /** Monday (Warsaw) of the week it was sent: the weekly met rate's bucket (a zone lookup saved per report). */
  week: string;
  status: ServiceRequest['status'];
  channel: ServiceRequest['channel'];
  kind: ServiceRequest['kind'];
  acceptability: Acceptability;
  customer: string;
  contractNumber: string;
  /** The response deadline; absent when the clock never started. */
  responseDueMs?: number;
  firstResponseMs?: number;
  /** Window-minutes from the clock's start to the first response (the contract's calendar). */
  windowMinutes?: number;
  deliveryDueMs?: number;
  deliveredMs?: number;
  returnDueMs?: number;
  returnedMs?: number;
  inspection?: { dueDate: string; dueAtMs: number; doneOn?: string };
  /** An 8x5 request sent while the window was closed. */
  outsideWindow: boolean;
}

/** The facts of a stored request (and its delivery and return milestones). */
export function factsOf(request: ReportRequest, calendar: ServiceCalendar): RequestFacts {
  const ms = (iso: string | undefined): number | undefined => (iso === undefined ? undefined : Date.parse(iso));
  const sentAtMs = Date.parse(request.sentAt);
  const facts: RequestFacts = {
    number: request.number,
    version: request.version,
    sentAtMs,
    week: weekOf(sentAtMs),
    status: request.status,
    channel: request.channel,
    kind: request.kind,
    acceptability: request.acceptability,
    customer: request.customer ?? '',
    contractNumber: request.contractNumber ?? '',
    outsideWindow: request.kind !== 'inspection' && request.window === '8x5' && !calendar.isOpenAt(sentAtMs),
  };
  if (request.kind === 'inspection') {
    if (request.inspection) {
      const { dueDate, dueAt, doneOn } = request.inspection;
      facts.inspection = { dueDate, dueAtMs: Date.parse(dueAt), ...(doneOn ? { doneOn } : {}) };
    }
    return facts;
  }
  if (request.responseDeadline && request.clockStartedAt) {
    facts.responseDueMs = Date.parse(request.responseDeadline.at);
    if (request.firstResponse) {
      facts.firstResponseMs = Date.parse(request.firstResponse.at);
      facts.windowMinutes = windowTimeBetween(Date.parse(request.clockStartedAt), facts.firstResponseMs, request.window ?? '24x7', calendar) / 60_000;
    }
  }
  const optional = {
    deliveryDueMs: ms(request.deliveryDeadline?.at),
    deliveredMs: ms(request.milestones?.deliveredAt),
    returnDueMs: ms(request.returnDeadline?.at),
    returnedMs: ms(request.milestones?.returnedAt),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (facts as unknown as Record<string, number>)[key] = value;
  return facts;
}

/** Whether the request counts in the period (sent in it; of the contract asked for). */
export function inPeriod(facts: RequestFacts, bounds: { startMs: number; endMs: number }, contract?: string): boolean {
  if (facts.sentAtMs < bounds.startMs || facts.sentAtMs >= bounds.endMs) return false;
  return contract === undefined || facts.contractNumber === contract;
}

/**
 * The figures a request counts in at `nowMs`, as keys: `channel:email`, `outcome:accepted`,
 * `response:met|breached|pending|no-clock`, `delivery:met|breached|pending`, `return:overdue`,
 * `inspection:on-time|late|overdue|open`, `outside-window`, and `requests` / `inspections`.
 */
export function classify(facts: RequestFacts, nowMs: number): string[] {
  if (facts.kind === 'inspection') {
    const inspection = facts.inspection;
    if (!inspection) return ['inspections'];
    const state = inspection.doneOn ? (inspection.doneOn <= inspection.dueDate ? 'on-time' : 'late') : nowMs > inspection.dueAtMs ? 'overdue' : 'open';
    return ['inspections', `inspection:${state}`];
  }
  // Interned key strings: a year's report classifies tens of thousands of requests.
  const keys = ['requests', (CHANNEL_KEYS[facts.channel] ??= `channel:${facts.channel}`), (OUTCOME_KEYS[facts.acceptability] ??= `outcome:${facts.acceptability}`)];
  const due = facts.responseDueMs;
  if (due === undefined) keys.push('response:no-clock');
  else if (facts.firstResponseMs !== undefined) keys.push(facts.firstResponseMs <= due ? 'response:met' : 'response:breached');
  else keys.push(due < nowMs ? 'response:breached' : 'response:pending');
  if (facts.deliveryDueMs !== undefined) {
    const delivered = facts.deliveredMs;
    keys.push(delivered !== undefined ? (delivered <= facts.deliveryDueMs ? 'delivery:met' : 'delivery:breached') : facts.deliveryDueMs < nowMs ? 'delivery:breached' : 'delivery:pending');
  }
  if (facts.returnDueMs !== undefined && (facts.returnedMs ?? nowMs) > facts.returnDueMs) keys.push('return:overdue');
  if (facts.outsideWindow) keys.push('outside-window');
  return keys;
}
