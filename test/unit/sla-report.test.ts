/**
 * The SLA report against a fixture whose every figure is worked out by hand below. November
 * 2026 in Warsaw is UTC+1 throughout; 2026-11-01 is a Sunday (a holiday), 11-02 a Monday.
 * "now" is Tue 2026-12-01 09:00 Warsaw (08:00Z).
 */
import { describe, expect, it } from 'vitest';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { CSV_COLUMNS, slaReportCsv } from '../../src/reports/sla-csv.js';
import { computeSlaReport, factsOf, monthPeriod, requestsBehind, type ReportRequest } from '../../src/reports/sla-report.js';

const calendar = new ServiceCalendar();
const NOW = Date.parse('2026-12-01T08:00:00Z');
const ALFA = { customer: 'Alfa sp. z o.o.', contractNumber: 'HZ-2026-00001', window: '8x5' as const, package: 'SOS' as const, onsite: 'NBD' as const };
// A name that needs quoting in CSV and starts with a formula character.
const BETA = { customer: '=Beta, "Browar" S.A.', contractNumber: 'HZ-2026-00002', window: '24x7' as const, package: 'AHB' as const, onsite: null };

let sequence = 0;
function req(contract: typeof ALFA | typeof BETA, fields: Partial<ReportRequest> & Pick<ServiceRequest, 'sentAt'>): ReportRequest {
  sequence += 1;
  const accepted = fields.acceptability === undefined || fields.acceptability === 'accepted';
  return {
    number: `HZ-2026-${String(sequence).padStart(6, '0')}`,
    status: fields.status ?? (accepted ? 'accepted' : (fields.acceptability ?? 'accepted')),
    acceptability: 'accepted',
    channel: 'email',
    kind: 'service',
    escalated: false,
    sourceKey: `fixture:${sequence}`,
    stampedAt: fields.sentAt,
    language: 'pl',
    reporter: {},
    attachments: [],
    raw: {},
    appliedSources: [],
    updatedAt: fields.sentAt,
    version: 1,
    ...contract,
    ...(accepted ? { clockStartedAt: fields.sentAt } : {}),
    ...fields,
  };
}
const deadline = (at: string) => ({ at, trace: 'fixture' });

