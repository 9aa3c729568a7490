/**
 * The report pages' HTML (Polish or English, Warsaw dates): the figures per customer and
 * contract and in total, each a link to the requests behind it; the weekly met rate and the
 * response-time distribution, drawn by uPlot (served from the gateway, scripts 'self' only)
 * from data in an attribute; the contracts ending soon. Everything variable is escaped.
 */
import type { RenewalDue } from '../domain/renewals.js';
import { formatWarsaw } from '../domain/deadlines.js';
import { escapeHtml } from '../util/html.js';
import type { ReportPeriod, RequestFacts, SlaFigures, SlaReport } from './sla-report.js';

type Language = 'pl' | 'en';

const T = {
  pl: {
    title: 'Raport SLA',
    period: 'Okres',
    from: 'Od',
    to: 'Do',
    contract: 'Umowa',
    show: 'Pokaż',
    csv: 'Pobierz CSV',
    json: 'JSON',
    total: 'Razem',
    customer: 'Klient',
    requests: 'Zgłoszenia',
    channels: 'Kanały (telefon / e-mail / portal)',
    outcomes: 'Wynik przyjęcia (przyjęte / brak danych / nieuprawniony / umowa wygasła)',
    met: 'Reakcja w terminie',
    breached: 'Reakcja po terminie',
    pending: 'Oczekujące',
    metRate: 'Odsetek w terminie',
    noClock: 'Bez zegara',
    minutes: 'Minuty okna do reakcji (mediana / p90 / maks.)',
    delivery: 'Dostawy SOS (w terminie / po terminie / w toku)',
    returns: 'Zwroty po terminie',
    inspections: 'Przeglądy (w terminie / po terminie / zaległe / otwarte)',
    outside: 'Zgłoszenia 8x5 poza oknem',
    weekly: 'Tygodniowy odsetek reakcji w terminie',
    distribution: 'Rozkład czasu do pierwszej reakcji (minuty okna)',
    week: 'Tydzień od',
    renewals: 'Umowy kończące się w ciągu 60 dni',
    validTo: 'Ważna do',
    daysLeft: 'Dni',
    none: 'Brak',
    back: '← Raport',
    behind: 'Zgłoszenia za wskaźnikiem',
    sent: 'Wysłane',
    status: 'Status',
    ops: '← Lista zgłoszeń',
    over: 'ponad',
    minutesBar: 'Minuty',
    upTo: 'do',
  },
  en: {
    title: 'SLA report',
    period: 'Period',
    from: 'From',
    to: 'To',
    contract: 'Contract',
    show: 'Show',
    csv: 'Download CSV',
    json: 'JSON',
    total: 'Total',
    customer: 'Customer',
    requests: 'Requests',
    channels: 'Channels (phone / e-mail / portal)',
    outcomes: 'Outcome (accepted / needs info / unauthorized / contract expired)',
    met: 'Responses met',
    breached: 'Responses breached',
    pending: 'Pending',
    metRate: 'Met rate',
    noClock: 'Without a clock',
    minutes: 'Window-minutes to response (median / p90 / max)',
    delivery: 'SOS deliveries (met / breached / pending)',
    returns: 'Returns overdue',
    inspections: 'Inspections (on time / late / overdue / open)',
    outside: '8x5 requests outside the window',
    weekly: 'Weekly first-response met rate',
    distribution: 'Window-minutes to first response',
    week: 'Week of',
    renewals: 'Contracts ending within 60 days',
    validTo: 'Valid to',
    daysLeft: 'Days',
    none: 'None',
    back: '← Report',
    behind: 'Requests behind the figure',
    sent: 'Sent',
    status: 'Status',
    ops: '← Request list',
    over: 'over',
    minutesBar: 'Minutes',
    upTo: 'up to',
  },
} as const;

function query(period: ReportPeriod, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams({ from: period.from, to: period.to, ...(period.contract ? { contract: period.contract } : {}), ...extra });
  return params.toString();
}

