/**
 * Yearly inspections under system care (service terms; DESIGN.md section 9), as pure rules:
 * when a device is next due, when its inspection request is filed, when it is overdue, which
 * overdue alert is owed, and the four checklist items of the terms with what closing needs.
 * The scheduler (src/inspections/) does the I/O around them.
 */
import { DateTime } from 'luxon';
import { impossible } from '../errors.js';
import type { ServiceCalendar } from './calendar.js';
import { isCalendarDate, normalizeSerial, type Contract, type Device } from './contract-terms.js';
import type { ContractRegistry } from './contracts.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** The checklist of the service terms, in their order. */
export const INSPECTION_ITEMS = ['logs', 'firmware', 'operation', 'workTests'] as const;
export type InspectionItem = (typeof INSPECTION_ITEMS)[number];

/**
 * What closing needs: the first three activities. Work tests are done "where possible" (the
 * terms: "possible performance of work tests"), so they may be recorded as skipped, or not at all.
 */
export const REQUIRED_ITEMS: readonly InspectionItem[] = ['logs', 'firmware', 'operation'];

/** One item as the engineer records it (each kind its own fields). */
export type InspectionItemInput =
  /** Device logs reviewed: were errors found, and a note of what (or "none"). */
  | { item: 'logs'; errorsFound: boolean; note: string }
  /** Firmware version found, and the one installed (the same when no update was needed). */
  | { item: 'firmware'; found: string; installed: string }
  /** Operation checked after the update: works or not, with a note. */
  | { item: 'operation'; working: boolean; note?: string | undefined }
  /** Work tests: done or skipped, with the result (or why skipped). */
  | { item: 'workTests'; done: boolean; result: string };

/** An item as recorded: the input, when and by whom. */
export type RecordedItem = InspectionItemInput & { at: string; by: string };

/** The inspection a request of kind `inspection` carries. */
export interface Inspection {
  /** `YYYY-MM-DD`: 12 calendar months after the last inspection. */
  dueDate: string;
  /** The end of the business day on the due date (UTC ISO): overdue after it. */
  dueAt: string;
  /** Where the due date came from, for the ops page: "last inspection 2025-11-30 (registry)". */
  basis: string;
  /** Latest entry per item; a correction replaces the earlier one (the history keeps both). */
  checklist: Partial<Record<InspectionItem, RecordedItem>>;
  /** Warsaw date of the closing: the inspection date the next one is due from. */
  doneOn?: string;
}

/** Where the last inspection date of a device comes from. */
export type InspectionBasis = 'recorded' | 'registry' | 'care start';

/**
 * 12 calendar months after `date`. A month end stays in its month: 29 Feb 2024 → 28 Feb 2025
 * (not 1 Mar: "at least once a year" must not slip past the anniversary month), 31 Jan → 31 Jan.
 */
export function addYear(date: string): string {
  if (!isCalendarDate(date)) impossible(`"${date}" is not a date YYYY-MM-DD`);
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ months: 12 }).toISODate() ?? impossible(`cannot add a year to ${date}`);
}

/** `date` moved by whole calendar days (negative: earlier). */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() ?? impossible(`cannot add ${days} days to ${date}`);
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/**
 * The last inspection a due date counts from: the later of the gateway's record and the
 * registry's, else the start of system care (the contract's first day).
 */
export function lastInspectionOf(contract: Contract, device: Device, recorded: string | undefined): { date: string; basis: InspectionBasis } {
  const registry = device.lastInspection;
  if (recorded !== undefined && (registry === undefined || recorded >= registry)) return { date: recorded, basis: 'recorded' };
  if (registry !== undefined) return { date: registry, basis: 'registry' };
  return { date: contract.validFrom, basis: 'care start' };
}

/**
 * The instant an inspection due on `dueDate` is due: 17:00 Warsaw of that day when it is a
 * business day, else of the last business day before it — a due date on a Saturday is kept by
 * Friday, so the inspection never comes later than a year.
 */
export function inspectionDueAt(dueDate: string, calendar: ServiceCalendar): number {
  let day = dueDate;
  for (let i = 0; i < 30; i++) {
    const hours = calendar.openingHours(day);
    if (hours) return hours.close;
    day = addDays(day, -1);
  }
  return impossible(`no business day in the 30 days up to ${dueDate}`);
}

/** One inspection the scheduler should file (or has filed: the source key makes it one). */
export interface DueInspection {
  contract: Contract;
  device: Device;
  dueDate: string;
  dueAtMs: number;
  /** The day it is filed: `leadDays` before the due date. */
  fileOn: string;
  basis: string;
}

/** `inspection:<serial>:<due date>`: exactly one request per device and due date. */
export function inspectionSourceKey(serial: string, dueDate: string): string {
  return `inspection:${normalizeSerial(serial)}:${dueDate}`;
}

/**
 * The inspections to file on Warsaw day `today`: every device of a contract with system care,
 * valid today, whose next due date is at most `leadDays` away (or past: an overdue one is filed
 * too) and falls within the contract (a later due date belongs to its renewal, which lists the
 * device again). `recorded` maps normalized serials to the last inspection the gateway recorded.
 */
export function inspectionsToFile(
  registry: Pick<ContractRegistry, 'contracts'>,
  recorded: ReadonlyMap<string, string>,
  today: string,
  leadDays: number,
  calendar: ServiceCalendar,
): DueInspection[] {
  const due: DueInspection[] = [];
  for (const contract of registry.contracts) {
    if (contract.systemCare !== true || today < contract.validFrom || today > contract.validTo) continue;
    for (const device of contract.devices) {
      const last = lastInspectionOf(contract, device, recorded.get(normalizeSerial(device.serial)));
      const dueDate = addYear(last.date);
      const fileOn = addDays(dueDate, -leadDays);
      if (fileOn > today || dueDate > contract.validTo) continue;
      due.push({
        contract,
        device,
        dueDate,
        dueAtMs: inspectionDueAt(dueDate, calendar),
        fileOn,
        basis: `last inspection ${last.date} (${last.basis})`,
      });
    }
  }
  return due;
}

/**
 * The overdue alert owed at `nowMs` for an inspection due at `dueAtMs`: null before it is due,
 * then week 0 (at once), week 1 (7 days later), ... — the alert's key, so each goes out once.
 */
export function overdueAlertWeek(dueAtMs: number, nowMs: number): number | null {
  if (nowMs <= dueAtMs) return null;
  return Math.floor((nowMs - dueAtMs) / WEEK_MS);
}

/** The required items not yet recorded, in the order of the terms. */
export function missingItems(checklist: Inspection['checklist']): InspectionItem[] {
  return REQUIRED_ITEMS.filter((item) => checklist[item] === undefined);
}

/** Whether an inspection done on `doneOn` was on time: on or before its due date. */
export function inspectionOnTime(inspection: Pick<Inspection, 'dueDate' | 'doneOn'>): boolean | null {
  if (inspection.doneOn === undefined) return null;
  return inspection.doneOn <= inspection.dueDate;
}
