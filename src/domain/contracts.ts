/**
 * Service contracts as data (DESIGN.md section 2): the record shape, the rules a registry must
 * satisfy, and `ContractRegistry`, the read-only lookups every channel uses to recognise a
 * contract, a device and an authorized representative. Pure: reading the file is
 * `src/registry/registry-file.ts`.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DateTime } from 'luxon';
import { z } from 'zod';
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
   * records override it (src/registry/inspection-record-store.ts).
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

/** One thing wrong with registry data: where (a JSON path as keys) and what is expected. */
export interface RegistryProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
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
// Field schemas. Every message says what is expected; the value found is quoted except for
// e-mails and phone numbers, which are personal data and end up in logs.

type IssueInput = { readonly input?: unknown };

function expected(what: string, options: { quoteValue?: boolean } = {}): (issue: IssueInput) => string {
  return (issue) => {
    if (issue.input === undefined) return `missing; expected ${what}`;
    if (options.quoteValue === false) return `expected ${what}`;
    return `expected ${what}, got ${describeValue(issue.input)}`;
  };
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** A contract number as the registry accepts it (and so as every channel must accept it). */
export const CONTRACT_NUMBER = /^(?=.*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;
const SERIAL = /^[A-Za-z0-9]+(?:[-. /][A-Za-z0-9]+)*$/;
const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

const SERIAL_WHAT = 'the serial number: letters and digits, optionally grouped by dashes, dots, slashes or spaces';
const IGNORED = '(case, spaces and dashes are ignored when comparing)';
const CONTRACT_NUMBER_WHAT =
  'a contract number like "HZ-2026-00123": letters and digits in groups joined by single dashes, with at least one digit';
const DATE_WHAT = 'a calendar date YYYY-MM-DD, e.g. "2026-01-01"';
const PHONE_WHAT = 'a valid phone number, e.g. "+48 600 100 200" (without a country code it is read as Polish)';

function requiredText(what: string): z.ZodString {
  return z.string({ error: expected(what) }).trim().min(1, { error: expected(what) });
}

/** `YYYY-MM-DD` that names a real day (no 2026-02-30). */
export function isCalendarDate(text: string): boolean {
  return CALENDAR_DATE.test(text) && DateTime.fromISO(text).isValid;
}

/** An optional true/false (a quoted "true" is refused: ERP exports that quote booleans quote other things too). */
function optionalFlag(what: string) {
  return z.boolean({ error: expected(what) }).optional();
}

/** A contract number as the registry requires it. */
export const contractNumberSchema = z
  .string({ error: expected(CONTRACT_NUMBER_WHAT) })
  .trim()
  .regex(CONTRACT_NUMBER, { error: expected(CONTRACT_NUMBER_WHAT) });

/** A device serial number as the registry requires it. */
export const serialSchema = z
  .string({ error: expected(SERIAL_WHAT) })
  .trim()
  .regex(SERIAL, { error: expected(SERIAL_WHAT) });

/** `SOS` or `AHB`, exactly. */
export const packageSchema = z.enum(SERVICE_PACKAGES, { error: expected('"SOS" or "AHB"') });

/** `8x5` or `24x7`, exactly. */
export const windowSchema = z.enum(SERVICE_WINDOWS, { error: expected('"8x5" or "24x7"') });

/** `8h`, `NBD`, or null / absent (read as null). */
export const onsiteSchema = z
  .enum(ONSITE_TIMES, { error: expected('"8h", "NBD" or null') })
  .nullable()
  .optional()
  .transform((value) => value ?? null);

/** A Warsaw calendar date. */
export const calendarDateSchema = z.string({ error: expected(DATE_WHAT) }).refine(isCalendarDate, { error: expected(DATE_WHAT) });

const deviceSchema = z.object(
  { serial: serialSchema, model: requiredText('the device model, e.g. "Qualstar Q48"'), lastInspection: calendarDateSchema.optional() },
  { error: expected('a device { "serial": ..., "model": ... }') },
);

const representativeSchema = z.object(
  {
    name: requiredText("the representative's name"),
    email: z
      .string({ error: expected('an e-mail address like "jan.kowalski@example.pl"', { quoteValue: false }) })
      .trim()
      .pipe(z.email({ error: expected('an e-mail address like "jan.kowalski@example.pl"', { quoteValue: false }) })),
    phone: z.string({ error: expected(PHONE_WHAT, { quoteValue: false }) }).transform((text, context) => {
      const e164 = normalizePhone(text);
      if (e164 !== null) return e164;
      context.issues.push({ code: 'custom', input: text, message: expected(PHONE_WHAT, { quoteValue: false })({ input: text }) });
      return z.NEVER;
    }),
  },
  { error: expected('a representative { "name": ..., "email": ..., "phone": ... }') },
);

/**
 * One contract record, field by field. Rules that span fields or records (on-site vs package,
 * date order, duplicates) are `findContractRuleProblems`, kept apart so that every problem is
 * reported at once: zod skips refinements of an object whose fields already failed.
 */
export const contractSchema = z.object(
  {
    number: contractNumberSchema,
    customer: requiredText("the customer's name"),
    package: packageSchema,
    window: windowSchema,
    onsite: onsiteSchema,
    validFrom: calendarDateSchema,
    validTo: calendarDateSchema,
    devices: z
      .array(deviceSchema, { error: expected('a list of devices') })
      .min(1, { error: 'expected at least one device: a contract covers the devices it names' }),
    representatives: z
      .array(representativeSchema, { error: expected('a list of representatives') })
      .min(1, { error: 'expected at least one representative: only they may report failures' }),
    systemCare: optionalFlag('true when system care (yearly inspections) is included, false or absent when not'),
    inspectionMails: optionalFlag("false to send the contract's representatives no inspection mails; absent means they get them"),
    renewalReminders: optionalFlag("true to send the contract's representatives the renewal reminders; absent means sales only"),
  },
  { error: expected('a contract object') },
);

/** The whole registry file: `{ "version": 1, "exportedAt"?: ..., "contracts": [...] }`. */
export const registryFileSchema = z.object(
  {
    version: z.literal(1, { error: expected('1 (the only registry format version this gateway reads)') }),
    exportedAt: z.iso
      .datetime({ offset: true, error: expected('an ISO-8601 instant such as "2026-11-25T18:00:00Z"') })
      .optional(),
    contracts: z
      .array(contractSchema, { error: expected('a list of contracts') })
      // An empty export is far likelier a failed ERP job than a company without customers;
      // loading it would make every request unacceptable.
      .min(1, { error: 'expected at least one contract; an empty export would make every request unacceptable' }),
  },
  { error: expected('an object { "version": 1, "contracts": [...] }') },
);

/** What a valid registry file holds. */
export type RegistryData = z.output<typeof registryFileSchema>;

/** Result of `validateRegistryData`. */
export type RegistryValidation = { ok: true; data: RegistryData } | { ok: false; problems: RegistryProblem[] };

/** Checks parsed JSON against the schema and every rule, collecting all problems. */
export function validateRegistryData(json: unknown): RegistryValidation {
  const parsed = registryFileSchema.safeParse(json);
  const contracts = isRecord(json) && Array.isArray(json.contracts) ? json.contracts : [];
  const ruleProblems = findContractRuleProblems(contracts);
  if (parsed.success && ruleProblems.length === 0) return { ok: true, data: parsed.data };
  const schemaProblems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        path: issue.path.filter((key): key is string | number => typeof key !== 'symbol'),
        message: issue.message,
      }));
  return { ok: false, problems: [...schemaProblems, ...ruleProblems] };
}

