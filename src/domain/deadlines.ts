import { DateTime } from 'luxon';
import { warsawClock } from './warsaw-time.js';
import { impossible, IntakeError } from '../errors.js';
import { DAY_MS, WARSAW_ZONE, type ClosedDay, type ServiceCalendar, type ServiceWindow } from './calendar.js';

/**
 * The deadline engine (DESIGN.md §3): window-time arithmetic and the deadlines stamped on a
 * request, each with a trace in Warsaw time. Instants are epoch milliseconds; everything is
 * computed on UTC ms so that DST never enters the arithmetic, and Warsaw time appears only in
 * the 8x5 opening hours (precomputed by the calendar) and in the words of a trace.
 */

/** An instant as accepted at the public surface. */
export type InstantInput = number | Date;

/** Response time bought by every contract: 60 minutes of window time. */
export const RESPONSE_TIME_MS = 60 * 60_000;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** The range of a JavaScript Date; anything outside cannot be stored or shown. */
const MAX_INSTANT_MS = 8.64e15;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Epoch ms of an instant; INSTANT_INVALID for NaN, ±Infinity or an Invalid Date. */
export function toMillis(instant: InstantInput): number {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  if (!(ms >= -MAX_INSTANT_MS && ms <= MAX_INSTANT_MS)) {
    throw new IntakeError('INSTANT_INVALID', `Not a valid instant: ${String(instant)}.`);
  }
  return ms;
}

function checkDuration(durationMs: number): void {
  // Same rule as the calendar's: a bad duration is our bug, not the caller's.
  if (!Number.isFinite(durationMs)) impossible(`durationMs must be finite, got ${durationMs}`);
}

function invalidWindow(window: string): IntakeError {
  return new IntakeError('WINDOW_INVALID', `Service window must be "8x5" or "24x7", got "${window}".`);
}

/** The instant at which `durationMs` of window time have passed since `fromMs`. */
export function addWindowTime(fromMs: number, durationMs: number, window: ServiceWindow, calendar: ServiceCalendar): number {
  checkDuration(durationMs);
  if (window === '8x5') return calendar.addOpenTime(toMillis(fromMs), durationMs);
  if (window === '24x7') return toMillis(fromMs) + durationMs;
  throw invalidWindow(window);
}

/**
 * The latest instant at which `durationMs` of window time remain before `toMs` (a warning "30
 * window-minutes before the deadline"). On 8x5 it lies inside an open interval, never at 17:00.
 */
export function subtractWindowTime(toMs: number, durationMs: number, window: ServiceWindow, calendar: ServiceCalendar): number {
  checkDuration(durationMs);
  if (window === '8x5') return calendar.subtractOpenTime(toMillis(toMs), durationMs);
  if (window === '24x7') return toMillis(toMs) - durationMs;
  throw invalidWindow(window);
}

/**
 * Window ms between two instants, negative when `bMs` is before `aMs`. A live countdown is
 * `windowTimeBetween(now, deadline)`: on 8x5 it stands still outside opening hours.
 */
export function windowTimeBetween(aMs: number, bMs: number, window: ServiceWindow, calendar: ServiceCalendar): number {
  if (window === '8x5') return calendar.openTimeBetween(toMillis(aMs), toMillis(bMs));
  if (window === '24x7') return toMillis(bMs) - toMillis(aMs);
  throw invalidWindow(window);
}

/** The response deadline: 60 window-minutes after the request was sent. The hot path. */
export function responseDeadline(sentAt: InstantInput, window: ServiceWindow, calendar: ServiceCalendar): number {
  return addWindowTime(toMillis(sentAt), RESPONSE_TIME_MS, window, calendar);
}

/** A stretch of window time that a deadline used. */
export interface DeadlineSegment {
  start: number;
  end: number;
  minutes: number;
}

/** A deadline and the words that explain it. */
export interface TracedDeadline {
  deadline: number;
  /** One line in Warsaw time, shown on the ops page and returned by the API. */
  trace: string;
}

