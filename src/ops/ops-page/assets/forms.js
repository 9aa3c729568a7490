/* global document, location, setTimeout */
// The forms an engineer works a request with: take/assign/release, contact with its time and
// way, reply by mail, the data fix with the registry's suggestions, close with a resolution,
// reopen, merge. Each sends one change and then shows the request as it now is (or why the
// change was refused, in the page's language).
'use strict';
import { api, el, page, refusalText, sendJson, serverNow, ui, URLS, warsawInputToIso, warsawInputValue } from './common.js';
import { engineerName } from './list.js';

/** Set by detail.js: what shows the request again after a change, and which forms were open. */
export const forms = { reload: async () => {}, open: new Set() };

export function message(text, failed, original) {
  const node = document.getElementById('action-message');
  if (!node) return;
  node.hidden = false;
  node.className = failed ? 'message' : 'message ok';
  node.textContent = failed ? ui.t.failed + text : text;
  if (original) node.title = original;
  else node.removeAttribute('title');
}

/** Sends one change, then shows the request as it now is (or why it was refused). */
export async function submit(method, path, payload, done) {
  try {
    await sendJson(method, path, payload);
    if (done) message(done, false);
    await forms.reload();
    if (done) message(done, false);
  } catch (error) {
    message(refusalText(error), true, error.message);
  }
}

// ---------- the forms ----------
function formBox(id, title, ...content) {
  const box = el('details', { id: `form-${id}`, class: 'form-box', ontoggle: (e) => { if (e.target.open) forms.open.add(id); else forms.open.delete(id); } },
    el('summary', { text: title }), ...content);
  if (forms.open.has(id) || location.hash === `#${id}`) box.open = true;
  return box;
}

function labelled(text, input) { return el('label', {}, el('span', { text }), input); }

export function contactForm(request) {
  const t = ui.t;
  const when = el('input', { type: 'datetime-local', name: 'at', required: true, value: warsawInputValue(serverNow()), max: warsawInputValue(serverNow()) });
  const via = el('select', { name: 'via' }, ...Object.entries(t.ways).map(([value, text]) => el('option', { value, text })));
  const note = el('input', { name: 'note', placeholder: t.note, size: 30 });
  return formBox('contact', t.contactTitle, el('form', { class: 'form', onsubmit: (e) => {
    e.preventDefault();
    const at = warsawInputToIso(when.value);
    submit('POST', URLS.action(request.number, 'contacted'), { at, via: via.value, ...(note.value ? { note: note.value } : {}) }, t.saved);
  } }, labelled(t.contactWhen, when), labelled(t.contactVia, via), labelled(t.note, note), el('button', { type: 'submit', 'data-submit': 'contact', text: t.contactSave })));
}

export function replyForm(request) {
  const t = ui.t;
  const text = el('textarea', { name: 'text', rows: 5, cols: 60, required: true });
  const language = el('select', { name: 'language' }, el('option', { value: 'pl', text: 'polski' }), el('option', { value: 'en', text: 'English' }));
  language.value = request.language || 'pl';
  return formBox('reply', t.replyTitle, el('form', { class: 'form', onsubmit: (e) => {
    e.preventDefault();
    submit('POST', URLS.verb(request.number, 'reply'), { text: text.value, language: language.value }, t.replyQueued);
  } }, labelled(t.replyText, text), labelled(t.replyLanguage, language), el('button', { type: 'submit', 'data-submit': 'reply', text: t.replySend })));
}

/**
 * The data fix: the contract number is looked up in the registry as it is typed (its customer,
 * devices and representatives come back and are offered in the serial and reporter fields).
 */
export function fixForm(request) {
  const t = ui.t;
  const contracts = el('datalist', { id: 'contract-suggestions' });
  const serials = el('datalist', { id: 'serial-suggestions' });
  const people = el('datalist', { id: 'reporter-suggestions' });
  const hint = el('p', { class: 'hint', id: 'contract-hint' });
  const contract = el('input', { name: 'contractNumber', list: 'contract-suggestions', value: request.contractNumber || '', placeholder: t.contractHint, autocomplete: 'off' });
  const serial = el('input', { name: 'serialNumber', list: 'serial-suggestions', value: (request.device && request.device.serial) || request.serialNumber || '', placeholder: t.serialHint, autocomplete: 'off' });
  const name = el('input', { name: 'reporterName', list: 'reporter-suggestions', value: request.reporter.name || '', autocomplete: 'off' });
  const email = el('input', { name: 'reporterEmail', type: 'email', value: request.reporter.email || '' });
  const phone = el('input', { name: 'reporterPhone', type: 'tel', value: request.reporter.phone || '' });
  let representatives = [];
  let lookup = 0;
  const suggest = async () => {
    const typed = contract.value.trim();
    const mine = ++lookup;
    if (typed.length < 2) return;
    try {
      const found = await api(URLS.contracts(typed));
      if (mine !== lookup) return;
      const items = found.contracts || [];
      contracts.replaceChildren(...items.map((c) => el('option', { value: c.number, text: c.customer ? `${c.number} — ${c.customer}` : c.number })));
      // One contract left (or the number typed whole): its devices and people are offered.
      const c = items.find((item) => item.number.toUpperCase() === typed.toUpperCase()) || (items.length === 1 ? items[0] : null);
      if (!c) { hint.textContent = ''; return; }
      hint.textContent = `${c.number}: ${c.customer} · ${c.window} · ${t.standing[c.standing] || c.standing}`;
      serials.replaceChildren(...(c.devices || []).map((d) => el('option', { value: d.serial, text: `${d.serial} — ${d.model || ''}` })));
      representatives = c.representatives || [];
      people.replaceChildren(...representatives.map((p) => el('option', { value: p.name, text: [p.name, p.email, p.phone].filter(Boolean).join(' · ') })));
    } catch { hint.textContent = ''; }
  };
  contract.addEventListener('input', suggest);
  name.addEventListener('change', () => {
    const person = representatives.find((p) => p.name === name.value);
    if (person) { if (person.email) email.value = person.email; if (person.phone) phone.value = person.phone; }
  });
  if (contract.value) setTimeout(suggest, 0);
  return formBox('fix', t.fixTitle, el('form', { class: 'form', onsubmit: (e) => {
    e.preventDefault();
    const reporter = {};
    if (name.value.trim()) reporter.name = name.value.trim();
    if (email.value.trim()) reporter.email = email.value.trim();
    if (phone.value.trim()) reporter.phone = phone.value.trim();
    const payload = { reporter };
    if (contract.value.trim()) payload.contractNumber = contract.value.trim();
    if (serial.value.trim()) payload.serialNumber = serial.value.trim();
    submit('PATCH', URLS.request(request.number), payload, t.saved);
  } },
  labelled(t.fields.contractNumber, contract), contracts, hint,
  labelled(t.fields.serialNumber, serial), serials,
  el('fieldset', {}, el('legend', { text: t.fields.reporter }), labelled(t.reporterName, name), people, labelled(t.reporterEmail, email), labelled(t.reporterPhone, phone)),
  el('button', { type: 'submit', 'data-submit': 'fix', text: t.fixSave })));
}

