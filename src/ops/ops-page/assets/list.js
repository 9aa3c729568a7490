/* global AudioContext, URLSearchParams, clearTimeout, document, history, localStorage, location, setTimeout, window */
// The list: one search box, the engineer's views, sort by any column, keyset pages with a
// visible "more", live countdowns, the waiting-for-data group first, and the keys j/k, Enter,
// t, c and /. The server filters, sorts and pages (list-view.ts); the page keeps what it loaded
// and reloads those rows when the change feed says something moved.
'use strict';
import {
  afterPaint, api, clockText, el, formatWarsaw, header, liveCountdown, markOnce, page, postJson, showState, stateOf, syncClock, typing, ui, URLS, warningOf,
} from './common.js';

const COLUMNS = ['due', 'number', 'status', 'owner', 'channel', 'customer', 'contract', 'device', 'subject', 'reporter', 'sentAt'];
/** The list API's sort key of each column (search/list-query.ts). */
const SORT_OF = { due: 'urgency', number: 'number', status: 'status', owner: 'owner', channel: 'channel', customer: 'customer', contract: 'contract', device: 'model', subject: 'subject', reporter: 'reporter', sentAt: 'sent' };
/** The engineer's views; "closed" is a status, the others are the API's `view`. */
const VIEWS = ['', 'waiting', 'breached', 'due-soon', 'escalated', 'mine', 'unowned', 'closed'];
const PAGE_SIZE = 500;
/** Rows per page: 500, or the address's `limit` (up to the server's maximum) for a longer page. */
const pageSize = () => Math.min(Math.max(Number(new URLSearchParams(location.search).get('limit')) || PAGE_SIZE, 1), 10000);

export const list = {
  rows: [], total: 0, nextCursor: null, fetchedAt: 0,
  query: { view: '', q: '', status: '', channel: '', contract: '', sort: 'due', dir: 'asc' },
  body: null, summary: null, moreButton: null, cells: new Map(), selected: -1,
  /** Numbers seen since the page opened, and the new ones the engineer has not looked at. */
  seen: new Set(), unseen: new Set(), openedAt: 0,
};

/** The name of an engineer login (settings ops.engineers), or the login itself. */
export function engineerName(login) {
  return (login && page.engineers[login]) || login || '';
}

function queryString(cursor, limit) {
  const q = list.query;
  const params = new URLSearchParams();
  if (q.view === 'closed') params.set('status', 'closed');
  else if (q.view) params.set('view', q.view);
  for (const key of ['q', 'status', 'channel', 'contract']) if (q[key]) params.set(key, q[key]);
  // Without a view or status: the open requests; a search looks through closed ones too.
  if (!params.has('status')) params.set('status', q.q && !q.view ? 'all' : 'open');
  params.set('sort', SORT_OF[q.sort]);
  params.set('order', q.dir);
  if (cursor) params.set('cursor', cursor);
  params.set('limit', String(limit));
  return params.toString();
}

/** Loads the first page again, as many rows as were shown (a change must not shorten the list). */
export async function loadList() {
  const limit = Math.max(pageSize(), list.rows.length);
  const body = await api(`${URLS.list}?${queryString(null, limit)}`);
  syncClock(body.now);
  list.fetchedAt = Date.parse(body.now);
  for (const row of body.rows) row.base = list.fetchedAt;
  noticeNew(body.rows);
  list.rows = body.rows;
  list.total = body.total;
  list.nextCursor = body.nextCursor;
  renderRows();
}

async function loadMore() {
  if (!list.nextCursor) return;
  const body = await api(`${URLS.list}?${queryString(list.nextCursor, pageSize())}`);
  syncClock(body.now);
  for (const row of body.rows) row.base = Date.parse(body.now);
  noticeNew(body.rows);
  list.rows = list.rows.concat(body.rows);
  list.total = body.total;
  list.nextCursor = body.nextCursor;
  renderRows();
}

