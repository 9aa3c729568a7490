import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { warsawClock, warsawDateString, warsawOffsetMs } from '../../src/domain/warsaw-time.js';

describe('Warsaw wall clock without a time-zone call per instant', () => {
  it('switches to CEST at 01:00 UTC on the last Sunday of March and back on the last Sunday of October', () => {
    expect(warsawOffsetMs(Date.parse('2026-03-29T00:59:59.999Z'))).toBe(3_600_000);
    expect(warsawOffsetMs(Date.parse('2026-03-29T01:00:00.000Z'))).toBe(7_200_000);
    expect(warsawOffsetMs(Date.parse('2026-10-25T00:59:59.999Z'))).toBe(7_200_000);
    expect(warsawOffsetMs(Date.parse('2026-10-25T01:00:00.000Z'))).toBe(3_600_000);
    expect(warsawClock(Date.parse('2026-03-29T01:30:00Z'))).toMatchObject({ hour: 3, minute: 30, zone: 'CEST', weekday: 'Sun' });
  });

  it('agrees with luxon (the IANA data) on any instant from 2000 to 2060', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2000-01-01T00:00:00Z'), max: Date.parse('2060-12-31T23:59:59Z') }), (ms) => {
        const reference = DateTime.fromMillis(ms, { zone: 'Europe/Warsaw' });
        const clock = warsawClock(ms);
        expect(clock.offsetMs).toBe(reference.offset * 60_000);
        expect([clock.year, clock.month, clock.day, clock.hour, clock.minute, clock.second]).toEqual([
          reference.year, reference.month, reference.day, reference.hour, reference.minute, reference.second,
        ]);
        expect(warsawDateString(ms)).toBe(reference.toISODate());
      }),
      { numRuns: 5000 },
    );
  });
});
