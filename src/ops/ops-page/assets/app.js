/* global document, window, fetch, EventSource, localStorage, performance, location, history, URLSearchParams, setTimeout, setInterval, clearTimeout */
// The ops page in the browser: the list of open requests with live window-time countdowns,
// kept current by server-sent events, and a request's detail with the engineer actions.
// Every piece of request data is written with textContent (never innerHTML): mail subjects,
// names and speech results come from outside and must stay text. The server's CSP forbids
// inline script and style, so this file and app.css are all the page runs.
'use strict';

const TEXT = {
  pl: {
    title: 'Otwarte zgłoszenia', signOut: 'Wyloguj', queues: 'Kolejki', language: 'English',
    status: 'Status', channel: 'Kanał', contract: 'Umowa', all: 'wszystkie', shown: (n, total) => `${n} z ${total}`,
    live: 'na żywo', reconnecting: 'łączenie…',
    columns: ['Czas na odpowiedź', 'Numer', 'Status', 'Kanał', 'Klient', 'Umowa', 'Urządzenie', 'Temat', 'Zgłaszający', 'Wysłano'],
    paused: (when) => `wstrzymany do ${when}`, late: 'po terminie', left: 'zostało', noClock: '—',
    clocks: { response: 'odpowiedź', delivery: 'dostawa', return: 'zwrot' },
    back: '← lista', summary: 'Zgłoszenie', deadlines: 'Terminy', collected: 'Zebrane dane', attachments: 'Załączniki', historyTitle: 'Historia', actionsTitle: 'Działania',
    note: 'Notatka (opcjonalnie)', addNote: 'Dodaj notatkę wewnętrzną', noAttachments: 'brak', description: 'Opis', subject: 'Temat',
    fields: { customer: 'Klient', contractNumber: 'Umowa', device: 'Urządzenie', serialNumber: 'Numer seryjny (podany)', window: 'Okno', package: 'Pakiet', onsite: 'Dostawa', reporter: 'Zgłaszający', email: 'E-mail', phone: 'Telefon', channel: 'Kanał', kind: 'Rodzaj', sentAt: 'Wysłano', clockStartedAt: 'Zegar od', reason: 'Powód', escalated: 'Eskalacja', response: 'Termin odpowiedzi', firstResponse: 'Pierwsza odpowiedź', delivery: 'Termin dostawy', returnDue: 'Termin zwrotu', location: 'Oryginał', recording: 'Nagranie' },
    yes: 'tak', no: 'nie', met: 'dotrzymana', breached: 'przekroczona',
    actions: { contacted: 'Kontakt nawiązany', 'reporter-confirmed': 'Zgłaszający potwierdzony', verified: 'Zweryfikowane', shipped: 'Wysłano zamiennik', delivered: 'Dostarczono', returned: 'Zwrócono', closed: 'Zamknij' },
    statuses: { 'needs-info': 'brak danych', 'unauthorized-reporter': 'nieuprawniony', 'contract-expired': 'umowa wygasła', accepted: 'przyjęte', contacted: 'kontakt', verified: 'zweryfikowane', shipped: 'wysłane', delivered: 'dostarczone', returned: 'zwrócone', closed: 'zamknięte' },
    channels: { phone: 'telefon', email: 'e-mail', portal: 'portal', schedule: 'przegląd' },
    failed: 'Nie udało się: ',
  },
  en: {
    title: 'Open requests', signOut: 'Sign out', queues: 'Queues', language: 'Polski',
    status: 'Status', channel: 'Channel', contract: 'Contract', all: 'all', shown: (n, total) => `${n} of ${total}`,
    live: 'live', reconnecting: 'reconnecting…',
    columns: ['Time to respond', 'Number', 'Status', 'Channel', 'Customer', 'Contract', 'Device', 'Subject', 'Reporter', 'Sent'],
    paused: (when) => `paused until ${when}`, late: 'late', left: 'left', noClock: '—',
    clocks: { response: 'response', delivery: 'delivery', return: 'return' },
    back: '← list', summary: 'Request', deadlines: 'Deadlines', collected: 'Collected', attachments: 'Attachments', historyTitle: 'History', actionsTitle: 'Actions',
    note: 'Note (optional)', addNote: 'Add internal note', noAttachments: 'none', description: 'Description', subject: 'Subject',
    fields: { customer: 'Customer', contractNumber: 'Contract', device: 'Device', serialNumber: 'Serial (as given)', window: 'Window', package: 'Package', onsite: 'Onsite', reporter: 'Reporter', email: 'E-mail', phone: 'Phone', channel: 'Channel', kind: 'Kind', sentAt: 'Sent', clockStartedAt: 'Clock started', reason: 'Reason', escalated: 'Escalated', response: 'Response deadline', firstResponse: 'First response', delivery: 'Delivery deadline', returnDue: 'Return deadline', location: 'Original', recording: 'Recording' },
    yes: 'yes', no: 'no', met: 'met', breached: 'breached',
    actions: { contacted: 'Contacted', 'reporter-confirmed': 'Reporter confirmed', verified: 'Verified', shipped: 'Shipped', delivered: 'Delivered', returned: 'Returned', closed: 'Close' },
    statuses: { 'needs-info': 'needs info', 'unauthorized-reporter': 'unauthorized reporter', 'contract-expired': 'contract expired', accepted: 'accepted', contacted: 'contacted', verified: 'verified', shipped: 'shipped', delivered: 'delivered', returned: 'returned', closed: 'closed' },
    channels: { phone: 'phone', email: 'e-mail', portal: 'portal', schedule: 'inspection' },
    failed: 'Failed: ',
  },
};

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const engineer = document.querySelector('meta[name="engineer"]').content;
/**
 * The colour levels of a countdown, most urgent first ({ state, belowMs, warning }), made by the
 * server from settings' warning minutes (domain/running-clock.ts urgencyLevels), so that a
 * ticking countdown changes colour at the minutes the warnings go out.
 */
