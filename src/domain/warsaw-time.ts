/**
 * Warsaw wall-clock parts of an instant without a time-zone library call per instant.
 * Formatting through Intl or luxon costs tens of microseconds each (it was the largest cost of
 * stamping a request); the offset of Europe/Warsaw is +1 h, or +2 h during EU summer time.
 * Each year's switch instants are found once and checked against the platform's time-zone
 * data, so a change of the rules (the EU has debated ending the switch) is followed, not
 * assumed away: a year whose check fails is answered through Intl.
 */
const HOUR_MS = 3_600_000;
const ZONE = 'Europe/Warsaw';
const OFFSET_PARTS = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, timeZoneName: 'longOffset' });
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** Per year: [summer time starts, ends] in UTC ms, or null when the EU rule does not hold. */
const summerTime = new Map<number, readonly [number, number] | null>();

function intlOffsetMs(ms: number): number {
  const name = OFFSET_PARTS.formatToParts(ms).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return (match[1] === '-' ? -minutes : minutes) * 60_000;
}

/** 01:00 UTC on the last Sunday of a month (0-based), when EU clocks change. */
function lastSundayAtOneUtc(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  return Date.UTC(year, month, lastDay.getUTCDate() - lastDay.getUTCDay(), 1);
}

function summerTimeOf(year: number): readonly [number, number] | null {
  let span = summerTime.get(year);
  if (span === undefined) {
    const start = lastSundayAtOneUtc(year, 2);
    const end = lastSundayAtOneUtc(year, 9);
    const holds =
      intlOffsetMs(Date.UTC(year, 0, 15)) === HOUR_MS &&
      intlOffsetMs(start - 1) === HOUR_MS &&
      intlOffsetMs(start) === 2 * HOUR_MS &&
      intlOffsetMs(end - 1) === 2 * HOUR_MS &&
      intlOffsetMs(end) === HOUR_MS &&
      intlOffsetMs(Date.UTC(year, 11, 15)) === HOUR_MS;
    span = holds ? ([start, end] as const) : null;
    summerTime.set(year, span);
  }
  return span;
}

/** The UTC offset of Europe/Warsaw at an instant, in ms. */
export function warsawOffsetMs(ms: number): number {
  const span = summerTimeOf(new Date(ms).getUTCFullYear());
  if (span === null) return intlOffsetMs(ms);
  return ms >= span[0] && ms < span[1] ? 2 * HOUR_MS : HOUR_MS;
}

/** Warsaw wall-clock fields of an instant. */
export interface WarsawClock {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  weekday: (typeof WEEKDAYS)[number];
  /** `CET` or `CEST` (or `GMT+hh:mm` should the rules ever change). */
  zone: string;
  offsetMs: number;
}

export function warsawClock(ms: number): WarsawClock {
  const offsetMs = warsawOffsetMs(ms);
  const local = new Date(ms + offsetMs);
  const zone = offsetMs === HOUR_MS ? 'CET' : offsetMs === 2 * HOUR_MS ? 'CEST' : `GMT+${offsetMs / HOUR_MS}`;
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    millisecond: local.getUTCMilliseconds(),
    weekday: WEEKDAYS[local.getUTCDay()] as WarsawClock['weekday'],
    zone,
    offsetMs,
  };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The Warsaw calendar date of an instant, `YYYY-MM-DD`. */
export function warsawDateString(ms: number): string {
  const c = warsawClock(ms);
  return `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)}`;
}
