/* global document, location */
// A request's detail: what was collected, the clock's real start and each deadline apart from
// how it was counted, a readable timeline, the same contract's/device's/reporter's other
// requests, and the forms an engineer works a request with (forms.js).
'use strict';
import { api, clockText, el, formatWarsaw, header, liveCountdown, page, showState, stateOf, syncClock, typing, ui, URLS } from './common.js';
import { closeForm, contactForm, fixForm, forms, mergeForm, ownership, reopenForm, replyForm, submit } from './forms.js';
import { engineerName } from './list.js';

export const detail = { number: '', body: null, fetchedAt: 0, countdownNode: null, dirty: false };
forms.reload = () => loadDetail();

/**
 * Someone (a colleague, a timer, the reporter's mail) changed the request. Shown at once —
 * unless the engineer is typing in one of the forms: re-drawing the page would throw their
 * words away, so a notice offers the new state instead.
 */
export function onDetailChange() {
  if (!detail.dirty) { loadDetail().catch(() => {}); return; }
  const notice = document.getElementById('changed-notice');
  if (notice) notice.hidden = false;
}

export async function loadDetail() {
  const [body, related] = await Promise.all([api(URLS.request(detail.number)), api(URLS.related(detail.number)).catch(() => ({ related: null }))]);
  body.related = related.related;
  syncClock(body.now);
  detail.fetchedAt = Date.parse(body.now);
  detail.body = body;
  detail.dirty = false;
  renderDetail();
}

function field(label, value, extra) {
  if (value === undefined || value === null || value === '') return [];
  const dd = el('dd', extra || {});
  dd.append(typeof value === 'string' ? document.createTextNode(value) : value);
  return [el('dt', { text: label }), dd];
}

const bilingual = (words) => (words ? words[ui.lang] || words.en : null);
const link = (href, text) => el('a', { href, text });
/** `tel:` keeps only what a dialler reads: digits and a leading plus. */
const telHref = (phone) => `tel:${String(phone).replace(/[^\d+]/g, '')}`;

/** Who did it, in words: an engineer's name, or the channel, system or timer. */
function who(actor) {
  const match = /^engineer:(.+)$/.exec(actor || '');
  if (match) return engineerName(match[1]);
  if (page.engineers[actor]) return page.engineers[actor];
  return ui.t.by[actor] || actor || '';
}

// ---------- what was collected ----------
/** The call's answers as the caller gave them: "contract: keyed 1", "serial: said …". */
function heardList(heard) {
  const t = ui.t;
  return el('ol', { class: 'heard' }, ...heard.map((h) => el('li', {},
    `${t.steps[h.step] || h.step}: `, h.digits ? `${t.keyed} ${h.digits}` : '', h.digits && h.speech ? ' · ' : '', h.speech ? `${t.said} „${h.speech}”` : '')));
}

/** A payload value as text (nested objects as "key: value" lines, never as JSON). */
function plain(value) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(plain).join(', ');
  return Object.entries(value).map(([k, v]) => `${k}: ${plain(v)}`).join('\n');
}

function collected(request) {
  const t = ui.t;
  const f = t.fields;
  const payload = (request.raw && request.raw.payload) || {};
  const recording = typeof payload.recordingUrl === 'string' && /^https:\/\//.test(payload.recordingUrl) ? payload.recordingUrl : null;
  const known = new Set(['heard', 'recordingUrl', 'from', 'line', 'messageId', 'mailbox']);
  const rest = Object.entries(payload).filter(([key]) => !known.has(key));
  const from = typeof payload.from === 'string' ? payload.from : null;
  const nothing = Object.keys(payload).length === 0 && !(request.raw && request.raw.location);
  return el('section', { id: 'collected' }, el('h2', { text: t.collected }),
    nothing ? el('p', { class: 'muted', text: t.noAttachments }) : null,
    el('dl', {},
      ...field(f.location, request.raw && request.raw.location && !recording ? request.raw.location : null),
      ...field(request.channel === 'phone' ? f.caller : f.from, from ? (request.channel === 'phone' && /^\+?\d[\d ]+$/.test(from) ? link(telHref(from), from) : from) : null),
      ...field(f.line, payload.line), ...field(f.messageId, payload.messageId), ...field(f.mailbox, payload.mailbox),
      ...rest.flatMap(([key, value]) => field(key, plain(value)))),
    Array.isArray(payload.heard) && payload.heard.length > 0 ? el('div', {}, el('h3', { text: f.keypad }), heardList(payload.heard)) : null,
    recording ? el('div', { class: 'recording' }, el('h3', { text: f.recording }),
      el('audio', { controls: true, preload: 'none', src: recording }), ' ', el('a', { href: recording, rel: 'noopener noreferrer', target: '_blank', text: '↗' })) : null);
}

