/**
 * The SLA report as CSV (RFC 4180): one row per customer and contract, then the total. Fields
 * are quoted when they hold a comma, quote or line break; a text field starting with = + - @
 * gets a leading apostrophe, so that a spreadsheet never runs a customer's name as a formula.
 * No CSV library is installed; writing this much by hand is simpler than adding one.
 */
import type { SlaFigures, SlaReport } from './sla-report.js';

export const CSV_COLUMNS = [
  'customer',
  'contract',
  'requests',
  'phone',
  'email',
  'portal',
  'accepted',
  'needs_info',
  'unauthorized_reporter',
  'contract_expired',
  'response_met',
  'response_breached',
  'response_pending',
  'met_rate',
  'without_clock',
  'window_minutes_median',
  'window_minutes_p90',
  'window_minutes_max',
  'delivery_met',
  'delivery_breached',
  'delivery_pending',
  'returns_overdue',
  'inspections_on_time',
  'inspections_late',
  'inspections_overdue',
  'inspections_open',
  'outside_window',
] as const;

function row(customer: string, contract: string, f: SlaFigures): Array<string | number> {
  const minutes = f.firstResponse.windowMinutes;
  return [
    customer,
    contract,
    f.requests,
    f.byChannel.phone,
    f.byChannel.email,
    f.byChannel.portal,
    f.byOutcome.accepted,
    f.byOutcome['needs-info'],
    f.byOutcome['unauthorized-reporter'],
    f.byOutcome['contract-expired'],
    f.firstResponse.met,
    f.firstResponse.breached,
    f.firstResponse.pending,
    f.firstResponse.metRate === null ? '' : f.firstResponse.metRate.toFixed(4),
    f.firstResponse.withoutClock,
    minutes?.median ?? '',
    minutes?.p90 ?? '',
    minutes?.max ?? '',
    f.delivery.met,
    f.delivery.breached,
    f.delivery.pending,
    f.returnsOverdue,
    f.inspections.onTime,
    f.inspections.late,
    f.inspections.overdue,
    f.inspections.open,
    f.outsideWindow,
  ];
}

/** One CSV field. */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The report as CSV text, CRLF line ends, the total in the last row (customer "TOTAL"). */
export function slaReportCsv(report: SlaReport): string {
  const rows = [
    [...CSV_COLUMNS],
    ...report.groups.map((group) => row(group.customer, group.contractNumber, group.figures)),
    row('TOTAL', report.contract ?? '', report.total),
  ];
  return `${rows.map((fields) => fields.map(csvField).join(',')).join('\r\n')}\r\n`;
}