// ---------- new requests: the tab title and an optional sound ----------
function noticeNew(rows) {
  let fresh = 0;
  for (const row of rows) {
    if (list.seen.has(row.number)) continue;
    list.seen.add(row.number);
    if (list.openedAt && Date.parse(row.stampedAt) >= list.openedAt && row.status !== 'closed') {
      list.unseen.add(row.number);
      fresh += 1;
    }
  }
  if (fresh > 0 && soundOn()) beep();
  showTitle();
}

export function showTitle() {
  const count = list.unseen.size;
  document.title = `${count > 0 ? ui.t.newCount(count) : ''}myHEZO ops`;
}

/** Looking at the list (a visible tab) counts as having seen what is in it. */
export function markSeen() {
  if (document.visibilityState === 'visible' && document.hasFocus()) {
    list.unseen.clear();
    showTitle();
  }
}

export const soundOn = () => localStorage.getItem('hezo-ops-sound') === 'on';
let audio;
/** A short tone made in the page (no sound file to fetch; the CSP allows none). */
function beep() {
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.1;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.2);
    window.hezoBeeps = (window.hezoBeeps || 0) + 1;
  } catch { /* no audio device: the title still counts */ }
}

// ---------- the view ----------
export function readQuery() {
  const params = new URLSearchParams(location.search);
  const q = list.query;
  q.view = params.get('filter') || (params.get('status') === 'closed' ? 'closed' : '');
  q.q = params.get('q') || '';
  q.status = params.get('status') === 'closed' ? '' : params.get('status') || '';
  q.channel = params.get('channel') || '';
  q.contract = params.get('contract') || '';
  q.sort = COLUMNS.includes(params.get('sort')) ? params.get('sort') : 'due';
  q.dir = params.get('dir') === 'desc' ? 'desc' : 'asc';
}

function writeQuery() {
  const q = list.query;
  const params = new URLSearchParams();
  if (q.view) params.set('filter', q.view);
  for (const key of ['q', 'status', 'channel', 'contract']) if (q[key]) params.set(key, q[key]);
  if (q.sort !== 'due') params.set('sort', q.sort);
  if (q.dir !== 'asc') params.set('dir', q.dir);
  const limit = new URLSearchParams(location.search).get('limit');
  if (limit) params.set('limit', limit);
  history.replaceState(null, '', `/ops${params.toString() ? `?${params}` : ''}`);
}

let searchTimer = 0;
function setQuery(changes, debounceMs) {
  Object.assign(list.query, changes);
  writeQuery();
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    // Another view starts at its first page, with nothing selected.
    list.rows = [];
    list.selected = -1;
    loadList().catch(showFailure);
    renderHeads();
    renderViews();
  }, debounceMs || 0);
}

function showFailure(error) {
  if (list.summary) list.summary.textContent = ui.t.failed + error.message;
}

let heads;
let views;
function renderHeads() {
  if (!heads) return;
  const t = ui.t;
  heads.replaceChildren(...COLUMNS.map((column) => {
    const active = list.query.sort === column;
    return el('div', { role: 'columnheader', class: `col-${column}`, 'aria-sort': active ? (list.query.dir === 'asc' ? 'ascending' : 'descending') : 'none' },
      el('button', { type: 'button', class: 'sort', 'data-sort': column, title: t.columns[column], onclick: () => setQuery({ sort: column, dir: active && list.query.dir === 'asc' ? 'desc' : 'asc' }) },
        t.columns[column], active ? (list.query.dir === 'asc' ? ' ▲' : ' ▼') : ''));
  }));
}

function renderViews() {
  if (!views) return;
  views.replaceChildren(...VIEWS.map((view) => el('button', {
    type: 'button', class: `view${list.query.view === view ? ' active' : ''}`, 'data-view': view || 'open', 'aria-pressed': list.query.view === view ? 'true' : 'false',
    text: ui.t.views[view], onclick: () => setQuery({ view }),
  })));
}

