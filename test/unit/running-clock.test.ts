/**
 * The running clock of a request, decided in one place: which clock runs in which status, the
 * time it has left (window time for the response hour, elapsed time for delivery and return).
 */
import { describe, expect, it } from 'vitest';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { REQUEST_STATUSES, type RequestStatus } from '../../src/domain/request.js';
import { readClock, remainingClockTime, runningClock, type ClockFacts } from '../../src/domain/running-clock.js';

const calendar = new ServiceCalendar();
const at = (iso: string): number => Date.parse(iso);
const deadline = (iso: string) => ({ at: new Date(at(iso)).toISOString(), trace: 'trace' });

/** A request that has been through every stage: each deadline set. */
const everyDeadline: ClockFacts = {
  status: 'accepted',
  window: '8x5',
  responseDeadline: deadline('2026-11-23T09:55:00+01:00'),
  deliveryDeadline: deadline('2026-11-24T17:00:00+01:00'),
  returnDeadline: deadline('2026-12-01T12:00:00+01:00'),
};

describe('which clock runs', () => {
  it.each([
    ['accepted', 'response', everyDeadline.responseDeadline?.at],
    ['verified', 'delivery', everyDeadline.deliveryDeadline?.at],
    ['shipped', 'delivery', everyDeadline.deliveryDeadline?.at],
    ['delivered', 'return', everyDeadline.returnDeadline?.at],
  ] as const)('%s runs the %s clock', (status, kind, due) => {
    expect(runningClock({ ...everyDeadline, status })).toMatchObject({ kind, deadline: { at: due }, dueMs: Date.parse(due ?? '') });
  });

  it('no clock runs while a request waits for data or a person, after the first response, or once returned or closed', () => {
    const running: readonly RequestStatus[] = ['accepted', 'verified', 'shipped', 'delivered'];
    for (const status of REQUEST_STATUSES.filter((s) => !running.includes(s))) {
      expect(runningClock({ ...everyDeadline, status }), status).toBeNull();
    }
  });

  it('a first response stops the response clock even where the status still reads accepted', () => {
    expect(runningClock({ ...everyDeadline, firstResponse: { at: '2026-11-23T08:30:00.000Z', by: 'engineer:ewa', met: true } })).toBeNull();
  });

  it('a verified AHB request (no on-site delivery, so no delivery deadline) has no clock', () => {
    expect(runningClock({ status: 'verified', window: '8x5', responseDeadline: everyDeadline.responseDeadline })).toBeNull();
  });

  it('the response hour counts the contract window; delivery and return count elapsed time', () => {
    expect(runningClock({ ...everyDeadline, window: '24x7' })?.window).toBe('24x7');
    expect(runningClock(everyDeadline)?.window).toBe('8x5');
    expect(runningClock({ ...everyDeadline, status: 'shipped' })?.window).toBe('24x7');
    expect(runningClock({ ...everyDeadline, status: 'delivered' })?.window).toBe('24x7');
  });
});

describe('time left', () => {
  it('an 8x5 response clock read on Saturday stands still until Monday 09:00 with 55 minutes left', () => {
    const clock = runningClock(everyDeadline);
    if (!clock) throw new Error('expected a clock');
    expect(readClock(clock, at('2026-11-21T12:00:00+01:00'), calendar)).toEqual({
      remainingMs: 55 * 60_000,
      pausedUntil: at('2026-11-23T09:00:00+01:00'),
      runsUntil: at('2026-11-23T17:00:00+01:00'),
    });
  });

  it('a delivery clock counts down over the weekend and never pauses', () => {
    const clock = runningClock({ ...everyDeadline, status: 'verified' });
    if (!clock) throw new Error('expected a clock');
    expect(readClock(clock, at('2026-11-22T17:00:00+01:00'), calendar)).toEqual({ remainingMs: 48 * 3_600_000, pausedUntil: null, runsUntil: null });
    expect(remainingClockTime(clock, at('2026-11-24T18:00:00+01:00'), calendar)).toBe(-3_600_000);
  });
});