function shell(language: Language, title: string, body: string, scripts = ''): string {
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — myHEZO ops</title>
<link rel="stylesheet" href="/ops/assets/app.css"><link rel="stylesheet" href="/ops/care-assets/care.css">${scripts}</head>
<body class="reports"><main>${body}</main></body>
</html>`;
}

function rate(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)}%`;
}

/** Figures of one row, each count a link to its requests. */
function cells(f: SlaFigures, period: ReportPeriod): string {
  const link = (figure: string, value: number): string => `<a href="/ops/reports/requests?${escapeHtml(query(period, { figure }))}" data-figure="${figure}">${value}</a>`;
  const m = f.firstResponse.windowMinutes;
  return [
    link('requests', f.requests),
    `${link('channel:phone', f.byChannel.phone)} / ${link('channel:email', f.byChannel.email)} / ${link('channel:portal', f.byChannel.portal)}`,
    `${link('outcome:accepted', f.byOutcome.accepted)} / ${link('outcome:needs-info', f.byOutcome['needs-info'])} / ${link('outcome:unauthorized-reporter', f.byOutcome['unauthorized-reporter'])} / ${link('outcome:contract-expired', f.byOutcome['contract-expired'])}`,
    link('response:met', f.firstResponse.met),
    link('response:breached', f.firstResponse.breached),
    link('response:pending', f.firstResponse.pending),
    `<span data-figure="met-rate">${rate(f.firstResponse.metRate)}</span>`,
    link('response:no-clock', f.firstResponse.withoutClock),
    m ? `${m.median} / ${m.p90} / ${m.max}` : '—',
    `${link('delivery:met', f.delivery.met)} / ${link('delivery:breached', f.delivery.breached)} / ${link('delivery:pending', f.delivery.pending)}`,
    link('return:overdue', f.returnsOverdue),
    `${link('inspection:on-time', f.inspections.onTime)} / ${link('inspection:late', f.inspections.late)} / ${link('inspection:overdue', f.inspections.overdue)} / ${link('inspection:open', f.inspections.open)}`,
    link('outside-window', f.outsideWindow),
  ]
    .map((cell) => `<td>${cell}</td>`)
    .join('');
}

