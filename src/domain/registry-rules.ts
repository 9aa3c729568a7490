/**
 * What a contract registry file must satisfy: zod schemas field by field, and the rules that
 * span fields or records (on-site vs package, date order, duplicates), all problems reported at
 * once with their JSON path. Pure: reading the file is src/registry/registry-file.ts.
 */
import { z } from 'zod';
import { isCalendarDate, normalizeContractNumber, contractDigits, normalizePhone, normalizeSerial, ONSITE_TIMES, SERVICE_PACKAGES, SERVICE_WINDOWS } from './contract-terms.js';

/** One thing wrong with registry data: where (a JSON path as keys) and what is expected. */
export interface RegistryProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
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

const SERIAL_WHAT = 'the serial number: letters and digits, optionally grouped by dashes, dots, slashes or spaces';
const IGNORED = '(case, spaces and dashes are ignored when comparing)';
const CONTRACT_NUMBER_WHAT =
  'a contract number like "HZ-2026-00123": letters and digits in groups joined by single dashes, with at least one digit';
const DATE_WHAT = 'a calendar date YYYY-MM-DD, e.g. "2026-01-01"';
const PHONE_WHAT = 'a valid phone number, e.g. "+48 600 100 200" (without a country code it is read as Polish)';

/** An optional true/false (a quoted "true" is refused: ERP exports that quote booleans quote other things too). */
function optionalFlag(what: string) {
  return z.boolean({ error: expected(what) }).optional();
}

function requiredText(what: string): z.ZodString {
  return z.string({ error: expected(what) }).trim().min(1, { error: expected(what) });
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