/**
 * The rules that span fields or records, for a `contracts` array that may still be partly
 * invalid (each rule looks only at fields that pass their own schema, so nothing is reported
 * twice): on-site vs package, validTo ≥ validFrom, duplicate contract numbers, colliding
 * keypad digits, duplicate serials within a contract. Paths start at `contracts`.
 */
export function findContractRuleProblems(contracts: readonly unknown[]): RegistryProblem[] {
  const problems: RegistryProblem[] = [];
  const byNumber = new Map<string, { index: number; number: string }>();
  const byDigits = new Map<string, { index: number; number: string }>();
  contracts.forEach((record, index) => {
    if (!isRecord(record)) return;
    const at = (...keys: (string | number)[]): (string | number)[] => ['contracts', index, ...keys];

    const pkg = packageSchema.safeParse(record.package);
    const onsite = onsiteSchema.safeParse(record.onsite);
    if (pkg.success && onsite.success) {
      if (pkg.data === 'SOS' && onsite.data === null) {
        problems.push({ path: at('onsite'), message: 'an SOS contract needs an on-site time: expected "8h" or "NBD"' });
      } else if (pkg.data === 'AHB' && onsite.data !== null) {
        problems.push({
          path: at('onsite'),
          message: `an AHB contract has no on-site service: expected null or no "onsite" field, got "${onsite.data}"`,
        });
      }
    }

    const from = calendarDateSchema.safeParse(record.validFrom);
    const to = calendarDateSchema.safeParse(record.validTo);
    if (from.success && to.success && to.data < from.data) {
      problems.push({
        path: at('validTo'),
        message: `expected a date on or after validFrom ("${from.data}"), got "${to.data}"; both dates are inclusive`,
      });
    }

    const number = contractNumberSchema.safeParse(record.number);
    if (number.success) {
      const key = normalizeContractNumber(number.data);
      const digits = contractDigits(number.data);
      const sameNumber = byNumber.get(key);
      const sameDigits = byDigits.get(digits);
      if (sameNumber !== undefined) {
        problems.push({
          path: at('number'),
          message:
            `duplicate contract number "${number.data}": ` +
            `contracts[${sameNumber.index}] is "${sameNumber.number}" ${IGNORED}`,
        });
      } else if (sameDigits !== undefined) {
        problems.push({
          path: at('number'),
          message:
            `keypad digits ${digits} of "${number.data}" are the same as those of ` +
            `contracts[${sameDigits.index}] "${sameDigits.number}": a caller typing them on a phone could not tell the two apart`,
        });
      }
      if (sameNumber === undefined) byNumber.set(key, { index, number: number.data });
      if (sameDigits === undefined) byDigits.set(digits, { index, number: number.data });
    }

    if (Array.isArray(record.devices)) problems.push(...findDuplicateSerials(record.devices, at('devices')));
  });
  return problems;
}