// ---------- the timeline ----------
function timeline(events, number) {
  const t = ui.t;
  const words = (e) => ({
    number,
    who,
    changes: (changes) => Object.entries(changes || {}).map(([key, c]) => `${t.changeFields[key] || key} ${c.from || '—'} → ${c.to || '—'}`).join(', '),
    status: (s) => t.statuses[s] || s,
    resolution: (r) => t.resolutions[r] || r,
    time: (iso) => formatWarsaw(iso, true),
    reason: bilingual(e.words && e.words.reason),
    runsFrom: e.words && e.words.runsFrom,
    at: null,
  });
  return el('ol', { class: 'history' }, ...events.map((e) => {
    const say = t.events[e.type];
    const data = e.data || {};
    let line;
    try { line = say ? say(data, words(e)) : `${t.unknownEvent} ${e.type}`; } catch { line = `${t.unknownEvent} ${e.type}`; }
    if (data.from && data.to && t.statuses[data.from] && t.statuses[data.to] && e.type !== 'reassessed') line += ` (${t.changed(t.statuses[data.from], t.statuses[data.to])})`;
    // Notes are shown whole: an action's note, a note's text, the reason given for a reopen.
    const text = e.type === 'note' ? data.text : e.type === 'reply-queued' ? data.text : data.note || (e.type === 'reopened' ? data.reason : null);
    const trace = bilingual(e.words && e.words.trace);
    return el('li', { 'data-type': e.type, class: e.internal ? 'internal' : null },
      el('time', { datetime: e.at, text: formatWarsaw(e.at, true) }), ' · ', el('span', { class: 'who', text: who(e.actor) }), ' · ',
      el('span', { class: 'what', text: line }),
      e.mergedFrom ? el('span', { class: 'badge', text: t.mergedFrom(e.mergedFrom) }) : null,
      e.internal ? el('span', { class: 'badge', text: t.internal }) : null,
      text ? el('q', { class: 'note', text }) : null,
      trace ? el('div', { class: 'trace', text: `${t.fields.howCounted}: ${trace}` }) : null);
  }));
}

/** The same contract's, device's and reporter's other requests (open first), each with why. */
function related(items) {
  const t = ui.t;
  if (!Array.isArray(items)) return null;
  return el('section', { id: 'related' }, el('h2', { text: t.relatedTitle }),
    items.length === 0 ? el('p', { class: 'muted', text: t.noRelated }) :
      el('ul', {}, ...items.map((r) => el('li', { 'data-number': r.number, class: r.status === 'closed' ? 'closed' : null },
        link(`/ops/requests/${r.number}`, r.number),
        ` · ${t.statuses[r.status] || r.status} · ${formatWarsaw(r.sentAt, true)}${r.subject ? ` · ${r.subject}` : ''} · `,
        el('span', { class: 'muted', text: (r.via || []).map((v) => t.relatedBy[v] || v).join(', ') })))));
}

