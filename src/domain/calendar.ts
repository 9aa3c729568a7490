import Holidays from 'date-holidays';
import { DateTime, IANAZone } from 'luxon';
import { impossible, IntakeError } from '../errors.js';

/** The two request windows a contract can buy (DESIGN.md §3). */
export type ServiceWindow = '8x5' | '24x7';

/** Why a Warsaw calendar day is closed in the 8x5 window. */
export type ClosureKind = 'weekend' | 'holiday' | 'extra closure';

/** One closed day, as listed in traces. */
export interface ClosedDay {
  /** Warsaw calendar date, `YYYY-MM-DD`. */
  date: string;
  kind: ClosureKind;
  /** The holiday's name from date-holidays (Polish), otherwise the kind itself. */
  reason: string;
}

/** Construction options; all optional. */
export interface ServiceCalendarOptions {
  /** Extra closure days from config, Warsaw dates `YYYY-MM-DD`. */
  extraClosures?: readonly string[];
  /** First year the calendar answers for (default 2000). Earlier instants are INSTANT_INVALID. */
  fromYear?: number;
  /** Last year the calendar answers for (default 2100). Later instants are INSTANT_INVALID. */
  toYear?: number;
}

export const WARSAW_ZONE = 'Europe/Warsaw';
export const DAY_MS = 86_400_000;
const OPEN_HOUR = 9;
const CLOSE_HOUR = 17;
/** Wigilia became a statutory holiday by the act of 2024, first observed in 2025. */
const CHRISTMAS_EVE_FROM_YEAR = 2025;

const KIND_OPEN = 0;
const KIND_WEEKEND = 1;
const KIND_HOLIDAY = 2;
const KIND_EXTRA = 3;
const KIND_NAMES: Partial<Record<number, ClosureKind>> = { 1: 'weekend', 2: 'holiday', 3: 'extra closure' };

/**
 * What one year looks like before extra closures: Warsaw 09:00/17:00 of every day as UTC ms and
 * the public holidays. It depends only on the year, so it is built once per process and shared
 * by every calendar; date-holidays costs a few milliseconds per year, luxon about 20 µs per call.
 */
interface YearTemplate {
  firstDay: number;
  open: Float64Array;
  close: Float64Array;
  holidays: Map<number, string>;
}

const yearTemplates = new Map<number, YearTemplate>();
let holidaySource: Holidays | undefined;
const warsaw = IANAZone.create(WARSAW_ZONE);

function yearTemplate(year: number): YearTemplate {
  const cached = yearTemplates.get(year);
  if (cached !== undefined) return cached;
  const firstDay = Date.UTC(year, 0, 1) / DAY_MS;
  const days = Date.UTC(year + 1, 0, 1) / DAY_MS - firstDay;
  const { open, close } = openingInstants(firstDay, days);
  const template: YearTemplate = { firstDay, open, close, holidays: publicHolidays(year) };
  yearTemplates.set(year, template);
  return template;
}

/**
 * 09:00 and 17:00 Warsaw of each day as UTC ms. The offset at 12:00 UTC is sampled weekly and
 * filled in between when a week starts and ends on the same offset (Warsaw changes at most twice
 * a year, at 01:00 UTC); days next to a change are converted exactly with luxon.
 */