function findDuplicateSerials(devices: readonly unknown[], at: readonly (string | number)[]): RegistryProblem[] {
  const problems: RegistryProblem[] = [];
  const seen = new Map<string, { index: number; serial: string }>();
  devices.forEach((device, index) => {
    if (!isRecord(device)) return;
    const serial = serialSchema.safeParse(device.serial);
    if (!serial.success) return;
    const key = normalizeSerial(serial.data);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, { index, serial: serial.data });
      return;
    }
    problems.push({
      path: [...at, index, 'serial'],
      message: `duplicate serial "${serial.data}" in this contract: devices[${first.index}] is "${first.serial}" ${IGNORED}`,
    });
  });
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Validity on a day.


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

// ---------------------------------------------------------------------------------------------
// The registry.

interface ContractDevices {
  readonly bySerial: ReadonlyMap<string, Device>;
  /** Normalized serial and its digits, for suffix matching without re-normalizing per call. */
  readonly keyed: readonly { readonly device: Device; readonly serial: string; readonly digits: string }[];
}

/**
 * An immutable set of contracts with the lookups the channels need, each answered from a map
 * built once here. A reload builds a new registry; holders of the old one keep a consistent
 * view. The contracts given are frozen.
 */
export class ContractRegistry {
  /** All contracts, in file order. */
  readonly contracts: readonly Contract[];
  /** When the ERP exported the data, if the file says. */
  readonly exportedAt: string | undefined;

  readonly #byNumber = new Map<string, Contract>();
  readonly #byDigits = new Map<string, Contract>();
  readonly #devices = new Map<Contract, ContractDevices>();
  readonly #bySerial = new Map<string, DeviceMatch[]>();
  readonly #byEmail = new Map<string, RepresentativeMatch[]>();
  readonly #byPhone = new Map<string, RepresentativeMatch[]>();