const requests: ReportRequest[] = [
  // 1 Alfa, e-mail, Tue 11-03 10:15 → due 11:15; answered 10:45: met, 30 window-min. SOS
  //   delivery due 11-04 17:00, delivered 11-05 10:00: breached. Returned 11-11 before 11-12 10:00: not overdue.
  req(ALFA, {
    sentAt: '2026-11-03T09:15:00.000Z', responseDeadline: deadline('2026-11-03T10:15:00.000Z'), firstResponse: { at: '2026-11-03T09:45:00.000Z', by: 'engineer:jan', met: true },
    status: 'returned', deliveryDeadline: deadline('2026-11-04T16:00:00.000Z'), returnDeadline: deadline('2026-11-12T09:00:00.000Z'),
    milestones: { deliveredAt: '2026-11-05T09:00:00.000Z', returnedAt: '2026-11-11T10:00:00.000Z' },
  }),
  // 2 Alfa, phone, Fri 11-06 16:30 → due Mon 11-09 09:30; answered 09:40: breached, 30 + 40 = 70 window-min.
  req(ALFA, { channel: 'phone', sentAt: '2026-11-06T15:30:00.000Z', responseDeadline: deadline('2026-11-09T08:30:00.000Z'), firstResponse: { at: '2026-11-09T08:40:00.000Z', by: 'engineer:jan', met: false }, status: 'contacted' }),
  // 3 Alfa, portal, Sat 11-07 11:00: outside the 8x5 window; due Mon 10:00, never answered: breached.
  //   SOS delivery due 11-10 17:00, delivered 13:00: met. Return due 11-17, not returned by now: overdue.
  req(ALFA, {
    channel: 'portal', sentAt: '2026-11-07T10:00:00.000Z', responseDeadline: deadline('2026-11-09T09:00:00.000Z'), status: 'delivered',
    deliveryDeadline: deadline('2026-11-10T16:00:00.000Z'), returnDeadline: deadline('2026-11-17T12:00:00.000Z'), milestones: { deliveredAt: '2026-11-10T12:00:00.000Z' },
  }),
  // 4 Alfa, e-mail, Tue 11-10 11:00, serial missing: needs-info, no clock.
  req(ALFA, { acceptability: 'needs-info', sentAt: '2026-11-10T10:00:00.000Z' }),
  // 9 Alfa, e-mail, Mon 11-30 16:30 → due Tue 12-01 09:30, after now: pending.
  req(ALFA, { sentAt: '2026-11-30T15:30:00.000Z', responseDeadline: deadline('2026-12-01T08:30:00.000Z') }),
  // 5 Beta, e-mail, 11-12 21:00: contract expired, no clock (24x7: never "outside").
  req(BETA, { acceptability: 'contract-expired', sentAt: '2026-11-12T20:00:00.000Z' }),
  // 6 Beta, phone, 11-20 04:00: unauthorized reporter, no clock.
  req(BETA, { channel: 'phone', acceptability: 'unauthorized-reporter', sentAt: '2026-11-20T03:00:00.000Z' }),
  // 7 Beta, portal, 2026-10-31T23:30Z = Sun 11-01 00:30 Warsaw: in the period; answered after 50 min: met.
  req(BETA, { channel: 'portal', sentAt: '2026-10-31T23:30:00.000Z', responseDeadline: deadline('2026-11-01T00:30:00.000Z'), firstResponse: { at: '2026-11-01T00:20:00.000Z', by: 'engineer:ola', met: true }, status: 'contacted' }),
  // 8 Beta, 2026-11-30T23:30Z = Tue 12-01 00:30 Warsaw: outside the period, counted nowhere.
  req(BETA, { sentAt: '2026-11-30T23:30:00.000Z', responseDeadline: deadline('2026-12-01T00:30:00.000Z') }),
  // Inspections (never in the response figures): Alfa on time and overdue, Beta open and late.
  req(ALFA, { channel: 'schedule', kind: 'inspection', sentAt: '2026-11-02T05:15:00.000Z', status: 'closed', inspection: { dueDate: '2026-11-25', dueAt: '2026-11-25T16:00:00.000Z', basis: 'x', checklist: {}, doneOn: '2026-11-24' } }),
  req(ALFA, { channel: 'schedule', kind: 'inspection', sentAt: '2026-11-05T05:15:00.000Z', inspection: { dueDate: '2026-11-20', dueAt: '2026-11-20T16:00:00.000Z', basis: 'x', checklist: {} } }),
  req(BETA, { channel: 'schedule', kind: 'inspection', sentAt: '2026-11-06T05:15:00.000Z', inspection: { dueDate: '2026-12-20', dueAt: '2026-12-18T16:00:00.000Z', basis: 'x', checklist: {} } }),
  req(BETA, { channel: 'schedule', kind: 'inspection', sentAt: '2026-11-03T05:15:00.000Z', status: 'closed', inspection: { dueDate: '2026-11-10', dueAt: '2026-11-10T16:00:00.000Z', basis: 'x', checklist: {}, doneOn: '2026-11-12' } }),
];
for (const request of requests) if (request.acceptability !== 'accepted') request.status = request.acceptability;

const facts = requests.map((request) => factsOf(request, calendar));
const report = computeSlaReport(facts, monthPeriod('2026-11'), NOW);