function openingInstants(firstDay: number, days: number): { open: Float64Array; close: Float64Array } {
  // noon[i] is the offset (minutes) at 12:00 UTC of day firstDay - 1 + i: one day of margin each side.
  const noon = new Float64Array(days + 2);
  const noonOffset = (i: number): number => warsaw.offset((firstDay - 1 + i) * DAY_MS + DAY_MS / 2);
  let previous = 0;
  noon[0] = noonOffset(0);
  for (let i = 7; ; i += 7) {
    const at = Math.min(i, days + 1);
    noon[at] = noonOffset(at);
    const same = noon[at] === noon[previous];
    for (let j = previous + 1; j < at; j++) noon[j] = same ? (noon[previous] ?? 0) : noonOffset(j);
    if (at === days + 1) break;
    previous = at;
  }
  const open = new Float64Array(days);
  const close = new Float64Array(days);
  for (let i = 0; i < days; i++) {
    const day = firstDay + i;
    const offset = noon[i + 1] ?? 0;
    if (noon[i] === offset && noon[i + 2] === offset) {
      open[i] = day * DAY_MS + (OPEN_HOUR * 60 - offset) * 60_000;
      close[i] = day * DAY_MS + (CLOSE_HOUR * 60 - offset) * 60_000;
    } else {
      const date = new Date(day * DAY_MS);
      const local = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
      open[i] = DateTime.fromObject({ ...local, hour: OPEN_HOUR }, { zone: WARSAW_ZONE }).toMillis();
      close[i] = DateTime.fromObject({ ...local, hour: CLOSE_HOUR }, { zone: WARSAW_ZONE }).toMillis();
    }
  }
  return { open, close };
}

