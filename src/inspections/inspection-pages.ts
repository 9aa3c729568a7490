/**
 * The inspection on the ops page: `/ops/requests/{n}/inspection`, the due date (in place of
 * the one-hour clock) and one form per checklist item of the terms, plus the close button; and
 * `/ops/requests/{n}/inspection-record`, the record as filled in, laid out to print. Plain
 * server-rendered forms (they work without scripts); every value is escaped. Mounted by
 * createOps before its own guard, because a form's CSRF token is in the body, which must be
 * parsed first.
 */
import express, { Router, type Request, type Response } from 'express';
import { INSPECTION_ITEMS, missingItems, type Inspection, type InspectionItem } from '../domain/inspections.js';
import type { ServiceRequest } from '../domain/request.js';
import type { EngineerActionDeps } from '../dispatcher/engineer-actions.js';
import { recordAction } from '../dispatcher/engineer-actions.js';
import { isIntakeError, type IntakeError } from '../errors.js';
import { setSecurityHeaders } from '../ops/ops-page/html.js';
import { requireCsrf, requireEngineer, sessionOf } from '../ops/ops-page/sign-in.js';
import { parseInput, requestNumberParam } from '../ops/route-input.js';
import { escapeHtml } from '../util/html.js';
import { checklistLines, describeItem, ITEM_NAMES, warsawTime } from './care-messages.js';
import { inspectionItemBody, inspectionOf, recordItem } from './inspection-api.js';

export type InspectionPagesDeps = EngineerActionDeps & { now: () => number };

const TEXT = {
  pl: {
    title: 'Przegląd roczny',
    back: '← Zgłoszenie',
    record: 'Protokół do druku',
    due: 'Termin przeglądu',
    dueBy: 'do',
    basis: 'Podstawa',
    customer: 'Klient',
    contract: 'Umowa',
    device: 'Urządzenie',
    status: 'Status',
    notRecorded: 'nie odnotowano',
    save: 'Zapisz',
    close: 'Zamknij przegląd',
    closeNeeds: 'Zamknięcie wymaga trzech pierwszych punktów.',
    errorsFound: 'Znaleziono błędy',
    note: 'Uwagi',
    found: 'Zastana wersja',
    installed: 'Zainstalowana wersja',
    working: 'Urządzenie działa poprawnie',
    done: 'Testy wykonane (odznacz: pominięte)',
    result: 'Wynik lub powód pominięcia',
    doneOn: 'Wykonano',
    recordTitle: 'Protokół przeglądu rocznego',
    by: 'odnotował',
    overdue: 'po terminie',
  },
  en: {
    title: 'Yearly inspection',
    back: '← Request',
    record: 'Printable record',
    due: 'Inspection due',
    dueBy: 'by',
    basis: 'Basis',
    customer: 'Customer',
    contract: 'Contract',
    device: 'Device',
    status: 'Status',
    notRecorded: 'not recorded',
    save: 'Save',
    close: 'Close the inspection',
    closeNeeds: 'Closing needs the first three items.',
    errorsFound: 'Errors found',
    note: 'Note',
    found: 'Version found',
    installed: 'Version installed',
    working: 'The device works correctly',
    done: 'Tests done (untick: skipped)',
    result: 'Result, or why skipped',
    doneOn: 'Done on',
    recordTitle: 'Yearly inspection record',
    by: 'recorded by',
    overdue: 'overdue',
  },
} as const;

type Language = keyof typeof TEXT;

function languageOf(res: Response): Language {
  return sessionOf(res)?.language ?? 'pl';
}

