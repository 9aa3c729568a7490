/**
 * A service contract's terms as data (DESIGN.md section 2): the record shape, the one
 * definition of "the same number" (serials, contract numbers, e-mails, phones compared as the
 * registry and every lookup compare them), and whether a contract covers a given day. Pure.
 * The rules a registry file must satisfy are registry-rules.ts; the lookups, contracts.ts.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DateTime } from 'luxon';
import { impossible } from '../errors.js';
import { warsawDateString } from './warsaw-time.js';

/** The two HEZO Assistance packages; only SOS includes on-site service. */
export const SERVICE_PACKAGES = ['SOS', 'AHB'] as const;
/** A HEZO Assistance package. */
export type ServicePackage = (typeof SERVICE_PACKAGES)[number];

/** When requests are accepted: Mon–Fri 09:00–17:00 Warsaw time, or always. */
export const SERVICE_WINDOWS = ['8x5', '24x7'] as const;
/** A request window. */
export type ServiceWindow = (typeof SERVICE_WINDOWS)[number];

/** Guaranteed delivery of a replacement (SOS only): 8 elapsed hours or next business day. */
export const ONSITE_TIMES = ['8h', 'NBD'] as const;
/** An SOS delivery guarantee. */
export type OnsiteTime = (typeof ONSITE_TIMES)[number];

/** A device the contract covers. */
export interface Device {
  /** As the ERP exports it; matching ignores case, spaces and dashes. */
  readonly serial: string;
  readonly model: string;
  /**
   * `YYYY-MM-DD`, the last yearly inspection before the gateway kept its own record (system
   * care, DESIGN.md section 9); the next one is due a year later. Inspections the gateway
   * records override it (src/inspections/care-records.ts).
   */
  readonly lastInspection?: string;
}

/** A person allowed to report failures under a contract. */
export interface Representative {
  readonly name: string;
  /** As exported (trimmed); matching ignores case. */
  readonly email: string;
  /** E.164 (`+48122525600`), normalized when the registry is read. */
  readonly phone: string;
}

/** One service contract. Dates are Warsaw calendar dates, both inclusive. */
export interface Contract {
  /** E.g. `HZ-2026-00123`; matching ignores case, spaces and dashes. */
  readonly number: string;
  readonly customer: string;
  readonly package: ServicePackage;
  readonly window: ServiceWindow;
  /** Set for every SOS contract, null for every AHB contract. */
  readonly onsite: OnsiteTime | null;
  /** `YYYY-MM-DD`, first day of cover. */
  readonly validFrom: string;
  /** `YYYY-MM-DD`, last day of cover (inclusive), never before `validFrom`. */
  readonly validTo: string;
  readonly devices: readonly Device[];
  readonly representatives: readonly Representative[];
  /**
   * System care (yearly inspections of every device) is included; absent means not. It starts
   * with the contract (`validFrom`).
   */
  readonly systemCare?: boolean;
  /** Representatives get the mails of an inspection (agree a date, the record). Opt-out: absent means yes. */
  readonly inspectionMails?: boolean;
  /** Representatives get the renewal reminders too (sales always does). Opt-in: absent means no. */
  readonly renewalReminders?: boolean;
}

/** Where a contract stands on a given day. */
export type ContractStatus = 'valid' | 'expired' | 'not-yet-valid';

/** A device together with the contract that lists it. */
export interface DeviceMatch {
  readonly contract: Contract;
  readonly device: Device;
}

/** A representative together with the contract that authorizes them. */
export interface RepresentativeMatch {
  readonly contract: Contract;
  readonly representative: Representative;
}

// ---------------------------------------------------------------------------------------------
// Normalization: the one definition of "the same number" used by validation and by lookups, so
// that whatever the registry accepts as distinct can also be told apart by a caller.

/** `hz 2026-00123` → `HZ202600123`: letters and digits only, upper case. */
export function normalizeContractNumber(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

/** `HZ-2026-00123` → `202600123`: what a caller types for it on a phone keypad. */
export function contractDigits(text: string): string {
  return text.replace(/\D/g, '');
}

/** `q48-24 07315` → `Q482407315`: serials compare without case, spaces, dashes or dots. */
export function normalizeSerial(text: string): string {
  return text.replace(/[^A-Za-z0-9]/g, '').toUpperCase();
}

/** E-mail addresses compare case-insensitively (the domain always is; mailers treat the local part so too). */
export function normalizeEmail(text: string): string {
  return text.trim().toLowerCase();
}

/**
 * The E.164 form (`+48122525600`) of a phone number written any usual way, Polish when it has
 * no country code (`12 252 56 00`, `0048 12 252 56 00`, `(12) 252-56-00`), or null when it is
 * not a valid number (caller ID "anonymous", a typo). The full ("max") metadata is used because
 * the default one accepts numbers a digit short, e.g. `+48 600 100 20`.
 */
export function normalizePhone(text: string): string | null {
  const parsed = parsePhoneNumberFromString(text, 'PL');
  if (parsed === undefined) return null;
  if (parsed.isValid()) return parsed.number;
  // Many still write the trunk "0" Poland dropped in 2005: "0 12 252 56 00", "+48 (0) 12 ...".
  if (parsed.countryCallingCode === '48' && parsed.nationalNumber.startsWith('0')) {
    const retried = parsePhoneNumberFromString(`+48${parsed.nationalNumber.slice(1)}`);
    if (retried?.isValid()) return retried.number;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Validity on a day.

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` that names a real day (no 2026-02-30). */
export function isCalendarDate(text: string): boolean {
  return CALENDAR_DATE.test(text) && DateTime.fromISO(text).isValid;
}

/** The Warsaw calendar date (`YYYY-MM-DD`) of an instant. */
export function warsawDateOf(instantMs: number): string {
  // Callers pass instants they parsed and checked (a request's sentAt): anything else is our bug.
  if (!Number.isFinite(instantMs) || Number.isNaN(new Date(instantMs).getTime())) {
    impossible(`${instantMs} is not an instant (milliseconds since 1970)`);
  }
  return warsawDateString(instantMs);
}

/** True when the Warsaw date `YYYY-MM-DD` lies within validFrom..validTo, both inclusive. */
export function isValidOn(contract: Contract, warsawDate: string): boolean {
  // Callers pass a date they computed (warsawDateOf), never one a person typed: a malformed one is our bug.
  if (!isCalendarDate(warsawDate)) impossible(`"${warsawDate}" is not a date YYYY-MM-DD`);
  // ISO dates of equal length compare correctly as strings.
  return contract.validFrom <= warsawDate && warsawDate <= contract.validTo;
}

/** Whether the contract covers the Warsaw day of `instantMs` (a request's `sentAt`). */
export function contractStatusAt(contract: Contract, instantMs: number): ContractStatus {
  const date = warsawDateOf(instantMs);
  if (date < contract.validFrom) return 'not-yet-valid';
  if (date > contract.validTo) return 'expired';
  return 'valid';
}
