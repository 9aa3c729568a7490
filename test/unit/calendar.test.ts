import { describe, it, expect } from 'vitest';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { ImpossibleState, IntakeError } from '../../src/errors.js';

const calendar = new ServiceCalendar();

/** Easter Sunday (Gregorian, anonymous algorithm), computed apart from date-holidays. */
function easter(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return Date.UTC(year, month - 1, day);
}

/** The statutory list of DESIGN.md §3 for one year. */
function designHolidays(year: number): string[] {
  const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const fixed = ['01-01', '01-06', '05-01', '05-03', '08-15', '11-01', '11-11', '12-25', '12-26'];
  if (year >= 2025) fixed.push('12-24');
  const sunday = easter(year);
  const movable = [0, 1, 49, 60].map((offset) => day(sunday + offset * 86_400_000));
  return [...fixed.map((md) => `${year}-${md}`), ...movable].sort();
}

function intakeErrorOf(run: () => unknown): IntakeError {
  try {
    run();
  } catch (error) {
    if (error instanceof IntakeError) return error;
    throw error;
  }
  throw new Error('expected an IntakeError');
}

describe('ServiceCalendar holidays', () => {
  it('closes exactly the DESIGN.md statutory holidays in 2024–2030', () => {
    for (let year = 2024; year <= 2030; year++) {
      const holidays = calendar
        .closedDaysBetween(`${year}-01-01`, `${year + 1}-01-01`)
        .filter((day) => day.kind === 'holiday')
        .map((day) => day.date);
      expect(holidays, String(year)).toEqual(designHolidays(year));
    }
  });

  it('keeps 24 Dec 2024 (a Tuesday) a working day', () => {
    expect(calendar.isBusinessDay('2024-12-24')).toBe(true);
    expect(calendar.closureReason('2024-12-24')).toBeNull();
  });

  it('closes 24 Dec from 2025 on as Wigilia', () => {
    expect(calendar.isBusinessDay('2025-12-24')).toBe(false);
    expect(calendar.closureReason('2025-12-24')).toBe('Wigilia Bożego Narodzenia');
    expect(calendar.closureReason('2027-12-24')).toBe('Wigilia Bożego Narodzenia');
  });

  it('does not treat 24 Dec before 2025 as a holiday even on a weekday', () => {
    // 2020-12-24 was a Thursday, 2019-12-24 a Tuesday.
    expect(calendar.isBusinessDay('2019-12-24')).toBe(true);
    expect(calendar.isBusinessDay('2020-12-24')).toBe(true);
  });

  it('treats 14 Feb (Walentynki, an observance) as a working day', () => {
    expect(calendar.isBusinessDay('2024-02-14')).toBe(true);
    expect(calendar.isBusinessDay('2025-02-14')).toBe(true);
  });

  it('closes Easter Monday and Corpus Christi 2026', () => {
    expect(calendar.closureReason('2026-04-06')).toBe('Drugi dzień Wielkanocy');
    expect(calendar.closureReason('2026-06-04')).toBe('Dzień Bożego Ciała');
  });

  it('keeps 2 May a working day between the 1 and 3 May holidays (2024)', () => {
    expect(calendar.isBusinessDay('2024-05-01')).toBe(false);
    expect(calendar.isBusinessDay('2024-05-02')).toBe(true);
    expect(calendar.isBusinessDay('2024-05-03')).toBe(false);
  });

  it('names a holiday that falls on a weekend by the holiday', () => {
    expect(calendar.closureReason('2026-12-26')).toBe('Drugi dzień Bożego Narodzenia');
  });
});

describe('ServiceCalendar weekends and extra closures', () => {
  it('closes Saturdays and Sundays as weekend', () => {
    expect(calendar.closureReason('2026-11-28')).toBe('weekend');
    expect(calendar.closureReason('2026-11-29')).toBe('weekend');
    expect(calendar.isBusinessDay('2026-11-27')).toBe(true);
  });

  it('closes the extra closure days given to the constructor', () => {
    const withExtra = new ServiceCalendar({ extraClosures: ['2026-11-30', '2026-12-31'] });
    expect(withExtra.isBusinessDay('2026-11-30')).toBe(false);
    expect(withExtra.closureReason('2026-11-30')).toBe('extra closure');
    expect(withExtra.nextBusinessDay('2026-11-27')).toBe('2026-12-01');
    expect(withExtra.nextBusinessDay('2026-12-30')).toBe('2027-01-04');
  });

  it('leaves other calendars unaffected by one calendar’s extra closures', () => {
    const withExtra = new ServiceCalendar({ extraClosures: ['2026-11-30'] });
    expect(withExtra.isBusinessDay('2026-11-30')).toBe(false);
    expect(calendar.isBusinessDay('2026-11-30')).toBe(true);
  });

  it('refuses an extra closure that is not a YYYY-MM-DD date', () => {
    const error = intakeErrorOf(() => new ServiceCalendar({ extraClosures: ['2026-11-30', '30.11.2026'] }));
    expect(error.code).toBe('SETTINGS_INVALID');
    expect(error.details[0]?.path).toBe('extraClosures[1]');
  });
});