function page(language: Language, title: string, body: string, bodyClass = 'inspection'): string {
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — myHEZO ops</title>
<link rel="stylesheet" href="/ops/assets/app.css"><link rel="stylesheet" href="/ops/care-assets/care.css"></head>
<body class="${bodyClass}"><main>${body}</main></body>
</html>`;
}

function facts(request: ServiceRequest, inspection: Inspection, language: Language, nowMs: number): string {
  const t = TEXT[language];
  const overdue = !inspection.doneOn && nowMs > Date.parse(inspection.dueAt);
  return `<dl class="facts">
<dt>${t.due}</dt><dd data-testid="due-date">${escapeHtml(inspection.dueDate)} (${t.dueBy} ${escapeHtml(warsawTime(Date.parse(inspection.dueAt), language, { zone: true }))})${overdue ? ` <strong class="overdue">${t.overdue}</strong>` : ''}</dd>
<dt>${t.basis}</dt><dd>${escapeHtml(inspection.basis)}</dd>
<dt>${t.customer}</dt><dd>${escapeHtml(request.customer ?? '—')}</dd>
<dt>${t.contract}</dt><dd>${escapeHtml(request.contractNumber ?? '—')}</dd>
<dt>${t.device}</dt><dd>${escapeHtml(`${request.device?.model ?? ''} ${request.device?.serial ?? request.serialNumber ?? ''}`)}</dd>
<dt>${t.status}</dt><dd data-testid="status">${escapeHtml(request.status)}</dd>
${inspection.doneOn ? `<dt>${t.doneOn}</dt><dd data-testid="done-on">${escapeHtml(inspection.doneOn)}</dd>` : ''}
</dl>`;
}

function itemForm(item: InspectionItem, number: string, csrf: string, language: Language): string {
  const t = TEXT[language];
  const fields: Record<InspectionItem, string> = {
    logs: `<label><input type="checkbox" name="errorsFound" value="true"> ${t.errorsFound}</label><label>${t.note} <textarea name="note" required maxlength="2000"></textarea></label>`,
    firmware: `<label>${t.found} <input name="found" required maxlength="100"></label><label>${t.installed} <input name="installed" required maxlength="100"></label>`,
    operation: `<label><input type="checkbox" name="working" value="true" checked> ${t.working}</label><label>${t.note} <textarea name="note" maxlength="2000"></textarea></label>`,
    workTests: `<label><input type="checkbox" name="done" value="true" checked> ${t.done}</label><label>${t.result} <textarea name="result" required maxlength="2000"></textarea></label>`,
  };
  return `<form method="post" action="/ops/requests/${escapeHtml(number)}/inspection" class="item-form" data-item="${item}">
<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}"><input type="hidden" name="item" value="${item}">
${fields[item]}<button type="submit">${t.save}</button></form>`;
}

function checklistPage(request: ServiceRequest, inspection: Inspection, res: Response, nowMs: number, message?: string): string {
  const language = languageOf(res);
  const t = TEXT[language];
  const csrf = sessionOf(res)?.csrf ?? '';
  const open = request.status !== 'closed';
  const items = INSPECTION_ITEMS.map((item) => {
    const recorded = inspection.checklist[item];
    const state = recorded
      ? `<p class="recorded" data-testid="recorded-${item}">${escapeHtml(describeItem(recorded, language))} <small>(${escapeHtml(warsawTime(Date.parse(recorded.at), language))}, ${t.by} ${escapeHtml(recorded.by.replace(/^engineer:/, ''))})</small></p>`
      : `<p class="missing" data-testid="recorded-${item}">${t.notRecorded}</p>`;
    return `<section class="item" id="item-${item}"><h2>${escapeHtml(ITEM_NAMES[language][item])}</h2>${state}${open ? itemForm(item, request.number, csrf, language) : ''}</section>`;
  }).join('\n');
  const missing = missingItems(inspection.checklist);
  const close = open
    ? `<form method="post" action="/ops/requests/${escapeHtml(request.number)}/inspection/close" class="close-form">
<input type="hidden" name="_csrf" value="${escapeHtml(csrf)}"><button type="submit"${missing.length > 0 ? ' class="not-ready"' : ''}>${t.close}</button>
${missing.length > 0 ? `<span>${t.closeNeeds}</span>` : ''}</form>`
    : '';
  return page(
    language,
    `${t.title} ${request.number}`,
    `<nav><a href="/ops/requests/${escapeHtml(request.number)}">${t.back}</a> · <a href="/ops/requests/${escapeHtml(request.number)}/inspection-record">${t.record}</a></nav>
