/**
 * Who a data-subject request is about, and how their traces are recognised in what the gateway
 * keeps: an e-mail address (case-insensitive) or a phone number (any spelling of the same
 * number: `+48 500 000 002`, `500-000-002`, `+48500000002`), plus the names they gave, which
 * are learned from their requests. Pure.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Reporter } from '../domain/request.js';
import { IntakeError } from '../errors.js';
import { bareAddress } from '../util/mail-address.js';

/** The person a request to export or erase is about: by one e-mail address or one phone number. */
export interface DataSubject {
  email?: string;
  /** E.164 (`+48500000002`). */
  phone?: string;
}

/** What replaces removed personal text. */
export const REMOVED = '[usunięto / removed]';

/**
 * The subject from `--email` / `--phone` (or the API's query): exactly one, and well-formed;
 * anything else is an INPUT_INVALID error naming what was wrong.
 */
export function parseDataSubject(input: { email?: string | undefined; phone?: string | undefined }): DataSubject {
  const email = input.email?.trim();
  const phone = input.phone?.trim();
  if ((email ? 1 : 0) + (phone ? 1 : 0) !== 1) {
    throw new IntakeError('INPUT_INVALID', 'Give exactly one of an e-mail address (--email, "email") or a phone number (--phone, "phone").');
  }
  if (email) {
    const bare = bareAddress(email).toLowerCase();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(bare)) throw new IntakeError('INPUT_INVALID', `"${email}" is not an e-mail address.`);
    return { email: bare };
  }
  const e164 = normalizePhone(phone as string);
  if (!e164) throw new IntakeError('INPUT_INVALID', `"${phone}" is not a phone number (e.g. +48 500 000 002).`);
  return { phone: e164 };
}

/** A phone number as E.164 (Polish numbers may be given without +48), or undefined. */
export function normalizePhone(text: string): string | undefined {
  const parsed = parsePhoneNumberFromString(text, 'PL');
  return parsed?.isPossible() ? parsed.number : undefined;
}

/** Whether a reporter (of a request or of a reply) is the subject. */
export function isSubject(reporter: Reporter | undefined, subject: DataSubject): boolean {
  if (!reporter) return false;
  if (subject.email && reporter.email && bareAddress(reporter.email).toLowerCase() === subject.email) return true;
  if (subject.phone && reporter.phone && normalizePhone(reporter.phone) === subject.phone) return true;
  return false;
}

/**
 * Recognises a person's traces in any text: their e-mail address, their phone number in any
 * spelling, and the names they gave. Built once per person (or per request, for retention).
 */
/** Alternatives per regular expression: a sweep's thousands of people make several, not one too large to compile. */
const PARTS_PER_PATTERN = 200;

export class TraceMatcher {
  private readonly patterns: RegExp[];

  constructor(traces: { emails?: Iterable<string>; phones?: Iterable<string>; names?: Iterable<string> }) {
    const parts: string[] = [];
    // Whole addresses and whole names only: anna@example.pl is not in joanna@example.pl, and
    // "Osoba 7" is not in "Osoba 70".
    for (const email of traces.emails ?? []) if (email.trim()) parts.push(`(?<![\\p{L}\\p{N}._%+-])${escapeRegExp(bareAddress(email).toLowerCase())}(?![\\p{L}\\p{N}_-]|\\.[\\p{L}\\p{N}])`);
    for (const phone of traces.phones ?? []) {
      const e164 = normalizePhone(phone);
      if (!e164) continue;
      // The national digits with any separators between them, with or without the country code.
      const parsed = parsePhoneNumberFromString(e164);
      const national = parsed?.nationalNumber ?? '';
      const country = parsed?.countryCallingCode ?? '';
      if (national.length < 6) continue;
      const digits = national.split('').map(escapeRegExp).join('[\\s.()/-]*');
      parts.push(`(?<![0-9])(?:(?:\\+|00)?${country}[\\s.()/-]*)?${digits}(?![0-9])`);
    }
    // A name shorter than 3 characters would match inside ordinary words.
    for (const name of traces.names ?? []) if (name.trim().length >= 3) parts.push(`(?<![\\p{L}\\p{N}])${escapeRegExp(name.trim()).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`);
    const unique = [...new Set(parts)];
    this.patterns = [];
    for (let i = 0; i < unique.length; i += PARTS_PER_PATTERN) this.patterns.push(new RegExp(unique.slice(i, i + PARTS_PER_PATTERN).join('|'), 'giu'));
  }

  /** Whether the text holds a trace. */
  matches(text: string): boolean {
    return this.patterns.some((pattern) => {
      pattern.lastIndex = 0;
      return pattern.test(text);
    });
  }

  /** The text with every trace replaced by REMOVED. */
  scrub(text: string): string {
    return this.patterns.reduce((scrubbed, pattern) => scrubbed.replace(pattern, REMOVED), text);
  }

  /** A deep copy of a JSON value with every string scrubbed (object keys too). */
  scrubValue<T>(value: T): T {
    return scrubDeep(value, this) as T;
  }

  /** Whether any string in a JSON value holds a trace. */
  mentionedIn(value: unknown): boolean {
    if (typeof value === 'string') return this.matches(value);
    if (Array.isArray(value)) return value.some((item) => this.mentionedIn(item));
    if (value && typeof value === 'object') return Object.entries(value).some(([key, item]) => this.matches(key) || this.mentionedIn(item));
    return false;
  }
}

function scrubDeep(value: unknown, matcher: TraceMatcher): unknown {
  if (typeof value === 'string') return matcher.scrub(value);
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, matcher));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [matcher.scrub(key), scrubDeep(item, matcher)]));
  return value;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
