import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { ServiceCalendar, type ServiceWindow } from '../../src/domain/calendar.js';
import { addWindowTime, responseDeadline, subtractWindowTime, windowTimeBetween } from '../../src/domain/deadlines.js';

const calendar = new ServiceCalendar();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2031, 0, 1) - 1;

const dayOffset = fc.integer({ min: 0, max: Math.floor((TO - FROM) / DAY) }).map((day) => FROM + day * DAY);
/**
 * Instants 2024–2030: a third uniformly random, a third within a minute of a UTC hour between
 * 06:00 and 17:00 (the 09:00/17:00 Warsaw boundaries in winter and summer), a third exactly on
 * whole and half hours there, so that "sent 16:00 → due 17:00" edges come up every run.
 */
const instant = fc.oneof(
  fc.integer({ min: FROM, max: TO }),
  fc
    .tuple(dayOffset, fc.integer({ min: 6, max: 17 }), fc.integer({ min: -60_000, max: 60_000 }))
    .map(([day, hour, jitter]) => day + hour * HOUR + jitter),
  fc.tuple(dayOffset, fc.integer({ min: 12, max: 34 })).map(([day, halfHour]) => day + halfHour * (HOUR / 2)),
);
const windows: ServiceWindow[] = ['8x5', '24x7'];
const duration = fc.integer({ min: 1, max: 5 * 8 * HOUR });

describe.each(windows)('response deadline properties on %s', (window) => {
  it('is later than the sent instant', () => {
    fc.assert(fc.property(instant, (sent) => responseDeadline(sent, window, calendar) > sent), { numRuns: 2000 });
  });

  it('is exactly 60 window-minutes after the sent instant', () => {
    fc.assert(
      fc.property(instant, (sent) => windowTimeBetween(sent, responseDeadline(sent, window, calendar), window, calendar) === HOUR),
      { numRuns: 2000 },
    );
  });

  it('is monotonic: a later request is never due earlier', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        const [s1, s2] = a <= b ? [a, b] : [b, a];
        return responseDeadline(s1, window, calendar) <= responseDeadline(s2, window, calendar);
      }),
      { numRuns: 2000 },
    );
  });

  it('adds exactly the window time asked for, and subtracts it too', () => {
    fc.assert(
      fc.property(instant, duration, (t, ms) => {
        expect(windowTimeBetween(t, addWindowTime(t, ms, window, calendar), window, calendar)).toBe(ms);
        expect(windowTimeBetween(subtractWindowTime(t, ms, window, calendar), t, window, calendar)).toBe(ms);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips add then subtract from an open instant, and subtract then add to a due-able instant', () => {
    fc.assert(
      fc.property(instant, duration, (t, ms) => {
        // On 8x5, add never returns a closed instant other than a 17:00 end, and subtract never
        // returns one other than an opening; a round trip is exact from such instants.
        const open = window === '24x7' || calendar.isOpenAt(t);
        const dueAble = window === '24x7' || calendar.isOpenAt(t - 1);
        if (open) expect(subtractWindowTime(addWindowTime(t, ms, window, calendar), ms, window, calendar)).toBe(t);
        if (dueAble) expect(addWindowTime(subtractWindowTime(t, ms, window, calendar), ms, window, calendar)).toBe(t);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('8x5 deadline placement', () => {
  it('lies inside an open interval or at its 17:00 end, on a business day (checked with luxon)', () => {
    fc.assert(
      fc.property(instant, (sent) => {
        const deadline = responseDeadline(sent, '8x5', calendar);
        const local = DateTime.fromMillis(deadline, { zone: 'Europe/Warsaw' });
        const minuteOfDay = (deadline - local.startOf('day').toMillis()) / 60_000;
        expect(local.weekday).toBeLessThanOrEqual(5);
        expect(calendar.isBusinessDay(local.toISODate() ?? '')).toBe(true);
        expect(minuteOfDay).toBeGreaterThan(9 * 60);
        expect(minuteOfDay).toBeLessThanOrEqual(17 * 60);
      }),
      { numRuns: 2000 },
    );
  });

  it('matches a slow luxon reference that walks Warsaw days', () => {
    /** 60 minutes of 8x5 time the obvious way: per Warsaw day, 09:00–17:00 via luxon. */
    function reference(sent: number): number {
      let left = HOUR;
      let day = DateTime.fromMillis(sent, { zone: 'Europe/Warsaw' }).startOf('day');
      for (;;) {
        if (calendar.isBusinessDay(day.toISODate() ?? '')) {
          const start = Math.max(sent, day.set({ hour: 9 }).toMillis());
          const end = day.set({ hour: 17 }).toMillis();
          if (start < end) {
            if (left <= end - start) return start + left;
            left -= end - start;
          }
        }
        day = day.plus({ days: 1 });
      }
    }
    fc.assert(fc.property(instant, (sent) => responseDeadline(sent, '8x5', calendar) === reference(sent)), { numRuns: 1000 });
  });

  it('gives the same answers whatever order the lazily built years are reached in', () => {
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 8 }), (sents) => {
        const shared = new ServiceCalendar();
        for (const sent of sents) {
          expect(responseDeadline(sent, '8x5', shared)).toBe(responseDeadline(sent, '8x5', calendar));
          expect(windowTimeBetween(sents[0] ?? sent, sent, '8x5', shared)).toBe(windowTimeBetween(sents[0] ?? sent, sent, '8x5', calendar));
        }
      }),
      { numRuns: 100 },
    );
  });
});