  /**
   * Takes contracts that passed validateRegistryData(), which reports these rules with their
   * lines (REGISTRY_INVALID); contracts that break one anyway are our bug (ImpossibleState).
   */
  constructor(contracts: readonly Contract[], options: { exportedAt?: string } = {}) {
    const problems = findContractRuleProblems(contracts);
    if (problems.length > 0) {
      const listed = problems.map((problem) => `${formatPath(problem.path)}: ${problem.message}`).join('; ');
      impossible(`contracts break registry rules: ${listed}`);
    }
    this.contracts = Object.freeze(contracts.map(freezeContract));
    this.exportedAt = options.exportedAt;
    for (const contract of this.contracts) {
      this.#byNumber.set(normalizeContractNumber(contract.number), contract);
      this.#byDigits.set(contractDigits(contract.number), contract);
      const devices = indexDevices(contract);
      this.#devices.set(contract, devices);
      for (const [serial, device] of devices.bySerial) push(this.#bySerial, serial, { contract, device });
      for (const representative of contract.representatives) {
        push(this.#byEmail, normalizeEmail(representative.email), { contract, representative });
        const phone = normalizePhone(representative.phone);
        if (phone !== null) push(this.#byPhone, phone, { contract, representative });
      }
    }
    // Lookups hand out these lists themselves; frozen, no caller can alter what others see.
    for (const map of [this.#bySerial, this.#byEmail, this.#byPhone]) for (const list of map.values()) Object.freeze(list);
  }

  /** How many contracts. */
  get size(): number {
    return this.contracts.length;
  }

  /** By number, ignoring case, spaces and dashes: `hz 2026 00123`, `HZ202600123`. */
  findContract(text: string): Contract | undefined {
    const key = normalizeContractNumber(text);
    return key === '' ? undefined : this.#byNumber.get(key);
  }

  /** By the number's digits alone, as typed on a keypad (`202600123`); other characters are ignored. */
  findContractByDigits(digits: string): Contract | undefined {
    const key = contractDigits(digits);
    return key === '' ? undefined : this.#byDigits.get(key);
  }

  /** The contract's device with this serial, ignoring case, spaces and dashes. */
  findDevice(contract: Contract, serial: string): Device | undefined {
    return this.#devicesOf(contract).bySerial.get(normalizeSerial(serial));
  }

  /**
   * The contract's devices whose serial ends with `suffix` (case, spaces and dashes ignored).
   * Digits alone also match the serial's digits, so a caller reading `Q48-24-07315` off a label
   * may type `2407315`. Returns every match: more than one means ask for more characters.
   */
  findDevicesBySuffix(contract: Contract, suffix: string): Device[] {
    const wanted = normalizeSerial(suffix);
    if (wanted === '') return [];
    const digitsOnly = /^\d+$/.test(wanted);
    return this.#devicesOf(contract)
      .keyed.filter((entry) => entry.serial.endsWith(wanted) || (digitsOnly && entry.digits.endsWith(wanted)))
      .map((entry) => entry.device);
  }

  /** Every contract listing this serial (a renewed contract may list the same device again). */
  findDeviceAnywhere(serial: string): readonly DeviceMatch[] {
    return this.#bySerial.get(normalizeSerial(serial)) ?? [];
  }

  /** Every contract on which this address (any letter case) is an authorized representative. */
  findRepresentativesByEmail(email: string): readonly RepresentativeMatch[] {
    return this.#byEmail.get(normalizeEmail(email)) ?? [];
  }

  /** Every contract on which this phone number (any usual writing, Polish by default) is a representative's. */
  findRepresentativesByPhone(phone: string): readonly RepresentativeMatch[] {
    const e164 = normalizePhone(phone);
    return e164 === null ? [] : (this.#byPhone.get(e164) ?? []);
  }

  #devicesOf(contract: Contract): ContractDevices {
    // A contract from an earlier registry (held across a reload) is indexed on the fly, so the
    // answer always concerns the very contract passed in.
    return this.#devices.get(contract) ?? indexDevices(contract);
  }
}

function indexDevices(contract: Contract): ContractDevices {
  const bySerial = new Map<string, Device>();
  const keyed = contract.devices.map((device) => {
    const serial = normalizeSerial(device.serial);
    if (!bySerial.has(serial)) bySerial.set(serial, device);
    return { device, serial, digits: serial.replace(/\D/g, '') };
  });
  return { bySerial, keyed };
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function freezeContract(contract: Contract): Contract {
  for (const device of contract.devices) Object.freeze(device);
  for (const representative of contract.representatives) Object.freeze(representative);
  Object.freeze(contract.devices);
  Object.freeze(contract.representatives);
  return Object.freeze(contract);
}

/** `['contracts', 2, 'window']` → `contracts[2].window`; the document itself is `$`. */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '$';
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return `[${JSON.stringify(key)}]`;
      return index === 0 ? key : `.${key}`;
    })
    .join('');
}
