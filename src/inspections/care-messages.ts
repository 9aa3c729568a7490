/**
 * What system care and renewals tell people, in Polish and English: the mail asking a
 * contract's representatives to agree an inspection date, the inspection record, the overdue
 * alert to engineers and the renewal reminder. A contract carries no language, so mails to
 * customers hold both (Polish first); engineers read Polish. Times are Warsaw time. Pure.
 */
import { DateTime } from 'luxon';
import { WARSAW_ZONE } from '../domain/calendar.js';
import type { Contract, Device } from '../domain/contract-terms.js';
import type { Inspection, InspectionItem, RecordedItem } from '../domain/inspections.js';
import { INSPECTION_ITEMS } from '../domain/inspections.js';
import type { ServiceRequest } from '../domain/request.js';

export interface RenderedMail {
  subject: string;
  text: string;
}

type Language = 'pl' | 'en';

/**
 * An instant in Warsaw time in the reader's language: `pt. 2026-12-18 17:00 CET` /
 * `Fri 2026-12-18 17:00 CET` (the zone's abbreviation where DST could make it ambiguous).
 */
export function warsawTime(ms: number, language: Language, options: { zone?: boolean } = {}): string {
  const at = DateTime.fromMillis(ms, { zone: WARSAW_ZONE }).setLocale(language === 'pl' ? 'pl-PL' : 'en-GB');
  return `${at.toFormat('ccc yyyy-MM-dd HH:mm')}${options.zone ? ` ${at.isInDST ? 'CEST' : 'CET'}` : ''}`;
}

/** The names of the checklist items, as the service terms put them. */
export const ITEM_NAMES: Record<Language, Record<InspectionItem, string>> = {
  pl: {
    logs: 'Przegląd logów urządzenia (czy wystąpiły błędy)',
    firmware: 'Sprawdzenie wersji oprogramowania (firmware) i aktualizacja w razie potrzeby',
    operation: 'Sprawdzenie działania urządzenia po aktualizacji',
    workTests: 'Testy robocze (w miarę możliwości)',
  },
  en: {
    logs: 'Review of device logs (whether any errors occurred)',
    firmware: 'Firmware version checked and updated if necessary',
    operation: 'Operation of the device checked after the update',
    workTests: 'Work tests (where possible)',
  },
};

/** One recorded item in words, e.g. "errors found: no — none since 2025". */
export function describeItem(item: RecordedItem, language: Language): string {
  const pl = language === 'pl';
  const yes = pl ? 'tak' : 'yes';
  const no = pl ? 'nie' : 'no';
  switch (item.item) {
    case 'logs':
      return `${pl ? 'błędy' : 'errors found'}: ${item.errorsFound ? yes : no} — ${item.note}`;
    case 'firmware':
      return `${pl ? 'zastana' : 'found'} ${item.found}, ${pl ? 'zainstalowana' : 'installed'} ${item.installed}`;
    case 'operation':
      return `${pl ? 'działa poprawnie' : 'working'}: ${item.working ? yes : no}${item.note ? ` — ${item.note}` : ''}`;
    case 'workTests':
      return `${item.done ? (pl ? 'wykonane' : 'done') : pl ? 'pominięte' : 'skipped'} — ${item.result}`;
  }
}

/** The checklist as filled in, one line per item ("not recorded" for those left out). */
export function checklistLines(inspection: Inspection, language: Language): string[] {
  return INSPECTION_ITEMS.map((name) => {
    const item = inspection.checklist[name];
    const value = item ? `${describeItem(item, language)} (${warsawTime(Date.parse(item.at), language)}, ${item.by.replace(/^engineer:/, '')})` : language === 'pl' ? 'nie odnotowano' : 'not recorded';
    return `- ${ITEM_NAMES[language][name]}: ${value}`;
  });
}

function deviceLine(request: ServiceRequest): string {
  return `${request.device?.model ?? ''} ${request.device?.serial ?? request.serialNumber ?? ''}`.trim();
}