describe('ServiceCalendar days and hours', () => {
  it('finds the next business day after a Friday, across Christmas and across New Year', () => {
    expect(calendar.nextBusinessDay('2026-11-27')).toBe('2026-11-30');
    expect(calendar.nextBusinessDay('2026-12-23')).toBe('2026-12-28');
    expect(calendar.nextBusinessDay('2026-12-31')).toBe('2027-01-04');
    expect(calendar.nextBusinessDay('2026-11-24')).toBe('2026-11-25');
  });

  it('opens at 09:00 and closes at 17:00 Warsaw in winter and in summer', () => {
    expect(calendar.openingHours('2026-01-05')).toEqual({ open: Date.UTC(2026, 0, 5, 8), close: Date.UTC(2026, 0, 5, 16) });
    expect(calendar.openingHours('2026-07-01')).toEqual({ open: Date.UTC(2026, 6, 1, 7), close: Date.UTC(2026, 6, 1, 15) });
    // The Mondays right after both DST switches.
    expect(calendar.openingHours('2026-03-30')?.open).toBe(Date.UTC(2026, 2, 30, 7));
    expect(calendar.openingHours('2026-10-26')?.open).toBe(Date.UTC(2026, 9, 26, 8));
    expect(calendar.openingHours('2026-11-28')).toBeNull();
  });

  it('is open from 09:00 up to, not including, 17:00', () => {
    expect(calendar.isOpenAt(Date.UTC(2026, 10, 24, 7, 59, 59, 999))).toBe(false);
    expect(calendar.isOpenAt(Date.UTC(2026, 10, 24, 8))).toBe(true);
    expect(calendar.isOpenAt(Date.UTC(2026, 10, 24, 15, 59, 59, 999))).toBe(true);
    expect(calendar.isOpenAt(Date.UTC(2026, 10, 24, 16))).toBe(false);
  });

  it('lists closed days with their kind', () => {
    expect(calendar.closedDaysBetween('2026-12-23', '2026-12-28')).toEqual([
      { date: '2026-12-24', kind: 'holiday', reason: 'Wigilia Bożego Narodzenia' },
      { date: '2026-12-25', kind: 'holiday', reason: 'Pierwszy dzień Bożego Narodzenia' },
      { date: '2026-12-26', kind: 'holiday', reason: 'Drugi dzień Bożego Narodzenia' },
      { date: '2026-12-27', kind: 'weekend', reason: 'weekend' },
    ]);
  });

  it('refuses a date that is not YYYY-MM-DD or does not exist', () => {
    expect(intakeErrorOf(() => calendar.isBusinessDay('2026-02-30')).code).toBe('INSTANT_INVALID');
    expect(intakeErrorOf(() => calendar.isBusinessDay('27.11.2026')).code).toBe('INSTANT_INVALID');
  });

  it('refuses dates and instants outside its span', () => {
    const short = new ServiceCalendar({ fromYear: 2020, toYear: 2030 });
    expect(intakeErrorOf(() => short.isBusinessDay('2031-01-02')).code).toBe('INSTANT_INVALID');
    expect(intakeErrorOf(() => short.isBusinessDay('2019-12-31')).code).toBe('INSTANT_INVALID');
    // Tue 2030-12-31 16:30: the second half hour would fall in 2031.
    expect(intakeErrorOf(() => short.addOpenTime(Date.UTC(2030, 11, 31, 15, 30), 3_600_000)).code).toBe('INSTANT_INVALID');
    expect(intakeErrorOf(() => short.addOpenTime(Number.NaN, 3_600_000)).code).toBe('INSTANT_INVALID');
  });
});

describe('ServiceCalendar open-time arithmetic edge cases', () => {
  const tuesday1015 = Date.UTC(2026, 10, 24, 9, 15);
  it('adds zero as the instant itself and a negative duration as a subtraction', () => {
    expect(calendar.addOpenTime(tuesday1015, 0)).toBe(tuesday1015);
    expect(calendar.addOpenTime(tuesday1015, -15 * 60_000)).toBe(Date.UTC(2026, 10, 24, 9));
    expect(calendar.subtractOpenTime(tuesday1015, -15 * 60_000)).toBe(Date.UTC(2026, 10, 24, 9, 30));
  });
  it('refuses a duration that is not finite as a programming error', () => {
    expect(() => calendar.addOpenTime(tuesday1015, Number.NaN)).toThrow(ImpossibleState);
    expect(() => calendar.addOpenTime(tuesday1015, Infinity)).toThrow(ImpossibleState);
  });
});
