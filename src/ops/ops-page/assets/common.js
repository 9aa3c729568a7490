/* global EventSource, document, fetch, localStorage, location, performance, setTimeout, window */
// What the list and the detail share: the page's settings (read from the shell's meta tags
// by app.js), the language, text-only DOM building, Warsaw times, countdowns, the JSON calls
// and the header. Request data is only ever written with textContent, never as HTML.
'use strict';
import { TEXT } from './text.js';

/** Filled once by app.js from the page shell's meta tags. */
export const page = { csrf: '', engineer: '', login: '', urgencyLevels: [], requestNumberPattern: /$^/ };

export const ui = { lang: 'pl', t: TEXT.pl, rerender: () => {} };
export function setLanguage(lang) {
  ui.lang = TEXT[lang] ? lang : 'pl';
  ui.t = TEXT[ui.lang];
  document.documentElement.lang = ui.lang;
}

/** Server time minus browser time: countdowns and waited times run on the server's clock. */
let clockOffsetMs = 0;
export const serverNow = () => Date.now() + clockOffsetMs;
export const syncClock = (iso) => { clockOffsetMs = Date.parse(iso) - Date.now(); };

// ---------- small DOM helpers (text only) ----------
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

// Building an Intl.DateTimeFormat costs far more than using one: 5,000 rows need them cached.
const formatters = new Map();
const formatted = new Map();
/** An instant in Warsaw local time (never UTC, never a "Z"), with the date when asked. */
export function formatWarsaw(iso, withDate) {
  const key = `${ui.lang}|${withDate ? 1 : 0}|${iso}`;
  const known = formatted.get(key);
  if (known !== undefined) return known;
  const formatterKey = `${ui.lang}|${withDate ? 1 : 0}`;
  let formatter = formatters.get(formatterKey);
  if (!formatter) {
    const options = { timeZone: 'Europe/Warsaw', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
    if (withDate) Object.assign(options, { year: 'numeric', month: '2-digit', day: '2-digit' });
    formatter = new Intl.DateTimeFormat(ui.lang === 'pl' ? 'pl-PL' : 'en-GB', options);
    formatters.set(formatterKey, formatter);
  }
  const text = formatter.format(new Date(iso));
  if (formatted.size > 50000) formatted.clear();
  formatted.set(key, text);
  return text;
}

/** `2026-11-20T17:30` in Warsaw time, for <input type="datetime-local">. */
export function warsawInputValue(ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Warsaw', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** A Warsaw wall-clock time typed in the page as an instant (the offset found for that moment). */
export function warsawInputToIso(value) {
  const asUtc = Date.parse(`${value}:00Z`);
  if (Number.isNaN(asUtc)) return null;
  // Warsaw is UTC+1 or +2: try both and keep the one that reads back as typed.
  for (const hours of [1, 2]) {
    const candidate = asUtc - hours * 3600000;
    if (warsawInputValue(candidate) === value) return new Date(candidate).toISOString();
  }
  return new Date(asUtc - 3600000).toISOString();
}

/** A countdown's length: `45:10`, `1 h 05 min`, `2 d 3 h`. */
export function formatDuration(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h >= 24) return `${Math.floor(h / 24)} d ${h % 24} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** How long something has waited, in words: `1 h 20 min`, `35 min`, `2 d 4 h`. */
export function formatWaited(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  const h = Math.floor(minutes / 60);
  if (h >= 24) return `${Math.floor(h / 24)} d ${h % 24} h`;
  if (h > 0) return `${h} h ${minutes % 60} min`;
  return `${minutes} min`;
}

/**
 * The countdown at the current server time from what the server sent: a paused clock stands
 * still until `pausedUntil`, a running one ticks until `runsUntil` (17:00 on 8x5), where it
 * stops until the next list refresh brings the next opening.
 */
export function liveCountdown(countdown, fetchedAtServerMs) {
  if (!countdown) return null;
  const now = serverNow();
  const paused = countdown.pausedUntil ? Date.parse(countdown.pausedUntil) : null;
  const runsUntil = countdown.runsUntil ? Date.parse(countdown.runsUntil) : Infinity;
  if (paused !== null && now < paused) return { remainingMs: countdown.remainingMs, pausedUntil: countdown.pausedUntil };
  const from = paused !== null ? paused : fetchedAtServerMs;
  return { remainingMs: countdown.remainingMs - (Math.min(now, runsUntil) - from), pausedUntil: null };
}

/** The state of a remaining time, as the server's urgencyOf decides it, on the served levels. */
export function stateOf(remainingMs) {
  if (remainingMs === null || remainingMs === undefined) return 'none';
  if (remainingMs <= 0) return 'breached';
  const level = page.urgencyLevels.find((l) => remainingMs < l.belowMs);
  return level ? level.state : 'ok';
}

export function warningOf(state) {
  const level = page.urgencyLevels.find((l) => l.state === state);
  return level ? level.warning : null;
}

/** Sets a node's state class (and the warning that app.css colours) when the state changed. */
export function showState(node, baseClass, state) {
  const cls = `${baseClass} state-${state}`;
  if (node.className === cls) return;
  node.className = cls;
  const warning = warningOf(state);
  if (warning) node.setAttribute('data-warning', warning);
  else node.removeAttribute('data-warning');
}

export function countdownText(countdown, live) {
  const t = ui.t;
  if (!countdown || !live) return t.noClock;
  const clock = countdown.kind === 'response' ? '' : `${t.clocks[countdown.kind]}: `;
  if (live.remainingMs <= 0) return `${clock}${t.late} ${formatDuration(live.remainingMs)}`;
  if (live.pausedUntil) return `${clock}${t.paused(formatWarsaw(live.pausedUntil))} · ${formatDuration(live.remainingMs)} ${t.left}`;
  return `${clock}${formatDuration(live.remainingMs)} ${t.left}`;
}

/** The first column of a row or the detail's heading: a countdown, or how long it has waited. */
export function clockText(row, base) {
  if (row.waiting) {
    const waited = formatWaited(serverNow() - Date.parse(row.sentAt));
    if (row.status === 'unauthorized-reporter') return ui.t.waitedConfirm(waited);
    return row.status === 'contract-expired' ? ui.t.waitedRenewal(waited) : ui.t.waited(waited);
  }
  return countdownText(row.countdown, liveCountdown(row.countdown, base));
}

/**
 * A refusal in the page's language: the server's messages are English (they serve the API and
 * the logs too), so the page says what its error code means; the server's words stay in the
 * message's title.
 */
export function refusalText(error) {
  const say = error && error.code && ui.t.errors[error.code];
  return say ? say(error.details || [], (login) => (page.engineers && page.engineers[login]) || login) : error.message;
}

/** The page's own JSON calls (session cookie + CSRF header); an error's message as thrown text. */
export async function api(path, options) {
  const response = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } }, options));
  if (response.status === 401) { location.assign('/ops/sign-in'); throw new Error('signed out'); }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error((body.error && body.error.message) || `HTTP ${response.status}`);
    error.code = body.error && body.error.code;
    error.details = (body.error && body.error.details) || [];
    throw error;
  }
  return body;
}

export function sendJson(method, path, payload) {
  return api(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': page.csrf, Accept: 'application/json' }, body: JSON.stringify(payload || {}) });
}
export const postJson = (path, payload) => sendJson('POST', path, payload);

/** Where the page's actions go (the session-signed twins of the engineer API's routes). */
export const URLS = {
  list: '/ops/api/list',
  request: (n) => `/ops/api/requests/${encodeURIComponent(n)}`,
  action: (n, action) => `/ops/api/requests/${encodeURIComponent(n)}/actions/${action}`,
  note: (n) => `/ops/api/requests/${encodeURIComponent(n)}/notes`,
  verb: (n, verb) => `/ops/api/requests/${encodeURIComponent(n)}/${verb}`,
  related: (n) => `/ops/api/requests/${encodeURIComponent(n)}/related`,
  contracts: (prefix) => `/ops/api/registry/contracts?prefix=${encodeURIComponent(prefix)}`,
  contract: (c) => `/ops/api/registry/contracts/${encodeURIComponent(c)}`,
};

// ---------- live updates ----------
export const live = { events: null, handlers: new Set() };
export function connectEvents() {
  if (live.events) return;
  live.events = new EventSource('/ops/api/events');
  live.events.addEventListener('open', () => { const node = document.getElementById('live'); if (node) node.textContent = `● ${ui.t.live}`; });
  live.events.addEventListener('error', () => { const node = document.getElementById('live'); if (node) node.textContent = ui.t.reconnecting; });
  live.events.addEventListener('change', (event) => { for (const handler of live.handlers) handler(event.data); });
}

export function header() {
  const t = ui.t;
  return el('header', {},
    el('h1', {}, el('a', { href: '/ops', text: 'myHEZO ops' })),
    el('span', { class: 'live', id: 'live', text: live.events && live.events.readyState === 1 ? `● ${t.live}` : t.reconnecting }),
    el('span', { class: 'spacer' }),
    el('a', { href: '/ops/queues', text: t.queues }),
    el('a', { href: '/ops/reports', id: 'reports-link', text: t.reports }),
    el('button', { type: 'button', class: 'link', id: 'language', text: t.language, onclick: () => {
      setLanguage(ui.lang === 'pl' ? 'en' : 'pl'); localStorage.setItem('hezo-ops-lang', ui.lang); ui.rerender();
    } }),
    el('span', { text: page.engineer }),
    el('form', { method: 'post', action: '/ops/sign-out' },
      el('input', { type: 'hidden', name: '_csrf', value: page.csrf }),
      el('button', { type: 'submit', class: 'link', text: t.signOut })));
}

/** Runs `work` once the frame being prepared has been painted. */
export function afterPaint(work) { window.requestAnimationFrame(() => setTimeout(work, 0)); }
/** Performance marks for the benchmark (and for anyone profiling the page): set once per load. */
export function markOnce(name) { if (performance.getEntriesByName(name).length === 0) performance.mark(name); }

/** Whether a key press belongs to a text field (the page's keys then stay out of the way). */
export function typing(event) {
  const target = event.target;
  return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}
