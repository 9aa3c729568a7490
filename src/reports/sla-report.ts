/**
 * The SLA report (DESIGN.md section 9), pure: over the requests *sent* in a period of Warsaw
 * dates (both inclusive), per customer and contract and in total — requests by channel and by
 * outcome, first responses met / breached / pending with the met rate and the window-minutes to
 * the first response, SOS deliveries, overdue returns, inspections, and 8x5 requests sent
 * outside the window. Every figure has a key (`figureKeysOf`), so the page can list the requests
 * behind it with the very rule that counted them.
 */
import { DateTime } from 'luxon';
import { WARSAW_ZONE } from '../domain/calendar.js';
import type { Acceptability } from '../domain/request.js';
import { classify, inPeriod, type RequestFacts } from './report-facts.js';

export { factsOf, type Milestones, type ReportRequest, type RequestFacts } from './report-facts.js';

/** The channels a customer reports through (inspections, filed by the gateway, are counted apart). */
export const REPORT_CHANNELS = ['phone', 'email', 'portal'] as const;
export const REPORT_OUTCOMES = ['accepted', 'needs-info', 'unauthorized-reporter', 'contract-expired'] as const satisfies readonly Acceptability[];

/** Upper bounds (window-minutes) of the response-time distribution's bars; the last is open. */
export const DISTRIBUTION_BOUNDS = [15, 30, 45, 60, 120] as const;

export interface ReportPeriod {
  /** `YYYY-MM-DD`, Warsaw, inclusive. */
  from: string;
  /** `YYYY-MM-DD`, Warsaw, inclusive. */
  to: string;
  /** Only this contract (as stored on the requests). */
  contract?: string;
}

export interface WindowMinutes {
  count: number;
  /** Nearest-rank percentiles, whole minutes rounded half up. */
  median: number;
  p90: number;
  max: number;
}

export interface SlaFigures {
  /** Customer requests sent in the period (inspections not included). */
  requests: number;
  byChannel: Record<(typeof REPORT_CHANNELS)[number], number>;
  byOutcome: Record<(typeof REPORT_OUTCOMES)[number], number>;
  firstResponse: {
    met: number;
    breached: number;
    pending: number;
    /** met / (met + breached); null when neither. */
    metRate: number | null;
    /** Requests whose clock never started (data missing, reporter unconfirmed, contract expired). */
    withoutClock: number;
    /** Between the clock's start and the first response, in the contract's window time. */
    windowMinutes: WindowMinutes | null;
  };
  delivery: { met: number; breached: number; pending: number };
  returnsOverdue: number;
  inspections: { onTime: number; late: number; overdue: number; open: number };
  /** 8x5 requests sent outside the window (evenings, weekends, holidays): work priced apart. */
  outsideWindow: number;
}

export interface SlaGroup {
  customer: string;
  contractNumber: string;
  figures: SlaFigures;
}

export interface WeeklyRate {
  /** Monday of the week (Warsaw). */
  week: string;
  met: number;
  breached: number;
  metRate: number | null;
}

export interface SlaReport {
  from: string;
  to: string;
  contract: string | null;
  generatedAt: string;
  timeZone: typeof WARSAW_ZONE;
  total: SlaFigures;
  groups: SlaGroup[];
  weekly: WeeklyRate[];
  /** Requests by window-minutes to first response: `upTo` minutes (null: above the last bound). */
  distribution: Array<{ upTo: number | null; count: number }>;
}

/** `[from, to]` in Warsaw dates as UTC instants `[startMs, endMs)`. */
export function periodBounds(period: Pick<ReportPeriod, 'from' | 'to'>): { startMs: number; endMs: number } {
  const start = DateTime.fromISO(period.from, { zone: WARSAW_ZONE }).startOf('day');
  const end = DateTime.fromISO(period.to, { zone: WARSAW_ZONE }).plus({ days: 1 }).startOf('day');
  return { startMs: start.toMillis(), endMs: end.toMillis() };
}

/** The first and last day of a month `YYYY-MM`. */
export function monthPeriod(month: string): { from: string; to: string } {
  const start = DateTime.fromISO(`${month}-01`, { zone: WARSAW_ZONE });
  return { from: start.toISODate() ?? month, to: start.endOf('month').toISODate() ?? month };
}

function emptyFigures(): SlaFigures {
  return {
    requests: 0,
    byChannel: { phone: 0, email: 0, portal: 0 },
    byOutcome: { accepted: 0, 'needs-info': 0, 'unauthorized-reporter': 0, 'contract-expired': 0 },
    firstResponse: { met: 0, breached: 0, pending: 0, metRate: null, withoutClock: 0, windowMinutes: null },
    delivery: { met: 0, breached: 0, pending: 0 },
    returnsOverdue: 0,
    inspections: { onTime: 0, late: 0, overdue: 0, open: 0 },
    outsideWindow: 0,
  };
}

const COUNTERS: Record<string, (figures: SlaFigures) => void> = {
  requests: (f) => void f.requests++,
  'channel:phone': (f) => void f.byChannel.phone++,
  'channel:email': (f) => void f.byChannel.email++,
  'channel:portal': (f) => void f.byChannel.portal++,
  'outcome:accepted': (f) => void f.byOutcome.accepted++,
  'outcome:needs-info': (f) => void f.byOutcome['needs-info']++,
  'outcome:unauthorized-reporter': (f) => void f.byOutcome['unauthorized-reporter']++,
  'outcome:contract-expired': (f) => void f.byOutcome['contract-expired']++,
  'response:met': (f) => void f.firstResponse.met++,
  'response:breached': (f) => void f.firstResponse.breached++,
  'response:pending': (f) => void f.firstResponse.pending++,
  'response:no-clock': (f) => void f.firstResponse.withoutClock++,
  'delivery:met': (f) => void f.delivery.met++,
  'delivery:breached': (f) => void f.delivery.breached++,
  'delivery:pending': (f) => void f.delivery.pending++,
  'return:overdue': (f) => void f.returnsOverdue++,
  'inspection:on-time': (f) => void f.inspections.onTime++,
  'inspection:late': (f) => void f.inspections.late++,
  'inspection:overdue': (f) => void f.inspections.overdue++,
  'inspection:open': (f) => void f.inspections.open++,
  'outside-window': (f) => void f.outsideWindow++,
};

