/**
 * Request numbers as people read, type and write them back: `HZ-2026-000123`, the year of
 * filing (Warsaw) and a sequence of that year. Every spelling of it — the pattern, the keypad
 * digits, the number written inside subjects — is derived here, from these three constants.
 */

const PREFIX = 'HZ';
const YEAR_DIGITS = 4;
const SEQUENCE_DIGITS = 6;

/** The number's pattern without anchors, for patterns that hold it (Message-IDs, subjects). */
export const REQUEST_NUMBER_SOURCE = `${PREFIX}-\\d{${YEAR_DIGITS}}-\\d{${SEQUENCE_DIGITS}}`;

/** A whole request number in its canonical (upper-case) spelling. */
export const REQUEST_NUMBER = new RegExp(`^${REQUEST_NUMBER_SOURCE}$`);

/** Finds request numbers in free text (subjects, bodies, speech), tolerant of case. */
export const REQUEST_NUMBER_IN_TEXT = new RegExp(`\\b${PREFIX}-(\\d{${YEAR_DIGITS}})-(\\d{${SEQUENCE_DIGITS}})\\b`, 'gi');

const REQUEST_NUMBER_ANY_CASE = new RegExp(`^${REQUEST_NUMBER_SOURCE}$`, 'i');
const KEYPAD_DIGITS = new RegExp(`^20\\d{${YEAR_DIGITS - 2 + SEQUENCE_DIGITS}}$`);

export function formatRequestNumber(year: number, sequence: number): string {
  return `${PREFIX}-${year}-${String(sequence).padStart(SEQUENCE_DIGITS, '0')}`;
}

/**
 * The number of `year` as a printf template (`HZ-2026-%06d`), for the allocation script in
 * Redis: it draws the sequence and formats the number in the same atomic step, without a
 * spelling of its own.
 */
export function requestNumberTemplate(year: number): string {
  return `${PREFIX}-${year}-%0${SEQUENCE_DIGITS}d`;
}

/** `hz-2026-000123` → `HZ-2026-000123`; null for anything that is not a whole request number. */
export function parseRequestNumber(text: string): string | null {
  return REQUEST_NUMBER_ANY_CASE.test(text) ? text.toUpperCase() : null;
}

/** Request numbers in a text, upper-cased, in order of appearance, without repeats. */
export function requestNumbersIn(text: string): string[] {
  return [...new Set([...text.matchAll(REQUEST_NUMBER_IN_TEXT)].map((match) => match[0].toUpperCase()))];
}

/**
 * `2026000123` → `HZ-2026-000123`: a number typed on a phone keypad (its digits, the year
 * first); null unless it is ten digits of a year 20xx.
 */
export function requestNumberFromKeypad(digits: string): string | null {
  if (!KEYPAD_DIGITS.test(digits)) return null;
  return formatRequestNumber(Number(digits.slice(0, YEAR_DIGITS)), Number(digits.slice(YEAR_DIGITS)));
}