/** To the representatives when an inspection is filed: agree a date before the due date. */
export function renderInspectionDateMail(input: { requestNumber: string; contract: Contract; device: Device; dueDate: string }): RenderedMail {
  const device = `${input.device.model} ${input.device.serial}`;
  const contract = input.contract.number;
  return {
    subject: `[${input.requestNumber}] Przegląd roczny ${device} — prosimy o uzgodnienie terminu / Yearly inspection: please agree a date`,
    text: [
      'Dzień dobry,',
      '',
      `w ramach opieki systemowej umowy ${contract} zbliża się coroczny przegląd urządzenia ${device}.`,
      `Przegląd należy wykonać do ${input.dueDate}. Prosimy o odpowiedź na tę wiadomość z dogodnym terminem.`,
      'Przegląd obejmuje: przegląd logów, sprawdzenie i aktualizację oprogramowania (firmware), sprawdzenie działania po aktualizacji oraz, w miarę możliwości, testy robocze.',
      '',
      'Zespół myHEZO',
      '',
      '---',
      '',
      'Hello,',
      '',
      `under the system care of contract ${contract}, the yearly inspection of ${device} is coming up.`,
      `It is due by ${input.dueDate}. Please reply to this message with a date that suits you.`,
      'It covers: a review of device logs, the firmware version checked and updated if needed, operation checked after the update and, where possible, work tests.',
      '',
      'The myHEZO team',
    ].join('\n'),
  };
}

/** To the representatives when an inspection is closed: the record, the checklist as filled in. */
export function renderInspectionRecordMail(request: ServiceRequest, inspection: Inspection): RenderedMail {
  const device = deviceLine(request);
  return {
    subject: `[${request.number}] Protokół przeglądu ${device} / Inspection record`,
    text: [
      `Protokół przeglądu rocznego — ${request.customer ?? ''}, umowa ${request.contractNumber ?? ''}, urządzenie ${device}`,
      `Termin: ${inspection.dueDate}; wykonano: ${inspection.doneOn ?? '—'}`,
      ...checklistLines(inspection, 'pl'),
      '',
      '---',
      '',
      `Yearly inspection record — ${request.customer ?? ''}, contract ${request.contractNumber ?? ''}, device ${device}`,
      `Due: ${inspection.dueDate}; done: ${inspection.doneOn ?? '—'}`,
      ...checklistLines(inspection, 'en'),
    ].join('\n'),
  };
}

/** To engineers: an inspection is past its due date (sent once, then weekly). */
export function renderOverdueAlert(request: ServiceRequest, inspection: Inspection, week: number, publicUrl: string): RenderedMail & { payload: Record<string, unknown> } {
  const device = deviceLine(request);
  return {
    subject: `[${request.number}] Przegląd po terminie${week > 0 ? ` (tydzień ${week + 1})` : ''}: ${device}, ${request.customer ?? ''}`,
    text: [
      `Przegląd roczny ${device} (${request.customer ?? ''}, umowa ${request.contractNumber ?? ''}) miał termin ${inspection.dueDate}, do ${warsawTime(Date.parse(inspection.dueAt), 'pl', { zone: true })}.`,
      `Nie został zamknięty. ${publicUrl}/ops/requests/${request.number}`,
    ].join('\n'),
    payload: {
      event: 'inspection-overdue',
      requestNumber: request.number,
      week,
      dueDate: inspection.dueDate,
      dueAt: inspection.dueAt,
      contractNumber: request.contractNumber ?? null,
      customer: request.customer ?? null,
      serial: request.device?.serial ?? request.serialNumber ?? null,
    },
  };
}

/** The renewal reminder: to sales, and (opt-in) to the representatives. */
export function renderRenewalMail(contract: Contract, daysLeft: number): RenderedMail {
  return {
    subject: `Umowa ${contract.number} kończy się ${contract.validTo} (za ${daysLeft} dni) / Contract ends in ${daysLeft} days`,
    text: [
      `Umowa serwisowa ${contract.number} (${contract.customer}, HEZO ${contract.package} ${contract.window}) jest ważna do ${contract.validTo} włącznie — zostało ${daysLeft} dni.`,
      'Odnowienie przed tą datą pozwala uniknąć opłaty reaktywacyjnej, która może zostać naliczona przy odnowieniu po terminie.',
      '',
      '---',
      '',
      `Service contract ${contract.number} (${contract.customer}, HEZO ${contract.package} ${contract.window}) is valid until ${contract.validTo} inclusive — ${daysLeft} days left.`,
      'Renewing before that date avoids the reactivation fee that may be charged for a renewal after the deadline.',
    ].join('\n'),
  };
}