/** Every figure key the report counts (the page's links use these). */
export const FIGURE_KEYS = Object.keys(COUNTERS);

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function finish(figures: SlaFigures, minutes: number[]): SlaFigures {
  const { met, breached } = figures.firstResponse;
  figures.firstResponse.metRate = met + breached === 0 ? null : met / (met + breached);
  if (minutes.length > 0) {
    minutes.sort((x, y) => x - y);
    figures.firstResponse.windowMinutes = {
      count: minutes.length,
      median: Math.round(percentile(minutes, 50)),
      p90: Math.round(percentile(minutes, 90)),
      max: Math.round(minutes[minutes.length - 1] ?? 0),
    };
  }
  return figures;
}

/** The report over the facts of requests (any set: those outside the period or contract are left out). */
export function computeSlaReport(requests: Iterable<RequestFacts>, period: ReportPeriod, nowMs: number): SlaReport {
  const bounds = periodBounds(period);
  const total = emptyFigures();
  const totalMinutes: number[] = [];
  const groups = new Map<string, { group: SlaGroup; minutes: number[] }>();
  const weeks = new Map<string, { met: number; breached: number }>();
  const distribution = [...DISTRIBUTION_BOUNDS, null].map((upTo) => ({ upTo, count: 0 }));

  for (const request of requests) {
    if (!inPeriod(request, bounds, period.contract)) continue;
    const keys = classify(request, nowMs);
    const windowMinutes = request.windowMinutes;
    const groupKey = `${request.customer}\u0000${request.contractNumber}`;
    let entry = groups.get(groupKey);
    if (!entry) {
      entry = { group: { customer: request.customer, contractNumber: request.contractNumber, figures: emptyFigures() }, minutes: [] };
      groups.set(groupKey, entry);
    }
    for (const key of keys) {
      const count = COUNTERS[key];
      if (!count) continue;
      count(total);
      count(entry.group.figures);
    }
    if (windowMinutes !== undefined) {
      totalMinutes.push(windowMinutes);
      entry.minutes.push(windowMinutes);
      const bar = distribution.find((b) => b.upTo === null || windowMinutes <= b.upTo);
      if (bar) bar.count++;
    }
    const met = keys.includes('response:met');
    if (met || keys.includes('response:breached')) {
      const week = request.week;
      const counts = weeks.get(week) ?? { met: 0, breached: 0 };
      if (met) counts.met++;
      else counts.breached++;
      weeks.set(week, counts);
    }
  }

  return {
    from: period.from,
    to: period.to,
    contract: period.contract ?? null,
    generatedAt: new Date(nowMs).toISOString(),
    timeZone: WARSAW_ZONE,
    total: finish(total, totalMinutes),
    groups: [...groups.values()]
      .map(({ group, minutes }) => ({ ...group, figures: finish(group.figures, minutes) }))
      .sort((x, y) => x.customer.localeCompare(y.customer, 'pl') || x.contractNumber.localeCompare(y.contractNumber)),
    weekly: [...weeks.entries()]
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([week, { met, breached }]) => ({ week, met, breached, metRate: met + breached === 0 ? null : met / (met + breached) })),
    distribution,
  };
}

/**
 * The requests behind one figure (the page's links): those in the period (and contract) whose
 * classification holds `key`; `week:<Monday>` selects the met and breached of a week,
 * `minutes:<upTo|over>` a bar of the distribution. Oldest first.
 */
export function requestsBehind(requests: Iterable<RequestFacts>, period: ReportPeriod, key: string, nowMs: number): RequestFacts[] {
  const bounds = periodBounds(period);
  const found: RequestFacts[] = [];
  const week = /^week:(\d{4}-\d{2}-\d{2})$/.exec(key)?.[1];
  const bar = /^minutes:(\d+|over)$/.exec(key)?.[1];
  const index = bar === undefined ? -1 : bar === 'over' ? DISTRIBUTION_BOUNDS.length : DISTRIBUTION_BOUNDS.indexOf(Number(bar) as (typeof DISTRIBUTION_BOUNDS)[number]);
  const upper = DISTRIBUTION_BOUNDS[index] ?? Number.POSITIVE_INFINITY;
  const lower = index <= 0 ? Number.NEGATIVE_INFINITY : (DISTRIBUTION_BOUNDS[index - 1] ?? Number.NEGATIVE_INFINITY);
  for (const request of requests) {
    if (!inPeriod(request, bounds, period.contract)) continue;
    const keys = classify(request, nowMs);
    if (week !== undefined) {
      const answered = keys.includes('response:met') || keys.includes('response:breached');
      if (answered && request.week === week) found.push(request);
    } else if (bar !== undefined) {
      const minutes = request.windowMinutes;
      if (index >= 0 && minutes !== undefined && minutes > lower && minutes <= upper) found.push(request);
    } else if (keys.includes(key)) {
      found.push(request);
    }
  }
  return found.sort((x, y) => x.sentAtMs - y.sentAtMs);
}