/** Polish public holidays of a year by epoch day; observances (e.g. Walentynki) never enter. */
function publicHolidays(year: number): Map<number, string> {
  holidaySource ??= new Holidays('PL', { types: ['public'] });
  const holidays = new Map<number, string>();
  for (const holiday of holidaySource.getHolidays(year)) {
    if (holiday.type !== 'public') continue;
    const day = epochDayOf(holiday.date.slice(0, 10));
    const known = holidays.get(day);
    holidays.set(day, known === undefined ? holiday.name : `${known}; ${holiday.name}`);
  }
  // date-holidays 3.37 already says "12-24 since 2025"; the rule is forced here so that a
  // library update cannot silently move deadlines around Christmas in either direction.
  const christmasEve = Date.UTC(year, 11, 24) / DAY_MS;
  if (year < CHRISTMAS_EVE_FROM_YEAR) holidays.delete(christmasEve);
  else if (!holidays.has(christmasEve)) holidays.set(christmasEve, 'Wigilia Bożego Narodzenia');
  return holidays;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date, or NaN when it is not a real date. */
function epochDayOf(date: string): number {
  const match = DATE_PATTERN.exec(date);
  if (match === null) return NaN;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const check = new Date(ms);
  return check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day
    ? ms / DAY_MS
    : NaN;
}

/** The `YYYY-MM-DD` of an epoch day. */
function dateOfEpochDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * The 8x5 service calendar: Monday–Friday 09:00–17:00 Europe/Warsaw, except Polish public
 * holidays and configured extra closures.
 *
 * Hot-path lookups are array reads. Because 09:00–17:00 Warsaw is 07:00–16:00 UTC, the UTC day
 * of an instant is its Warsaw date whenever the instant can be inside an open interval, so day
 * `d` (days since the epoch, minus `firstDay`) indexes `open[d]`/`close[d]` (NaN when closed),
 * `nextOpen[d]`/`prevOpen[d]` (skip tables over closed days) and `cumOpen[d]` (open ms before day
 * `d`, for O(1) window time between two instants). Years are built lazily as instants reach
 * them, so a calendar costs nothing until it is used and the span can stay wide.
 */
export class ServiceCalendar {
  /** The years this calendar answers for; instants outside are INSTANT_INVALID. */
  readonly fromYear: number;
  readonly toYear: number;
  private readonly extraClosures: ReadonlySet<number>;
  private builtFromYear = 0;
  private builtToYear = -1;
  private firstDay = 0;
  private days = 0;
  private kind = new Uint8Array(0);
  private open = new Float64Array(0);
  private close = new Float64Array(0);
  private nextOpen = new Int32Array(1);
  private prevOpen = new Int32Array(0);
  private cumOpen = new Float64Array(1);

  constructor(options: ServiceCalendarOptions = {}) {
    this.fromYear = options.fromYear ?? 2000;
    this.toYear = options.toYear ?? 2100;
    if (!Number.isInteger(this.fromYear) || !Number.isInteger(this.toYear) || this.fromYear > this.toYear) {
      throw new IntakeError('SETTINGS_INVALID', `Calendar years must be integers with fromYear <= toYear, got ${this.fromYear}..${this.toYear}.`);
    }
    const extra = new Set<number>();
    (options.extraClosures ?? []).forEach((date, index) => {
      const day = epochDayOf(date);
      if (Number.isNaN(day)) {
        throw new IntakeError('SETTINGS_INVALID', `Extra closure "${date}" is not a date; write it as YYYY-MM-DD.`, {
          details: [{ path: `extraClosures[${index}]`, message: 'expected a Warsaw date YYYY-MM-DD' }],
        });
      }
      extra.add(day);
    });
    this.extraClosures = extra;
  }

  /** True when the Warsaw date is a working day of the 8x5 window. */
  isBusinessDay(date: string): boolean {
    return this.kindOf(this.coveredDay(date)) === KIND_OPEN;
  }

  /** Why the date is closed: the holiday's name, 'extra closure' or 'weekend'; null when open. */
  closureReason(date: string): string | null {
    return this.reasonOf(this.coveredDay(date));
  }

  /** The first business day strictly after the given Warsaw date. */
  nextBusinessDay(date: string): string {
    const after = this.coveredDay(date) + 1;
    for (;;) {
      this.cover(after);
      const found = this.nextOpen[after - this.firstDay] ?? this.days;
      if (found < this.days) return dateOfEpochDay(found + this.firstDay);
      this.extend(this.builtFromYear, this.builtToYear + 1);
    }
  }

  /** 09:00 and 17:00 Warsaw of the date as UTC ms, or null when the date is closed. */
  openingHours(date: string): { open: number; close: number } | null {
    const d = this.coveredDay(date) - this.firstDay;
    return this.kind[d] === KIND_OPEN ? { open: this.open[d] ?? NaN, close: this.close[d] ?? NaN } : null;
  }

  /** The closed days in [fromDate, toDate), for traces. */
  closedDaysBetween(fromDate: string, toDate: string): ClosedDay[] {
    const last = this.coveredDay(toDate);
    const closed: ClosedDay[] = [];
    for (let day = this.coveredDay(fromDate); day < last; day++) {
      const reason = this.reasonOf(this.cover(day));
      const kind = KIND_NAMES[this.kindOf(day)];
      if (reason !== null && kind !== undefined) closed.push({ date: dateOfEpochDay(day), kind, reason });
    }
    return closed;
  }

  /** True when the 8x5 window is open at the instant: [09:00, 17:00) on a business day. */
  isOpenAt(ms: number): boolean {
    const d = this.cover(Math.floor(ms / DAY_MS)) - this.firstDay;
    return ms >= (this.open[d] ?? NaN) && ms < (this.close[d] ?? NaN);
  }

  /**
   * The earliest instant by which `durationMs` of open time have passed since `fromMs`. A clock
   * that runs out exactly at 17:00 is due at 17:00, not at the next opening: the deadline is the
   * moment the time is used up, which is never inside a closure.
   */
  addOpenTime(fromMs: number, durationMs: number): number {
    const d0 = Math.floor(fromMs / DAY_MS) - this.firstDay;
    if (!(d0 >= 0 && d0 < this.days)) this.cover(Math.floor(fromMs / DAY_MS));
    if (!(durationMs > 0 && durationMs < Infinity)) return this.unusualDuration(fromMs, durationMs, 'subtract');
    for (;;) {
      const due = this.walkForward(fromMs, durationMs);
      if (!Number.isNaN(due)) return due;
      this.extend(this.builtFromYear, this.builtToYear + 1);
    }
  }

  /**
   * The latest instant at which `durationMs` of open time remain before `toMs`. For a Monday
   * 09:30 deadline and 30 minutes that is Monday 09:00, not Friday 17:00: a warning is meant to
   * reach engineers when the remaining time starts to run out, not before a weekend.
   */
  subtractOpenTime(toMs: number, durationMs: number): number {
    this.cover(Math.floor(toMs / DAY_MS));
    if (!(durationMs > 0 && durationMs < Infinity)) return this.unusualDuration(toMs, durationMs, 'add');
    for (;;) {
      const at = this.walkBackward(toMs, durationMs);
      if (!Number.isNaN(at)) return at;
      this.extend(this.builtFromYear - 1, this.builtToYear);
    }
  }

  /** Open time in ms between two instants; negative when `bMs` is before `aMs`. */
  openTimeBetween(aMs: number, bMs: number): number {
    this.cover(Math.floor(aMs / DAY_MS));
    this.cover(Math.floor(bMs / DAY_MS));
    return this.openTimeBefore(bMs) - this.openTimeBefore(aMs);
  }

  /** The open stretches within [aMs, bMs], earliest first: what a trace lists as "30 min Fri". */
  openStretches(aMs: number, bMs: number): Array<{ start: number; end: number }> {
    this.cover(Math.floor(aMs / DAY_MS));
    this.cover(Math.floor(bMs / DAY_MS));
    const stretches: Array<{ start: number; end: number }> = [];
    for (let d = this.nextOpen[Math.floor(aMs / DAY_MS) - this.firstDay] ?? this.days; d < this.days; d = this.nextOpen[d + 1] ?? this.days) {
      const start = Math.max(aMs, this.open[d] ?? NaN);
      const end = Math.min(bMs, this.close[d] ?? NaN);
      if (!(start <= bMs)) break;
      if (start < end) stretches.push({ start, end });
    }
    return stretches;
  }

  /** Zero returns the instant itself, a negative duration runs the other way, NaN is a bug. */
  private unusualDuration(ms: number, durationMs: number, negativeRunsAs: 'add' | 'subtract'): number {
    // A bad duration is a bug in our code (durations are constants or validated settings), not
    // something a caller can fix, hence an assertion rather than an IntakeError code.
    if (!Number.isFinite(durationMs)) impossible(`durationMs must be finite, got ${durationMs}`);
    if (durationMs === 0) return ms;
    return negativeRunsAs === 'add' ? this.addOpenTime(ms, -durationMs) : this.subtractOpenTime(ms, -durationMs);
  }

  /** Open ms from the start of the built range to `ms` (the day must be built). */
  private openTimeBefore(ms: number): number {
    const d = Math.floor(ms / DAY_MS) - this.firstDay;
    const base = this.cumOpen[d] ?? NaN;
    const open = this.open[d] ?? NaN;
    if (!(ms > open)) return base; // also when closed: NaN never compares
    const close = this.close[d] ?? NaN;
    return base + (ms < close ? ms - open : close - open);
  }

  /** The forward walk; NaN when it runs off the built range (the caller extends and retries). */
  private walkForward(fromMs: number, durationMs: number): number {
    const { open, close, nextOpen, days } = this;
    let d = nextOpen[Math.floor(fromMs / DAY_MS) - this.firstDay] ?? days;
    let t = fromMs;
    let left = durationMs;
    while (d < days) {
      const opens = open[d] ?? NaN;
      const closes = close[d] ?? NaN;
      if (t < opens) t = opens;
      if (t < closes) {
        if (left <= closes - t) return t + left;
        left -= closes - t;
      }
      d = nextOpen[d + 1] ?? days;
    }
    return NaN;
  }

  /** The backward walk; NaN when it runs off the start of the built range. */
  private walkBackward(toMs: number, durationMs: number): number {
    const { open, close, prevOpen } = this;
    let d = prevOpen[Math.floor(toMs / DAY_MS) - this.firstDay] ?? -1;
    let t = toMs;
    let left = durationMs;
    while (d >= 0) {
      const opens = open[d] ?? NaN;
      const closes = close[d] ?? NaN;
      if (t > closes) t = closes;
      if (t > opens) {
        if (left <= t - opens) return t - left;
        left -= t - opens;
      }
      d = d === 0 ? -1 : (prevOpen[d - 1] ?? -1);
    }
    return NaN;
  }

  /** The closure kind of a built epoch day. */
  private kindOf(epochDay: number): number {
    return this.kind[epochDay - this.firstDay] ?? KIND_OPEN;
  }

  private reasonOf(epochDay: number): string | null {
    const kind = this.kindOf(epochDay);
    if (kind === KIND_HOLIDAY) {
      return yearTemplate(new Date(epochDay * DAY_MS).getUTCFullYear()).holidays.get(epochDay) ?? 'holiday';
    }
    return KIND_NAMES[kind] ?? null;
  }

  /** The epoch day of a `YYYY-MM-DD` date, its year built. */
  private coveredDay(date: string): number {
    const day = epochDayOf(date);
    if (Number.isNaN(day)) {
      throw new IntakeError('INSTANT_INVALID', `Expected a Warsaw calendar date as YYYY-MM-DD, got "${date}".`);
    }
    return this.cover(day);
  }

  /** Makes sure the epoch day is built and returns it; throws outside [fromYear, toYear]. */
  private cover(epochDay: number): number {
    if (epochDay >= this.firstDay && epochDay < this.firstDay + this.days) return epochDay;
    const year = Number.isFinite(epochDay) ? new Date(epochDay * DAY_MS).getUTCFullYear() : NaN;
    if (this.days === 0) this.extend(year, Math.min(year + 1, this.toYear));
    else this.extend(Math.min(year, this.builtFromYear), Math.max(year, this.builtToYear));
    return epochDay;
  }

  /** Rebuilds the arrays for [fromYear, toYear]; the templates make this a copy, not a lookup. */
  private extend(fromYear: number, toYear: number): void {
    if (!(fromYear >= this.fromYear && toYear <= this.toYear && fromYear <= toYear)) {
      throw new IntakeError('INSTANT_INVALID', `The instant lies outside the service calendar (${this.fromYear}–${this.toYear}).`);
    }
    const templates: YearTemplate[] = [];
    for (let year = fromYear; year <= toYear; year++) templates.push(yearTemplate(year));
    const firstDay = Date.UTC(fromYear, 0, 1) / DAY_MS;
    const days = Date.UTC(toYear + 1, 0, 1) / DAY_MS - firstDay;
    const kind = new Uint8Array(days);
    const open = new Float64Array(days);
    const close = new Float64Array(days);
    for (const template of templates) {
      const at = template.firstDay - firstDay;
      open.set(template.open, at);
      close.set(template.close, at);
      for (let i = 0; i < template.open.length; i++) {
        const day = template.firstDay + i;
        const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
        if (template.holidays.has(day)) kind[at + i] = KIND_HOLIDAY;
        else if (this.extraClosures.has(day)) kind[at + i] = KIND_EXTRA;
        else if (weekday === 0 || weekday === 6) kind[at + i] = KIND_WEEKEND;
        if (kind[at + i] !== KIND_OPEN) open[at + i] = close[at + i] = NaN;
      }
    }
    const nextOpen = new Int32Array(days + 1);
    nextOpen[days] = days;
    for (let d = days - 1; d >= 0; d--) nextOpen[d] = kind[d] === KIND_OPEN ? d : (nextOpen[d + 1] ?? days);
    const prevOpen = new Int32Array(days);
    const cumOpen = new Float64Array(days + 1);
    for (let d = 0; d < days; d++) {
      const isOpen = kind[d] === KIND_OPEN;
      prevOpen[d] = isOpen ? d : d === 0 ? -1 : (prevOpen[d - 1] ?? -1);
      cumOpen[d + 1] = (cumOpen[d] ?? 0) + (isOpen ? (close[d] ?? 0) - (open[d] ?? 0) : 0);
    }
    this.builtFromYear = fromYear;
    this.builtToYear = toYear;
    this.firstDay = firstDay;
    this.days = days;
    this.kind = kind;
    this.open = open;
    this.close = close;
    this.nextOpen = nextOpen;
    this.prevOpen = prevOpen;
    this.cumOpen = cumOpen;
  }
}