describe('the SLA report for November 2026', () => {
  it('covers 1–30 Nov in Warsaw dates', () => {
    expect(monthPeriod('2026-11')).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(monthPeriod('2028-02')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
  });

  it('totals every figure as worked out by hand', () => {
    expect(report.total).toEqual({
      requests: 8, // 1 2 3 4 9 5 6 7 (8 was sent on 1 Dec in Warsaw)
      byChannel: { email: 4, phone: 2, portal: 2 }, // e-mail 1 4 9 5; phone 2 6; portal 3 7
      byOutcome: { accepted: 5, 'needs-info': 1, 'unauthorized-reporter': 1, 'contract-expired': 1 },
      firstResponse: {
        met: 2, // 1 7
        breached: 2, // 2 (late), 3 (none, deadline passed)
        pending: 1, // 9
        metRate: 0.5,
        withoutClock: 3, // 4 5 6
        windowMinutes: { count: 3, median: 50, p90: 70, max: 70 }, // 30, 50, 70: nearest rank 2 and 3 of 3
      },
      delivery: { met: 1, breached: 1, pending: 0 }, // 3 met, 1 breached
      returnsOverdue: 1, // 3
      inspections: { onTime: 1, late: 1, overdue: 1, open: 1 },
      outsideWindow: 1, // 3 (Saturday on 8x5)
    });
  });

  it('splits them per customer and contract', () => {
    const alfa = report.groups.find((g) => g.contractNumber === ALFA.contractNumber)?.figures;
    const beta = report.groups.find((g) => g.contractNumber === BETA.contractNumber)?.figures;
    expect(report.groups).toHaveLength(2);
    expect(alfa).toMatchObject({
      requests: 5,
      byChannel: { email: 3, phone: 1, portal: 1 },
      byOutcome: { accepted: 4, 'needs-info': 1, 'unauthorized-reporter': 0, 'contract-expired': 0 },
      firstResponse: { met: 1, breached: 2, pending: 1, metRate: 1 / 3, withoutClock: 1, windowMinutes: { count: 2, median: 30, p90: 70, max: 70 } },
      delivery: { met: 1, breached: 1, pending: 0 },
      returnsOverdue: 1,
      inspections: { onTime: 1, late: 0, overdue: 1, open: 0 },
      outsideWindow: 1,
    });
    expect(beta).toMatchObject({
      requests: 3,
      byChannel: { email: 1, phone: 1, portal: 1 },
      byOutcome: { accepted: 1, 'needs-info': 0, 'unauthorized-reporter': 1, 'contract-expired': 1 },
      firstResponse: { met: 1, breached: 0, pending: 0, metRate: 1, withoutClock: 2, windowMinutes: { count: 1, median: 50, p90: 50, max: 50 } },
      inspections: { onTime: 0, late: 1, overdue: 0, open: 1 },
      outsideWindow: 0,
    });
  });

  it('rates each week (Monday, Warsaw) and spreads the response times over the bars', () => {
    expect(report.weekly).toEqual([
      { week: '2026-10-26', met: 1, breached: 0, metRate: 1 }, // 7 (Sun 1 Nov)
      { week: '2026-11-02', met: 1, breached: 2, metRate: 1 / 3 }, // 1, 2, 3
    ]);
    expect(report.distribution).toEqual([
      { upTo: 15, count: 0 },
      { upTo: 30, count: 1 }, // 30
      { upTo: 45, count: 0 },
      { upTo: 60, count: 1 }, // 50
      { upTo: 120, count: 1 }, // 70
      { upTo: null, count: 0 },
    ]);
  });

  it('lists the requests behind a figure by the rule that counted them', () => {
    const numbers = (figure: string, contract?: string) =>
      requestsBehind(facts, { ...monthPeriod('2026-11'), ...(contract ? { contract } : {}) }, figure, NOW).map((f) => requests.find((r) => r.number === f.number)?.sourceKey);
    expect(numbers('response:breached')).toEqual(['fixture:2', 'fixture:3']);
    expect(numbers('week:2026-11-02')).toEqual(['fixture:1', 'fixture:2', 'fixture:3']);
    expect(numbers('minutes:60')).toEqual(['fixture:8']);
    expect(numbers('outcome:accepted', BETA.contractNumber)).toEqual(['fixture:8']);
    expect(numbers('inspection:overdue')).toEqual(['fixture:11']);
  });

  it('has no figures for a contract without requests, and a null met rate', () => {
    const none = computeSlaReport(facts, { ...monthPeriod('2026-11'), contract: 'HZ-2026-99999' }, NOW);
    expect(none.groups).toEqual([]);
    expect(none.total.requests).toBe(0);
    expect(none.total.firstResponse.metRate).toBeNull();
    expect(none.total.firstResponse.windowMinutes).toBeNull();
  });
});

/** RFC 4180 parsing, enough to read the report back: quoted fields with "" and commas. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('the SLA report as CSV', () => {
  const rows = parseCsv(slaReportCsv(report));
  const byContract = (contract: string) => Object.fromEntries(CSV_COLUMNS.map((column, i) => [column, rows.find((r) => r[1] === contract)?.[i]]));

  it('parses back to the same figures, one row per customer and contract and the total last', () => {
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(4);
    expect(rows[3]?.[0]).toBe('TOTAL');
    const total = Object.fromEntries(CSV_COLUMNS.map((column, i) => [column, rows[3]?.[i]]));
    expect(total).toMatchObject({ requests: '8', email: '4', phone: '2', portal: '2', response_met: '2', response_breached: '2', response_pending: '1', met_rate: '0.5000', without_clock: '3', window_minutes_median: '50', window_minutes_p90: '70', window_minutes_max: '70', delivery_met: '1', delivery_breached: '1', returns_overdue: '1', inspections_on_time: '1', inspections_late: '1', inspections_overdue: '1', inspections_open: '1', outside_window: '1' });
    expect(byContract(ALFA.contractNumber)).toMatchObject({ customer: 'Alfa sp. z o.o.', requests: '5', met_rate: '0.3333' });
  });

  it('quotes a name with a comma and quotes, and keeps a spreadsheet from running it as a formula', () => {
    expect(byContract(BETA.contractNumber).customer).toBe(`'=Beta, "Browar" S.A.`);
  });
});