/** A second step inside the page (no window.confirm: it cannot be styled, tested or read aloud well). */
function confirmStep(container, question, yesText, onYes) {
  const step = el('div', { class: 'confirm', role: 'alertdialog' },
    el('p', { text: question }),
    el('button', { type: 'button', class: 'danger', 'data-confirm': 'yes', text: yesText, onclick: () => { step.remove(); onYes(); } }),
    el('button', { type: 'button', 'data-confirm': 'no', text: '✕', onclick: () => step.remove() }));
  const old = container.querySelector('.confirm');
  if (old) old.remove();
  container.append(step);
  step.querySelector('button').focus();
}

export function closeForm(request) {
  const t = ui.t;
  const resolution = el('select', { name: 'resolution', required: true }, ...Object.entries(t.resolutions).map(([value, text]) => el('option', { value, text })));
  const of = el('input', { name: 'of', placeholder: 'HZ-…', size: 16 });
  const ofLabel = labelled(t.duplicateOf, of);
  ofLabel.hidden = true;
  resolution.addEventListener('change', () => { ofLabel.hidden = resolution.value !== 'duplicate'; });
  const note = el('input', { name: 'note', placeholder: t.note, size: 30 });
  const form = el('form', { class: 'form', onsubmit: (e) => {
    e.preventDefault();
    confirmStep(form, t.closeConfirm(request.number), t.closeSave, () => submit('POST', URLS.action(request.number, 'closed'), {
      resolution: resolution.value, ...(resolution.value === 'duplicate' ? { of: of.value.trim() } : {}), ...(note.value ? { note: note.value } : {}),
    }, t.saved));
  } }, labelled(t.resolution, resolution), ofLabel, labelled(t.note, note), el('button', { type: 'submit', 'data-submit': 'close', text: t.closeSave }));
  return formBox('close', t.closeTitle, form);
}

export function reopenForm(request) {
  const t = ui.t;
  const reason = el('input', { name: 'reason', required: true, size: 40 });
  return formBox('reopen', t.reopenTitle, el('form', { class: 'form', onsubmit: (e) => {
    e.preventDefault();
    submit('POST', URLS.verb(request.number, 'reopen'), { reason: reason.value }, t.saved);
  } }, labelled(t.reopenReason, reason), el('button', { type: 'submit', 'data-submit': 'reopen', text: t.reopenSave })));
}

export function mergeForm(request) {
  const t = ui.t;
  const into = el('input', { name: 'into', required: true, placeholder: 'HZ-…', size: 16 });
  const form = el('form', { class: 'form', onsubmit: (e) => {
    e.preventDefault();
    const target = into.value.trim().toUpperCase();
    confirmStep(form, t.mergeConfirm(request.number, target), t.mergeSave, () => submit('POST', URLS.verb(request.number, 'merge'), { into: target }, t.saved));
  } }, labelled(t.mergeInto, into), el('button', { type: 'submit', 'data-submit': 'merge', text: t.mergeSave }));
  return formBox('merge', t.mergeTitle, form);
}

export function ownership(request, owner) {
  const t = ui.t;
  const to = el('input', { name: 'to', list: 'engineer-logins', size: 12, placeholder: t.assignTo });
  const logins = el('datalist', { id: 'engineer-logins' }, ...Object.entries(page.engineers).map(([login, name]) => el('option', { value: login, text: name })));
  return el('div', { class: 'ownership' },
    el('span', { id: 'owner', text: owner ? t.ownedBy(engineerName(owner)) : t.unowned }),
    owner !== page.login ? el('button', { type: 'button', 'data-verb': 'take', text: t.take, onclick: () => submit('POST', URLS.verb(request.number, 'take'), {}) }) : null,
    owner && owner === page.login ? el('button', { type: 'button', 'data-verb': 'release', text: t.release, onclick: () => submit('POST', URLS.verb(request.number, 'release'), {}) }) : null,
    el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); if (to.value.trim()) submit('POST', URLS.verb(request.number, 'assign'), { to: to.value.trim() }); } },
      to, logins, el('button', { type: 'submit', 'data-verb': 'assign', text: t.assign })));
}