<h1>${t.title} ${escapeHtml(request.number)}</h1>
${message ? `<p class="message" role="alert">${escapeHtml(message)}</p>` : ''}
${facts(request, inspection, language, nowMs)}
${items}
${close}`,
  );
}

function recordPage(request: ServiceRequest, inspection: Inspection, language: Language, nowMs: number): string {
  const t = TEXT[language];
  const lines = checklistLines(inspection, language).map((line) => `<li>${escapeHtml(line.replace(/^- /, ''))}</li>`).join('\n');
  return page(
    language,
    `${t.recordTitle} ${request.number}`,
    `<h1>${t.recordTitle}</h1><p>${escapeHtml(request.number)} · myHEZO / Exclusive Networks Poland S.A.</p>
${facts(request, inspection, language, nowMs)}
<ol class="record" data-testid="record">${lines}</ol>
<p class="printed">${escapeHtml(warsawTime(nowMs, language, { zone: true }))}</p>`,
    'inspection record',
  );
}

/** A form's fields as the item schema wants them (checkboxes: present = true). */
function itemFromForm(body: Record<string, unknown>): Record<string, unknown> {
  const text = (name: string): string | undefined => (typeof body[name] === 'string' && body[name] !== '' ? (body[name] as string) : undefined);
  const flag = (name: string): boolean => body[name] === 'true';
  switch (body.item) {
    case 'logs':
      return { item: 'logs', errorsFound: flag('errorsFound'), note: text('note') };
    case 'firmware':
      return { item: 'firmware', found: text('found'), installed: text('installed') };
    case 'operation':
      return { item: 'operation', working: flag('working'), ...(text('note') ? { note: text('note') } : {}) };
    case 'workTests':
      return { item: 'workTests', done: flag('done'), result: text('result') };
    default:
      return { item: body.item };
  }
}

export function inspectionPages(deps: InspectionPagesDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '32kb' });
  const guard = [requireEngineer(), form, requireCsrf()];
  const actor = (res: Response): string => `engineer:${sessionOf(res)?.login ?? 'unknown'}`;

  const show = async (req: Request, res: Response, status = 200, message?: string): Promise<void> => {
    const request = await inspectionOf(deps.store, requestNumberParam(String(req.params.number)));
    setSecurityHeaders(res);
    res.status(status).type('html').send(checklistPage(request, request.inspection, res, deps.now(), message));
  };

  router.get('/ops/requests/:number/inspection', requireEngineer(), (req, res) => show(req, res));

  router.get('/ops/requests/:number/inspection-record', requireEngineer(), async (req, res) => {
    const request = await inspectionOf(deps.store, requestNumberParam(String(req.params.number)));
    setSecurityHeaders(res);
    res.type('html').send(recordPage(request, request.inspection, languageOf(res), deps.now()));
  });

  router.post('/ops/requests/:number/inspection', ...guard, async (req, res) => {
    const number = requestNumberParam(String(req.params.number));
    await inspectionOf(deps.store, number);
    try {
      const body = parseInput(inspectionItemBody, itemFromForm((req.body ?? {}) as Record<string, unknown>));
      await recordItem(deps.store, number, { body, actor: actor(res), atMs: deps.now() });
    } catch (error) {
      if (isIntakeError(error) && error.status < 500) return show(req, res, error.status, formMessage(error));
      throw error;
    }
    res.redirect(303, `/ops/requests/${number}/inspection#item-${String((req.body as Record<string, unknown>).item)}`);
  });

  router.post('/ops/requests/:number/inspection/close', ...guard, async (req, res) => {
    const number = requestNumberParam(String(req.params.number));
    await inspectionOf(deps.store, number);
    try {
      await recordAction(deps, number, { action: 'closed', atMs: deps.now(), actor: actor(res) });
    } catch (error) {
      if (isIntakeError(error) && error.status < 500) return show(req, res, error.status, formMessage(error));
      throw error;
    }
    res.redirect(303, `/ops/requests/${number}/inspection`);
  });

  return router;
}

function formMessage(error: IntakeError): string {
  const details = error.details.map((detail) => `${detail.path}: ${detail.message}`).join('; ');
  return details ? `${error.message} (${details})` : error.message;
}