const urgencyLevels = JSON.parse(document.querySelector('meta[name="urgency-levels"]').content);
/** A whole request number (domain/request-number.ts), typed in any case in an address. */
const requestNumberPattern = new RegExp(document.querySelector('meta[name="request-number"]').content, 'i');
let lang = localStorage.getItem('hezo-ops-lang') || document.documentElement.lang || 'pl';
let t = TEXT[lang] || TEXT.pl;
const app = document.getElementById('app');

/** Server time minus browser time: the countdown runs on the server's clock. */
let clockOffsetMs = 0;
const serverNow = () => Date.now() + clockOffsetMs;
const syncClock = (iso) => { clockOffsetMs = Date.parse(iso) - Date.now(); };

// ---------- small DOM helpers (text only) ----------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

// Building an Intl.DateTimeFormat costs far more than using one: 5,000 rows need them cached.
const formatters = new Map();
const formatted = new Map();
function formatWarsaw(iso, withDate) {
  const key = `${lang}|${withDate ? 1 : 0}|${iso}`;
  const known = formatted.get(key);
  if (known !== undefined) return known;
  const formatterKey = `${lang}|${withDate ? 1 : 0}`;
  let formatter = formatters.get(formatterKey);
  if (!formatter) {
    const options = { timeZone: 'Europe/Warsaw', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (withDate) Object.assign(options, { year: 'numeric', month: '2-digit', day: '2-digit' });
    formatter = new Intl.DateTimeFormat(lang === 'pl' ? 'pl-PL' : 'en-GB', options);
    formatters.set(formatterKey, formatter);
  }
  const text = formatter.format(new Date(iso));
  if (formatted.size > 50000) formatted.clear();
  formatted.set(key, text);
  return text;
}

function formatDuration(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h >= 24) return `${Math.floor(h / 24)} d ${h % 24} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/**
 * The countdown at the current server time from what the server sent: a paused clock stands
 * still until `pausedUntil`, a running one ticks until `runsUntil` (17:00 on 8x5), where it
 * stops until the next list refresh brings the next opening.
 */
function liveCountdown(countdown, fetchedAtServerMs) {
  if (!countdown) return null;
  const now = serverNow();
  const paused = countdown.pausedUntil ? Date.parse(countdown.pausedUntil) : null;
  const runsUntil = countdown.runsUntil ? Date.parse(countdown.runsUntil) : Infinity;
  if (paused !== null && now < paused) return { remainingMs: countdown.remainingMs, pausedUntil: countdown.pausedUntil };
  const from = paused !== null ? paused : fetchedAtServerMs;
  return { remainingMs: countdown.remainingMs - (Math.min(now, runsUntil) - from), pausedUntil: null };
}

/** The state of a remaining time, as the server's urgencyOf decides it, on the served levels. */
function stateOf(remainingMs) {
  if (remainingMs === null || remainingMs === undefined) return 'none';
  if (remainingMs <= 0) return 'breached';
  const level = urgencyLevels.find((l) => remainingMs < l.belowMs);
  return level ? level.state : 'ok';
}

function warningOf(state) {
  const level = urgencyLevels.find((l) => l.state === state);
  return level ? level.warning : null;
}

/** Sets a node's state class (and the warning that app.css colours) when the state changed. */
function showState(node, baseClass, state) {
  const cls = `${baseClass} state-${state}`;
  if (node.className === cls) return;
  node.className = cls;
  const warning = warningOf(state);
  if (warning) node.setAttribute('data-warning', warning);
  else node.removeAttribute('data-warning');
}

function countdownText(countdown, live) {
  if (!countdown || !live) return t.noClock;
  const clock = countdown.kind === 'response' ? '' : `${t.clocks[countdown.kind]}: `;
  if (live.remainingMs <= 0) return `${clock}${t.late} ${formatDuration(live.remainingMs)}`;
  if (live.pausedUntil) return `${clock}${t.paused(formatWarsaw(live.pausedUntil))} · ${formatDuration(live.remainingMs)} ${t.left}`;
  return `${clock}${formatDuration(live.remainingMs)} ${t.left}`;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } }, options));
  if (response.status === 401) { location.assign('/ops/sign-in'); throw new Error('signed out'); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.error && body.error.message) || `HTTP ${response.status}`);
  return body;
}

function postJson(path, payload) {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, Accept: 'application/json' }, body: JSON.stringify(payload) });
}

function header() {
  return el('header', {},
    el('h1', {}, el('a', { href: '/ops', text: 'myHEZO ops' })),
    el('span', { class: 'live', id: 'live', text: events && events.readyState === 1 ? `● ${t.live}` : t.reconnecting }),
    el('span', { class: 'spacer' }),
    el('a', { href: '/ops/queues', text: t.queues }),
    el('a', { href: '/ops/reports', id: 'reports-link', text: lang === 'en' ? 'SLA report' : 'Raport SLA' }),
    el('button', { type: 'button', class: 'link', id: 'language', text: t.language, onclick: () => {
      lang = lang === 'pl' ? 'en' : 'pl'; t = TEXT[lang]; localStorage.setItem('hezo-ops-lang', lang); document.documentElement.lang = lang; route();
    } }),
    el('span', { text: engineer }),
    el('form', { method: 'post', action: '/ops/sign-out' },
      el('input', { type: 'hidden', name: '_csrf', value: csrf }),
      el('button', { type: 'submit', class: 'link', text: t.signOut })));
}

// ---------- live updates ----------
let events;
const changeHandlers = new Set();
function connectEvents() {
  if (events) return;
  events = new EventSource('/ops/api/events');
  events.addEventListener('open', () => { const live = document.getElementById('live'); if (live) live.textContent = `● ${t.live}`; });
  events.addEventListener('error', () => { const live = document.getElementById('live'); if (live) live.textContent = t.reconnecting; });
  events.addEventListener('change', (event) => { for (const handler of changeHandlers) handler(event.data); });
}

// ---------- the list ----------
const list = { rows: [], fetchedAt: 0, filters: { status: '', channel: '', contract: '' }, tbody: null, summary: null, cells: new Map(), timer: 0 };

function dueKey(row) { return row.countdown ? Date.parse(row.countdown.dueAt) : Number.MAX_SAFE_INTEGER; }
function sortRows() { list.rows.sort((a, b) => dueKey(a) - dueKey(b) || (a.number < b.number ? -1 : 1)); }

async function loadList() {
  const body = await api('/ops/api/requests');
  syncClock(body.now);
  list.fetchedAt = Date.parse(body.now);
  list.rows = body.requests;
  for (const row of list.rows) row.base = list.fetchedAt;
  renderRows();
}

function matches(row) {
  const f = list.filters;
  return (!f.status || row.status === f.status) && (!f.channel || row.channel === f.channel) &&
    (!f.contract || (row.contractNumber || '').toUpperCase().includes(f.contract.toUpperCase()));
}

function renderList() {
  const params = new URLSearchParams(location.search);
  for (const key of ['status', 'channel', 'contract']) list.filters[key] = params.get(key) || '';
  const select = (name, values, labels) => el('select', { name, onchange: (e) => setFilter(name, e.target.value) },
    el('option', { value: '', text: t.all }),
    ...values.map((v) => { const o = el('option', { value: v, text: labels[v] || v }); if (list.filters[name] === v) o.selected = true; return o; }));
  list.summary = el('span', { class: 'summary', id: 'summary' });
  list.tbody = el('div', { id: 'requests', role: 'rowgroup' });
  app.replaceChildren(
    header(),
    el('div', { class: 'filters' },
      el('strong', { text: t.title }),
      el('label', {}, t.status, select('status', Object.keys(t.statuses).filter((s) => s !== 'closed'), t.statuses)),
      el('label', {}, t.channel, select('channel', Object.keys(t.channels), t.channels)),
      el('label', {}, t.contract, el('input', { name: 'contract', value: list.filters.contract, size: 16, oninput: (e) => setFilter('contract', e.target.value.trim()) })),
      list.summary),
    el('div', { class: 'requests', role: 'table' },
      el('div', { class: 'row head', role: 'row' }, ...t.columns.map((c) => el('div', { role: 'columnheader', text: c }))), list.tbody));
  renderRows();
}

function setFilter(name, value) {
  list.filters[name] = value;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(list.filters)) if (v) params.set(k, v);
  history.replaceState(null, '', `/ops${params.toString() ? `?${params}` : ''}`);
  renderRows();
}

/**
 * The first screenful (most urgent first) is painted before the rest is built; the rest then
 * goes in at once. Rows are grid rows with `content-visibility: auto` (app.css), so rows off
 * screen cost no layout or paint — a 5,000-row <table> took seconds to lay out.
 */
const FIRST_CHUNK = 100;
const CHUNK = 10000;
let renderGeneration = 0;
function renderRows() {
  if (!list.tbody) return;
  const generation = ++renderGeneration;
  list.cells.clear();
  const shown = list.rows.filter(matches);
  list.tbody.replaceChildren();
  list.summary.textContent = t.shown(shown.length, list.rows.length);
  const append = (from, to) => {
    const fragment = document.createDocumentFragment();
    for (const row of shown.slice(from, to)) fragment.append(rowElement(row));
    list.tbody.append(fragment);
  };
  append(0, FIRST_CHUNK);
  tick();
  const loaded = list.fetchedAt > 0;
  if (loaded) afterPaint(() => markOnce('ops-list-shown'));
  let next = FIRST_CHUNK;
  const more = () => {
    if (generation !== renderGeneration) return;
    if (next >= shown.length) {
      if (loaded) afterPaint(() => markOnce('ops-list-complete'));
      return;
    }
    append(next, next + CHUNK);
    next += CHUNK;
    tick();
    setTimeout(more, 0);
  };
  afterPaint(more);
}

function rowElement(row) {
  const countdownCell = el('div', { class: 'countdown', role: 'cell' });
  const tr = el('div', { 'data-number': row.number, role: 'row', class: `row state-${row.state}`, 'data-warning': warningOf(row.state) },
    countdownCell,
    el('div', { role: 'cell' }, el('a', { href: `/ops/requests/${row.number}`, text: row.number }), row.escalated ? el('span', { class: 'badge escalated', text: '!' }) : null),
    el('div', { role: 'cell', text: t.statuses[row.status] || row.status }),
    el('div', { role: 'cell', text: t.channels[row.channel] || row.channel }),
    el('div', { role: 'cell', title: row.customer, text: row.customer || '' }),
    el('div', { role: 'cell', text: row.contractNumber || '' }),
    el('div', { role: 'cell', title: row.device, text: row.device || '' }),
    el('div', { role: 'cell', class: 'subject', title: row.subject, text: row.subject || '' }),
    el('div', { role: 'cell', text: row.reporter || '' }),
    el('div', { role: 'cell', text: formatWarsaw(row.sentAt) }));
  list.cells.set(row.number, { tr, cell: countdownCell, row });
  return tr;
}

/** Runs `work` once the frame being prepared has been painted. */
function afterPaint(work) { window.requestAnimationFrame(() => setTimeout(work, 0)); }
/** Performance marks for the benchmark (and for anyone profiling the page): set once per load. */
function markOnce(name) { if (performance.getEntriesByName(name).length === 0) performance.mark(name); }

/** Runs every second: only countdown texts and row colours change. */
function tick() {
  for (const { tr, cell, row } of list.cells.values()) {
    const live = liveCountdown(row.countdown, row.base);
    const text = countdownText(row.countdown, live);
    if (cell.textContent !== text) cell.textContent = text;
    showState(tr, 'row', stateOf(live ? live.remainingMs : null));
  }
}

let pending = new Set();
let flushTimer = 0;
/** Changes arrive in bursts (a backlog after an outage): fetch them together, or the whole list. */
function onListChange(number) {
  pending.add(number);
  clearTimeout(flushTimer);
  flushTimer = setTimeout(flushChanges, 100);
}
async function flushChanges() {
  const numbers = [...pending];
  pending = new Set();
  if (numbers.length > 50) return loadList();
  for (const number of numbers) {
    try {
      const body = await api(`/ops/api/requests/${encodeURIComponent(number)}`);
      list.rows = list.rows.filter((row) => row.number !== number);
      if (body.request.status !== 'closed') {
        // Each row ticks from the instant its countdown was computed.
        body.row.base = Date.parse(body.now);
        list.rows.push(body.row);
      }
    } catch { /* a vanished request simply stays out of the list */ }
  }
  sortRows();
  renderRows();
}

// ---------- the detail ----------
const detail = { number: '', body: null, fetchedAt: 0, stateNode: null, countdownNode: null };

async function loadDetail() {
  const body = await api(`/ops/api/requests/${encodeURIComponent(detail.number)}`);
  syncClock(body.now);
  detail.fetchedAt = Date.parse(body.now);
  detail.body = body;
  renderDetail();
}

function field(label, value) {
  if (value === undefined || value === null || value === '') return [];
  return [el('dt', { text: label }), el('dd', { text: String(value) })];
}

function renderDetail() {
  const { request, actions, history: events } = detail.body;
  const f = t.fields;
  const message = el('p', { class: 'message', id: 'action-message', hidden: true });
  const note = el('input', { name: 'note', placeholder: t.note, size: 40 });
  const act = async (action) => {
    try { await postJson(`/ops/api/requests/${request.number}/actions/${action}`, note.value ? { note: note.value } : {}); await loadDetail(); }
    catch (error) { message.hidden = false; message.textContent = t.failed + error.message; }
  };
  const addNote = async () => {
    if (!note.value) return;
    try { await postJson(`/ops/api/requests/${request.number}/notes`, { text: note.value }); await loadDetail(); }
    catch (error) { message.hidden = false; message.textContent = t.failed + error.message; }
  };
  detail.countdownNode = el('span', { class: 'state-label', id: 'countdown' });
  const payload = (request.raw && request.raw.payload) || {};
  const recording = typeof payload.recordingUrl === 'string' && /^https:\/\//.test(payload.recordingUrl) ? payload.recordingUrl : null;
  app.replaceChildren(header(), el('main', { class: 'detail' },
    el('p', {}, el('a', { href: '/ops', text: t.back })),
    // An inspection's due date and checklist live on their own page (src/inspections/inspection-pages.ts).
    request.inspection ? el('p', { class: 'inspection-link' }, el('a', { href: `/ops/requests/${request.number}/inspection`, 'data-testid': 'inspection-link', text: `${document.documentElement.lang === 'en' ? 'Yearly inspection — due' : 'Przegląd roczny — termin'} ${request.inspection.dueDate} →` })) : null,
    el('h2', {}, `${request.number} · ${t.statuses[request.status] || request.status} `, detail.countdownNode),
    message,
    el('section', {}, el('h2', { text: t.actionsTitle }),
      el('div', { class: 'actions' }, note,
        ...actions.map((action) => el('button', { type: 'button', 'data-action': action, text: t.actions[action] || action, onclick: () => act(action) })),
        el('button', { type: 'button', 'data-action': 'note', text: t.addNote, onclick: addNote }))),
    el('section', {}, el('h2', { text: t.summary }), el('dl', {},
      ...field(f.customer, request.customer), ...field(f.contractNumber, request.contractNumber),
      ...field(f.device, request.device ? `${request.device.model} ${request.device.serial}` : null), ...field(f.serialNumber, request.serialNumber),
      ...field(f.window, request.window), ...field(f.package, request.package), ...field(f.onsite, request.onsite),
      ...field(f.reporter, request.reporter.name), ...field(f.email, request.reporter.email), ...field(f.phone, request.reporter.phone),
      ...field(f.channel, t.channels[request.channel]), ...field(f.kind, request.kind), ...field(f.escalated, request.escalated ? t.yes : null),
      ...field(f.sentAt, formatWarsaw(request.sentAt, true)), ...field(f.clockStartedAt, request.clockStartedAt ? formatWarsaw(request.clockStartedAt, true) : null),
      ...field(f.reason, request.reason), ...field(t.subject, request.subject)),
      request.description ? el('div', {}, el('h2', { text: t.description }), el('pre', { class: 'description', text: request.description })) : null),
    el('section', {}, el('h2', { text: t.deadlines }), el('dl', {},
      ...field(f.response, request.responseDeadline ? `${formatWarsaw(request.responseDeadline.at, true)} — ${request.responseDeadline.trace}` : null),
      ...field(f.firstResponse, request.firstResponse ? `${formatWarsaw(request.firstResponse.at, true)} · ${request.firstResponse.by} · ${request.firstResponse.met ? t.met : t.breached}` : null),
      ...field(f.delivery, request.deliveryDeadline ? `${formatWarsaw(request.deliveryDeadline.at, true)} — ${request.deliveryDeadline.trace}` : null),
      ...field(f.returnDue, request.returnDeadline ? `${formatWarsaw(request.returnDeadline.at, true)} — ${request.returnDeadline.trace}` : null))),
    el('section', {}, el('h2', { text: t.collected }),
      Object.keys(payload).length === 0 && !(request.raw && request.raw.location) ? el('p', { text: t.noAttachments }) : null,
      el('dl', {}, ...field(f.location, request.raw && request.raw.location),
        ...Object.entries(payload).flatMap(([key, value]) => field(key, typeof value === 'string' ? value : JSON.stringify(value, null, 2)))),
      recording ? el('p', {}, el('a', { href: recording, rel: 'noopener noreferrer', target: '_blank', text: f.recording })) : null),
    el('section', {}, el('h2', { text: t.attachments }),
      request.attachments.length === 0 ? el('p', { text: t.noAttachments }) :
        el('ul', {}, ...request.attachments.map((a, i) => el('li', {},
          el('a', { href: `/ops/requests/${request.number}/attachments/${i}`, download: a.name, text: a.name }),
          ` (${a.type}, ${a.size} B, sha256 ${a.sha256.slice(0, 12)}…)`)))),
    el('section', {}, el('h2', { text: t.historyTitle }),
      el('ol', { class: 'history' }, ...events.map((e) => el('li', { 'data-type': e.type },
        el('strong', { text: `${formatWarsaw(e.at, true)} · ${e.type}` }), ` · ${e.actor}${e.internal ? ' · internal' : ''}`,
        historyData(e)))))));
  tickDetail();
}

/** What an event says, by its type (src/domain/history.ts); data of other types as it is. */
function historyData(event) {
  const f = t.fields;
  if (event.type === 'clock-started') {
    // When the clock started is not when the event was written (`at`): after a backlog it is earlier.
    const { clockStartedAt, responseDeadline } = event.data;
    return el('dl', { class: 'clock' },
      ...field(f.clockStartedAt, formatWarsaw(clockStartedAt, true)),
      ...field(f.response, `${formatWarsaw(responseDeadline.at, true)} — ${responseDeadline.trace}`));
  }
  return event.data ? el('pre', { text: JSON.stringify(event.data, null, 2) }) : null;
}

function tickDetail() {
  if (!detail.countdownNode || !detail.body) return;
  const live = liveCountdown(detail.body.countdown, detail.fetchedAt);
  detail.countdownNode.textContent = countdownText(detail.body.countdown, live);
  showState(detail.countdownNode, 'state-label', stateOf(live ? live.remainingMs : null));
}

// ---------- routing ----------
function route() {
  changeHandlers.clear();
  const match = /^\/ops\/requests\/([^/]+)$/.exec(location.pathname);
  if (match && requestNumberPattern.test(match[1])) {
    detail.number = match[1].toUpperCase();
    changeHandlers.add((number) => { if (number === detail.number) loadDetail(); });
    loadDetail().catch((error) => app.replaceChildren(header(), el('p', { class: 'message', text: t.failed + error.message })));
  } else {
    renderList();
    changeHandlers.add(onListChange);
    loadList().catch((error) => app.replaceChildren(header(), el('p', { class: 'message', text: t.failed + error.message })));
  }
  connectEvents();
}

document.documentElement.lang = lang;
route();
setInterval(() => { tick(); tickDetail(); }, 1000);
// Clocks that reached 17:00 or a new opening need the server's calendar again.
setInterval(() => { if (list.tbody && document.body.contains(list.tbody)) loadList().catch(() => {}); }, 60000);
window.addEventListener('pageshow', () => connectEvents());