/** A response deadline with its trace and the open stretches it used. */
export interface ExplainedDeadline extends TracedDeadline {
  segments: DeadlineSegment[];
}

/**
 * The response deadline with its trace, e.g.
 * `sent Fri 2026-11-27 16:30 → 30 min Fri + 30 min Mon → due Mon 2026-11-30 09:30 (closed: Sat–Sun 28–29 Nov)`
 * or, on 24x7, `sent Sun 2026-03-29 01:30 CET → 60 min elapsed → due Sun 2026-03-29 03:30 CEST`.
 */
export function explainResponseDeadline(sentAt: InstantInput, window: ServiceWindow, calendar: ServiceCalendar): ExplainedDeadline {
  const sent = toMillis(sentAt);
  const deadline = responseDeadline(sent, window, calendar);
  if (window === '24x7') {
    return {
      deadline,
      trace: `sent ${formatWarsaw(sent, { zone: true })} → ${formatDuration(RESPONSE_TIME_MS)} elapsed → due ${formatWarsaw(deadline, { zone: true })}`,
      segments: [{ start: sent, end: deadline, minutes: RESPONSE_TIME_MS / MINUTE_MS }],
    };
  }
  const segments = calendar
    .openStretches(sent, deadline)
    .map(({ start, end }) => ({ start, end, minutes: (end - start) / MINUTE_MS }));
  // An open stretch lies within 07:00–16:00 UTC, so its UTC weekday is its Warsaw weekday.
  const used = segments.map((s) => `${formatDuration(s.end - s.start)} ${WEEKDAYS[new Date(s.start).getUTCDay()] ?? ''}`).join(' + ');
  const [sentParts, dueParts] = [warsawParts(sent), warsawParts(deadline)];
  const closed = closureNote(calendar.closedDaysBetween(sentParts.date, dueParts.date));
  return {
    deadline,
    trace: `sent ${joinParts(sentParts, nearDstChange(sent))} → ${used} → due ${joinParts(dueParts, false)}${closed}`,
    segments,
  };
}

/** The onsite option of an SOS contract. */
export type OnsiteOption = '8h' | 'NBD';

/**
 * The delivery deadline, counted from the moment an engineer marks the request verified.
 * - `8h`: 8 elapsed hours, whatever the hour or day (the option is bought for round-the-clock
 *   delivery; the terms say "within 8 hours of application approval").
 * - `NBD`: 17:00 Warsaw on the first business day strictly after the Warsaw date of
 *   verification. "Next business day" is read as a date, not as 8x5 window time: a request
 *   verified Monday 08:00 or 16:59 is due Tuesday 17:00 alike, and one verified on a Saturday
 *   or a holiday is due at the end of the first business day after it.
 */
export function deliveryDeadline(verifiedAt: InstantInput, onsite: OnsiteOption, calendar: ServiceCalendar): TracedDeadline {
  const verified = toMillis(verifiedAt);
  if (onsite === '8h') {
    const deadline = verified + 8 * HOUR_MS;
    return { deadline, trace: `verified ${formatWarsaw(verified, { zone: true })} → 8 h elapsed → due ${formatWarsaw(deadline, { zone: true })}` };
  }
  if (onsite !== 'NBD') {
    // Only a contract registry that escaped validation can get here.
    throw new IntakeError('REGISTRY_INVALID', `Onsite option must be "8h" or "NBD", got "${String(onsite)}"; fix the contract.`);
  }
  const day = calendar.nextBusinessDay(warsawDate(verified));
  const hours = calendar.openingHours(day);
  // nextBusinessDay() answers a day with opening hours by definition.
  if (hours === null) impossible(`next business day ${day} has no opening hours`);
  const closed = closureNote(calendar.closedDaysBetween(nextDate(warsawDate(verified)), day));
  return {
    deadline: hours.close,
    trace: `verified ${formatWarsaw(verified, { zone: nearDstChange(verified) })} → next business day → due ${formatWarsaw(hours.close)}${closed}`,
  };
}