export function renderList() {
  const t = ui.t;
  readQuery();
  const select = (name, values, labels) => el('select', { name, onchange: (e) => setQuery({ [name]: e.target.value }) },
    el('option', { value: '', text: t.all }),
    ...values.map((v) => { const o = el('option', { value: v, text: labels[v] || v }); if (list.query[name] === v) o.selected = true; return o; }));
  const sound = el('input', { type: 'checkbox', id: 'sound', onchange: (e) => localStorage.setItem('hezo-ops-sound', e.target.checked ? 'on' : 'off') });
  sound.checked = soundOn();
  list.summary = el('span', { class: 'summary', id: 'summary' });
  list.body = el('div', { id: 'requests', role: 'rowgroup' });
  list.moreButton = el('button', { type: 'button', id: 'more', class: 'more', hidden: true, onclick: () => loadMore().catch(showFailure) });
  heads = el('div', { class: 'row head', role: 'row' });
  views = el('div', { class: 'views', role: 'group' });
  renderHeads();
  renderViews();
  document.getElementById('app').replaceChildren(
    header(),
    el('div', { class: 'filters' },
      el('h2', { text: t.title }),
      el('label', { class: 'search' }, el('span', { class: 'visually-hidden', text: t.searchLabel }),
        el('input', { type: 'search', name: 'q', id: 'search', value: list.query.q, placeholder: t.search, autocomplete: 'off', oninput: (e) => setQuery({ q: e.target.value.trim() }, 250) })),
      views,
      el('label', {}, t.status, select('status', Object.keys(t.statuses).filter((s) => s !== 'closed'), t.statuses)),
      el('label', {}, t.channel, select('channel', Object.keys(t.channels), t.channels)),
      el('label', {}, t.contract, el('input', { name: 'contract', value: list.query.contract, size: 14, oninput: (e) => setQuery({ contract: e.target.value.trim() }, 250) })),
      el('label', { class: 'sound' }, sound, t.sound),
      list.summary),
    el('div', { class: 'requests', role: 'table' }, heads, list.body),
    el('p', { class: 'pager' }, list.moreButton),
    el('p', { class: 'keys-help', text: t.keysHelp }));
  renderRows();
}

/**
 * The first screenful (most urgent first) is painted before the rest is built; the rest then
 * goes in at once. Rows are grid rows with `content-visibility: auto` (app.css), so rows off
 * screen cost no layout or paint — a 5,000-row <table> took seconds to lay out.
 */
const FIRST_CHUNK = 100;
let renderGeneration = 0;
export function renderRows() {
  if (!list.body) return;
  const generation = ++renderGeneration;
  const t = ui.t;
  list.cells.clear();
  list.body.replaceChildren();
  const loaded = list.fetchedAt > 0;
  list.summary.textContent = loaded ? t.shown(list.rows.length, list.total) : '';
  list.moreButton.hidden = !list.nextCursor;
  list.moreButton.textContent = t.more(Math.max(0, list.total - list.rows.length));
  if (loaded && list.rows.length === 0) list.body.append(el('p', { class: 'empty', text: t.none }));
  const rows = list.rows;
  const grouped = list.query.sort === 'due';
  const several = rows.some((r) => r.group !== (rows[0] && rows[0].group));
  let group = null;
  const append = (from, to) => {
    const fragment = document.createDocumentFragment();
    for (let i = from; i < Math.min(to, rows.length); i += 1) {
      const row = rows[i];
      // Group headings in the most-urgent order (waiting, running clocks, open without a clock,
      // closed), and only when more than one group is on the page: they separate, not label.
      const rowGroup = row.group;
      if (grouped && rowGroup !== group && several) {
        fragment.append(el('div', { class: `group group-${rowGroup}`, role: 'row' }, el('div', { role: 'cell', text: t.groups[rowGroup] || rowGroup })));
      }
      group = rowGroup;
      fragment.append(rowElement(row, i));
    }
    list.body.append(fragment);
  };
  append(0, FIRST_CHUNK);
  tick();
  if (loaded) afterPaint(() => markOnce('ops-list-shown'));
  afterPaint(() => {
    if (generation !== renderGeneration) return;
    append(FIRST_CHUNK, rows.length);
    tick();
    select(list.selected, false);
    if (loaded) afterPaint(() => markOnce('ops-list-complete'));
  });
}