// ---------- the page ----------
export function renderDetail() {
  const t = ui.t;
  const f = t.fields;
  const body = detail.body;
  const { request, actions } = body;
  const owner = body.owner !== undefined ? body.owner : body.row.owner;
  const note = el('input', { name: 'note', placeholder: t.note, size: 30 });
  const act = (action) => submit('POST', URLS.action(request.number, action), note.value ? { note: note.value } : {});
  const addNote = () => { if (note.value) submit('POST', URLS.note(request.number), { text: note.value }); };
  detail.countdownNode = el('span', { class: 'state-label', id: 'countdown' });
  const closed = request.status === 'closed';
  const simple = actions.filter((a) => a !== 'contacted' && a !== 'closed');
  const phone = request.reporter.phone;
  const email = request.reporter.email;
  const clock = body.clock;
  document.getElementById('app').replaceChildren(header(), el('main', { class: 'detail' },
    el('p', {}, el('a', { href: '/ops', text: t.back })),
    el('h2', { class: 'title' }, el('span', { class: 'number', text: request.number }), request.escalated ? el('span', { class: 'badge escalated', text: '!' }) : null,
      ` · ${t.statuses[request.status] || request.status} `, detail.countdownNode),
    // An inspection's due date and checklist live on their own page (src/inspections/inspection-pages.ts).
    request.inspection ? el('p', { class: 'inspection-link' }, el('a', { href: `/ops/requests/${request.number}/inspection`, 'data-testid': 'inspection-link', text: t.inspection(request.inspection.dueDate) })) : null,
    el('p', { class: 'message', id: 'action-message', hidden: true, role: 'status' }),
    el('p', { class: 'message', id: 'changed-notice', hidden: true, role: 'status' }, t.changedMeanwhile, ' ',
      el('button', { type: 'button', id: 'show-changes', text: t.showChanges, onclick: () => loadDetail().catch(() => {}) })),
    el('section', { id: 'actions', oninput: () => { detail.dirty = true; } }, el('h2', { text: t.actionsTitle }),
      ownership(request, owner),
      el('div', { class: 'actions' }, note,
        ...simple.map((action) => el('button', { type: 'button', 'data-action': action, text: t.actions[action] || action, onclick: () => act(action) })),
        el('button', { type: 'button', 'data-action': 'note', text: t.addNote, onclick: addNote })),
      actions.includes('contacted') ? contactForm(request) : null,
      !closed && email ? replyForm(request) : null,
      !closed ? fixForm(request) : null,
      actions.includes('closed') ? closeForm(request) : null,
      closed ? reopenForm(request) : null,
      !closed ? mergeForm(request) : null),
    el('section', {}, el('h2', { text: t.summary }), el('dl', {},
      ...field(f.customer, request.customer), ...field(f.contractNumber, request.contractNumber),
      ...field(f.device, request.device ? `${request.device.model} ${request.device.serial}` : null), ...field(f.serialNumber, request.serialNumber),
      ...field(f.window, request.window), ...field(f.package, request.package), ...field(f.onsite, request.onsite),
      ...field(f.reporter, request.reporter.name),
      ...field(f.confirmedBy, request.reporterConfirmation ? `${who(request.reporterConfirmation.by)} · ${formatWarsaw(request.reporterConfirmation.at, true)}` : null, { id: 'confirmed-by' }),
      ...field(f.email, email ? link(`mailto:${email}`, email) : null),
      ...field(f.phone, phone ? link(telHref(phone), phone) : null),
      ...field(f.channel, t.channels[request.channel]), ...field(f.kind, t.kinds[request.kind] || request.kind), ...field(f.escalated, request.escalated ? t.yes : null),
      ...field(f.sentAt, formatWarsaw(request.sentAt, true)), ...field(f.owner, owner ? engineerName(owner) : null),
      ...field(f.resolution, request.resolution ? `${t.resolutions[request.resolution.kind] || request.resolution.kind}${request.resolution.of ? ` ${request.resolution.of}` : ''} · ${who(request.resolution.by)} · ${formatWarsaw(request.resolution.at, true)}` : null),
      ...field(f.mergedInto, request.mergedInto ? link(`/ops/requests/${request.mergedInto}`, request.mergedInto) : null, { id: 'merged-into' }),
      ...field(f.reason, bilingual(body.reason)), ...field(t.subject, request.subject)),
    request.description ? el('div', {}, el('h2', { text: t.description }), el('pre', { class: 'description', text: request.description })) : null),
    el('section', { id: 'deadlines' }, el('h2', { text: t.deadlines }), el('dl', {},
      ...field(f.clockFrom, clock ? formatWarsaw(clock.runsFrom, true) : null, { id: 'clock-from' }),
      ...field(f.clockGiven, clock && clock.runsFrom !== clock.startedAt ? formatWarsaw(clock.startedAt, true) : null),
      ...body.deadlines.flatMap((d) => [
        ...field(d.kind === 'response' ? f.response : d.kind === 'delivery' ? f.delivery : f.returnDue, formatWarsaw(d.at, true), { 'data-deadline': d.kind }),
        ...field(f.howCounted, bilingual(d.trace), { class: 'trace', 'data-trace': d.kind }),
      ]),
      ...field(f.firstResponse, request.firstResponse ? `${formatWarsaw(request.firstResponse.at, true)} · ${who(request.firstResponse.by)} · ${request.firstResponse.met ? t.met : t.breached}` : null))),
    collected(request),
    el('section', {}, el('h2', { text: t.attachments }),
      request.attachments.length === 0 ? el('p', { text: t.noAttachments }) :
        el('ul', {}, ...request.attachments.map((a, i) => el('li', {},
          el('a', { href: `/ops/requests/${request.number}/attachments/${i}`, download: a.name, text: a.name }),
          ` (${a.type}, ${a.size} B, sha256 ${a.sha256.slice(0, 12)}…)`)))),
    related(body.related),
    el('section', {}, el('h2', { text: t.historyTitle }), timeline(body.history, request.number))));
  tickDetail();
  if (location.hash === '#contact') {
    const when = document.querySelector('#form-contact input[name=at]');
    if (when) when.focus();
  }
}

export function tickDetail() {
  if (!detail.countdownNode || !detail.body || !document.body.contains(detail.countdownNode)) return;
  const row = detail.body.row;
  detail.countdownNode.textContent = clockText(row, detail.fetchedAt);
  if (row.waiting) { showState(detail.countdownNode, 'state-label', 'none'); return; }
  const running = liveCountdown(row.countdown, detail.fetchedAt);
  showState(detail.countdownNode, 'state-label', stateOf(running ? running.remainingMs : null));
}

/** t takes the request, c opens the contact form. */
export function detailKeys(event) {
  if (typing(event) || event.altKey || event.ctrlKey || event.metaKey || !detail.body) return;
  if (event.key === 't') submit('POST', URLS.verb(detail.number, 'take'), {});
  else if (event.key === 'c') {
    const box = document.getElementById('form-contact');
    if (box) { box.open = true; box.querySelector('input[name=at]').focus(); event.preventDefault(); }
  }
}