/**
 * The return deadline of the damaged device: 7 calendar days after the replacement was
 * delivered. This one is calendar arithmetic in Europe/Warsaw (luxon `plus({ days: 7 })`), not
 * elapsed time: the customer reads "7 days" as the same wall-clock time a week later, which is
 * 167 or 169 elapsed hours when the week holds a DST change.
 */
export function returnDeadline(deliveredAt: InstantInput): TracedDeadline {
  const delivered = toMillis(deliveredAt);
  const deadline = DateTime.fromMillis(delivered, { zone: WARSAW_ZONE }).plus({ days: 7 }).toMillis();
  const hours = (deadline - delivered) / HOUR_MS;
  const note = hours === 7 * 24 ? '' : ` (${hours} h elapsed: DST change)`;
  return { deadline, trace: `delivered ${formatWarsaw(delivered, { zone: true })} → 7 calendar days → due ${formatWarsaw(deadline, { zone: true })}${note}` };
}

/** One alert moment of a deadline. */
export interface DeadlineAlert {
  kind: 'warning' | 'breach';
  /** Window-minutes left at that moment; 0 for the breach. */
  minutesBefore: number;
  at: number;
}

/**
 * The warning minutes of settings (alerts.warnMinutesBefore) as the warnings and the ops page's
 * colours use them: each once, in the order given. One that is not a positive number is a
 * settings mistake (SETTINGS_INVALID).
 */
export function warningMinutes(minutesBefore: readonly number[]): number[] {
  const unique = [...new Set(minutesBefore)];
  for (const minutes of unique) {
    if (!(minutes > 0 && Number.isFinite(minutes))) {
      throw new IntakeError('SETTINGS_INVALID', `Warning minutes must be positive numbers, got ${minutes}.`);
    }
  }
  return unique;
}

/**
 * The alert moments of a deadline, earliest first: a warning at each of `minutesBefore`
 * window-minutes before it (each the latest instant with that much window time left), then the
 * breach at the deadline itself.
 */
export function warningInstants(
  deadline: number,
  window: ServiceWindow,
  calendar: ServiceCalendar,
  minutesBefore: readonly number[] = [30, 15, 5],
): DeadlineAlert[] {
  const alerts: DeadlineAlert[] = warningMinutes(minutesBefore).map((minutes) => ({
    kind: 'warning',
    minutesBefore: minutes,
    at: subtractWindowTime(deadline, minutes * MINUTE_MS, window, calendar),
  }));
  alerts.sort((a, b) => a.at - b.at || b.minutesBefore - a.minutesBefore);
  alerts.push({ kind: 'breach', minutesBefore: 0, at: toMillis(deadline) });
  return alerts;
}

const INSTANT_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/**
 * Epoch ms of an ISO-8601 instant with an offset or Z, e.g. `2026-11-27T16:30:00+01:00`. A
 * local time without an offset is refused: it would be read in whatever zone the process runs
 * in, and "sent" is the one clock the whole deadline hangs on.
 */
export function parseInstant(text: string): number {
  const match = INSTANT_PATTERN.exec(text.trim());
  const fail = (why: string): IntakeError =>
    new IntakeError(
      'INSTANT_INVALID',
      `"${text}" is not an instant: ${why}. Expected ISO-8601 with an offset or Z, e.g. 2026-11-27T16:30:00+01:00 or 2026-11-27T15:30:00Z.`,
    );
  if (match === null) {
    throw fail(/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?)?$/.test(text.trim()) ? 'the offset is missing' : 'unrecognised format');
  }
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(match[i] ?? 0)) as [number, number, number, number, number, number];
  const millis = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetMinutes = match[8] !== undefined ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11] ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw fail('no such date or time');
  }
  if (Number(match[10] ?? 0) > 18 || Number(match[11] ?? 0) > 59) throw fail('the offset is out of range');
  return date.getTime() - offsetMinutes * MINUTE_MS;
}