/** One row; every cell but the clock, number and status may truncate, its full text on hover. */
function rowElement(row, index) {
  const t = ui.t;
  const clockCell = el('div', { class: 'countdown col-due', role: 'cell', 'data-label': t.columns.due });
  const cell = (column, text, extra) => el('div', Object.assign({ role: 'cell', class: `col-${column}`, 'data-label': t.columns[column], title: text || null, text: text || '' }, extra || {}));
  const owner = engineerName(row.owner);
  const tr = el('div', { 'data-number': row.number, 'data-index': index, role: 'row', class: `row state-${row.state}`, 'data-warning': warningOf(row.state), 'data-waiting': row.waiting ? 'true' : null },
    clockCell,
    el('div', { role: 'cell', class: 'col-number', 'data-label': t.columns.number },
      el('a', { href: `/ops/requests/${row.number}`, text: row.number }),
      row.escalated ? el('span', { class: 'badge escalated', title: t.fields.escalated, text: '!' }) : null),
    el('div', { role: 'cell', class: 'col-status', 'data-label': t.columns.status, text: t.statuses[row.status] || row.status }),
    cell('owner', owner, owner ? {} : { class: 'col-owner empty-value' }),
    cell('channel', t.channels[row.channel] || row.channel),
    cell('customer', row.customer),
    cell('contract', row.contractNumber),
    cell('device', row.device),
    cell('subject', row.subject, { class: 'col-subject subject' }),
    cell('reporter', row.reporter),
    cell('sentAt', formatWarsaw(row.sentAt)));
  list.cells.set(row.number, { tr, cell: clockCell, row });
  return tr;
}

/** Runs every second: only clock texts and row colours change. */
export function tick() {
  for (const { tr, cell, row } of list.cells.values()) {
    const text = clockText(row, row.base);
    if (cell.textContent !== text) { cell.textContent = text; cell.title = text; }
    if (row.waiting) continue;
    const running = liveCountdown(row.countdown, row.base);
    const state = stateOf(running ? running.remainingMs : null);
    showState(tr, 'row', state);
    if (tr.dataset.index === String(list.selected)) tr.classList.add('selected');
  }
}

let pending = new Set();
let flushTimer = 0;
/** Changes arrive in bursts (a backlog after an outage): one reload of the shown rows for each burst. */
export function onListChange(number) {
  pending.add(number);
  clearTimeout(flushTimer);
  flushTimer = setTimeout(() => { pending = new Set(); loadList().catch(showFailure); }, 150);
}

// ---------- keys ----------
function rowNode(index) { return list.body && list.body.querySelector(`[data-index="${index}"]`); }

function select(index, scroll) {
  if (!list.body) return;
  const previous = list.body.querySelector('.row.selected');
  if (previous) previous.classList.remove('selected');
  if (index < 0 || index >= list.rows.length) return;
  list.selected = index;
  const node = rowNode(index);
  if (!node) return;
  node.classList.add('selected');
  node.setAttribute('aria-selected', 'true');
  if (scroll) node.scrollIntoView({ block: 'nearest' });
}

/** j/k move, Enter opens, t takes, c opens the contact form, / searches. */
export function listKeys(event) {
  if (event.key === '/' && !typing(event)) {
    event.preventDefault();
    document.getElementById('search').focus();
    return;
  }
  if (typing(event) || event.altKey || event.ctrlKey || event.metaKey) return;
  const row = list.rows[list.selected];
  if (event.key === 'j') select(Math.min(list.selected + 1, list.rows.length - 1), true);
  else if (event.key === 'k') select(Math.max(list.selected - 1, 0), true);
  else if (event.key === 'Enter' && row) location.assign(`/ops/requests/${row.number}`);
  else if (event.key === 'c' && row) location.assign(`/ops/requests/${row.number}#contact`);
  else if (event.key === 't' && row) {
    postJson(URLS.verb(row.number, 'take'), {}).then(() => loadList()).catch(showFailure);
  }
}