export function reportPage(report: SlaReport, renewals: readonly RenewalDue[], language: Language): string {
  const t = T[language];
  const period: ReportPeriod = { from: report.from, to: report.to, ...(report.contract ? { contract: report.contract } : {}) };
  const headings = [t.requests, t.channels, t.outcomes, t.met, t.breached, t.pending, t.metRate, t.noClock, t.minutes, t.delivery, t.returns, t.inspections, t.outside];
  const rows = report.groups
    .map((group) => {
      const groupPeriod = { ...period, contract: group.contractNumber };
      return `<tr><th scope="row">${escapeHtml(group.customer || '—')}<br><small><a href="/ops/reports?${escapeHtml(query(groupPeriod))}">${escapeHtml(group.contractNumber || '—')}</a></small></th>${cells(group.figures, groupPeriod)}</tr>`;
    })
    .join('\n');
  const chartData = {
    labels: { weekly: t.weekly, distribution: t.distribution, over: t.over, upTo: t.upTo, week: t.week, bar: t.minutesBar },
    links: { base: `/ops/reports/requests?${query(period)}` },
    weekly: report.weekly,
    distribution: report.distribution,
  };
  const weeks = report.weekly
    .map((w) => `<tr><td><a href="/ops/reports/requests?${escapeHtml(query(period, { figure: `week:${w.week}` }))}">${escapeHtml(w.week)}</a></td><td>${w.met}</td><td>${w.breached}</td><td>${rate(w.metRate)}</td></tr>`)
    .join('');
  const bars = report.distribution
    .map((bar) => {
      const label = bar.upTo === null ? `${t.over} ${report.distribution[report.distribution.length - 2]?.upTo ?? ''}` : `${t.upTo} ${bar.upTo}`;
      return `<tr><td><a href="/ops/reports/requests?${escapeHtml(query(period, { figure: `minutes:${bar.upTo ?? 'over'}` }))}">${escapeHtml(label)}</a></td><td>${bar.count}</td></tr>`;
    })
    .join('');
  const renewalRows = renewals.length
    ? renewals.map((r) => `<tr><td>${escapeHtml(r.contract.number)}</td><td>${escapeHtml(r.contract.customer)}</td><td>${escapeHtml(r.contract.validTo)}</td><td>${r.daysLeft}</td></tr>`).join('')
    : `<tr><td colspan="4">${t.none}</td></tr>`;
  return shell(
    language,
    t.title,
    `<nav><a href="/ops">${t.ops}</a></nav>
<h1>${t.title}</h1>
<form method="get" action="/ops/reports" class="period">
<label>${t.from} <input type="date" name="from" value="${escapeHtml(report.from)}" required></label>
<label>${t.to} <input type="date" name="to" value="${escapeHtml(report.to)}" required></label>
<label>${t.contract} <input name="contract" value="${escapeHtml(report.contract ?? '')}"></label>
<button type="submit">${t.show}</button>
<a href="/ops/reports?${escapeHtml(query(period, { format: 'csv' }))}" data-testid="csv">${t.csv}</a>
<a href="/ops/reports?${escapeHtml(query(period, { format: 'json' }))}">${t.json}</a>
</form>
<p>${t.period}: ${escapeHtml(report.from)} – ${escapeHtml(report.to)} (Europe/Warsaw)</p>
<div class="table-wrap"><table class="figures" data-testid="figures">
<thead><tr><th>${t.customer}</th>${headings.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>${rows}</tbody>
<tfoot><tr><th scope="row">${t.total}</th>${cells(report.total, period)}</tr></tfoot>
</table></div>
<section class="charts">
<figure><figcaption>${t.weekly}</figcaption><div id="weekly-chart" class="chart"></div>
<table class="small"><thead><tr><th>${t.week}</th><th>${t.met}</th><th>${t.breached}</th><th>${t.metRate}</th></tr></thead><tbody>${weeks}</tbody></table></figure>
<figure><figcaption>${t.distribution}</figcaption><div id="distribution-chart" class="chart"></div>
<table class="small"><tbody>${bars}</tbody></table></figure>
</section>
<div id="report-data" hidden data-report="${escapeHtml(JSON.stringify(chartData))}"></div>
<h2>${t.renewals}</h2>
<table class="renewals" data-testid="renewals"><thead><tr><th>${t.contract}</th><th>${t.customer}</th><th>${t.validTo}</th><th>${t.daysLeft}</th></tr></thead><tbody>${renewalRows}</tbody></table>`,
    `<link rel="stylesheet" href="/ops/vendor/uplot/uPlot.min.css"><script defer src="/ops/vendor/uplot/uPlot.iife.min.js"></script><script defer src="/ops/care-assets/reports.js"></script>`,
  );
}

export function requestsPage(period: ReportPeriod, figure: string, requests: readonly RequestFacts[], language: Language): string {
  const t = T[language];
  const rows = requests
    .map(
      (r) =>
        `<tr><td><a href="/ops/requests/${escapeHtml(r.number)}">${escapeHtml(r.number)}</a></td><td>${escapeHtml(formatWarsaw(r.sentAtMs))}</td><td>${escapeHtml(r.customer || '—')}</td><td>${escapeHtml(r.contractNumber || '—')}</td><td>${escapeHtml(r.channel)}</td><td>${escapeHtml(r.status)}</td></tr>`,
    )
    .join('\n');
  return shell(
    language,
    `${t.behind}: ${figure}`,
    `<nav><a href="/ops/reports?${escapeHtml(query(period))}">${t.back}</a></nav>
<h1>${t.behind}: <code>${escapeHtml(figure)}</code></h1>
<p>${escapeHtml(period.from)} – ${escapeHtml(period.to)}${period.contract ? `, ${escapeHtml(period.contract)}` : ''}: ${requests.length}</p>
<table class="behind" data-testid="behind"><thead><tr><th>#</th><th>${t.sent}</th><th>${t.customer}</th><th>${t.contract}</th><th>Channel</th><th>${t.status}</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}