/** Warsaw wall-clock parts of an instant: weekday `Fri`, date `2026-11-27`, time, zone `CET`. */
interface WarsawParts {
  weekday: string;
  date: string;
  hhmm: string;
  seconds: string;
  zone: string;
}

function warsawParts(ms: number): WarsawParts {
  const c = warsawClock(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return {
    weekday: c.weekday,
    date: `${String(c.year).padStart(4, '0')}-${two(c.month)}-${two(c.day)}`,
    hhmm: `${two(c.hour)}:${two(c.minute)}`,
    // Seconds and ms only when present, so that ordinary traces stay short.
    seconds: c.millisecond !== 0 ? `:${two(c.second)}.${String(c.millisecond).padStart(3, '0')}` : c.second !== 0 ? `:${two(c.second)}` : '',
    zone: c.zone,
  };
}

/**
 * An instant in Warsaw time, e.g. `Fri 2026-11-27 16:30` (seconds and ms only when not zero);
 * with `zone` the abbreviation follows (`CET`/`CEST`), needed wherever DST makes a time ambiguous.
 */
export function formatWarsaw(ms: number, options: { zone?: boolean } = {}): string {
  return joinParts(warsawParts(ms), options.zone === true);
}

function joinParts({ weekday, date, hhmm, seconds, zone }: WarsawParts, withZone: boolean): string {
  return `${weekday} ${date} ${hhmm}${seconds}${withZone ? ` ${zone}` : ''}`;
}

/** The Warsaw date (`YYYY-MM-DD`) of an instant. */
export function warsawDate(ms: number): string {
  return warsawParts(ms).date;
}

/** A `YYYY-MM-DD` date as a UTC Date, for weekday and month names without a zone lookup. */
function utcDate(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

function nextDate(date: string): string {
  return new Date(utcDate(date).getTime() + DAY_MS).toISOString().slice(0, 10);
}

/** True within an hour of a DST change, where a Warsaw wall-clock time needs its zone. */
function nearDstChange(ms: number): boolean {
  return warsawParts(ms - HOUR_MS).zone !== warsawParts(ms + HOUR_MS).zone;
}

/** `30 min`, or `29 min 40 s` when the sent time had seconds. */
function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / MINUTE_MS);
  const rest = ms - minutes * MINUTE_MS;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${rest / 1000} s`;
}

/**
 * ` (closed: Sat–Sun 28–29 Nov)`, ` (closed: Thu–Sat 24–26 Dec holidays, Sun 27 Dec)`: runs of
 * consecutive closed days of one kind; a single holiday is given by name.
 */
function closureNote(days: readonly ClosedDay[]): string {
  if (days.length === 0) return '';
  const runs: ClosedDay[][] = [];
  for (const day of days) {
    const run = runs.at(-1);
    const last = run?.at(-1);
    if (run !== undefined && last !== undefined && last.kind === day.kind && nextDate(last.date) === day.date) run.push(day);
    else runs.push([day]);
  }
  const words = runs.map((run) => {
    const first = run[0];
    const last = run.at(-1);
    if (first === undefined || last === undefined) return '';
    const [from, to] = [utcDate(first.date), utcDate(last.date)];
    const dayMonth = (d: Date): string => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ''}`;
    const weekday = (d: Date): string => WEEKDAYS[d.getUTCDay()] ?? '';
    if (run.length === 1) return `${weekday(from)} ${dayMonth(from)}${first.kind === 'weekend' ? '' : ` ${first.reason}`}`;
    const dates = from.getUTCMonth() === to.getUTCMonth() ? `${from.getUTCDate()}–${dayMonth(to)}` : `${dayMonth(from)}–${dayMonth(to)}`;
    const kind = first.kind === 'holiday' ? ' holidays' : first.kind === 'extra closure' ? ' extra closures' : '';
    return `${weekday(from)}–${weekday(to)} ${dates}${kind}`;
  });
  return ` (closed: ${words.join(', ')})`;
}
