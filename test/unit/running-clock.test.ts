/**
 * The running clock of a request, decided in one place: which clock runs in which status, the
 * time it has left (window time for the response hour, elapsed time for delivery and return),
 * and the urgency that time has at the warning minutes of settings.
 */
import { describe, expect, it } from 'vitest';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { warningMinutes } from '../../src/domain/deadlines.js';
import { REQUEST_STATUSES, type RequestStatus } from '../../src/domain/request.js';
import { readClock, remainingClockTime, runningClock, urgencyLevels, urgencyOf, type ClockFacts } from '../../src/domain/running-clock.js';
import { IntakeError } from '../../src/errors.js';

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

describe('urgency at the warning minutes of settings', () => {
  it('with warnings at 45 and 10 minutes the states are under45 and under10', () => {
    const levels = urgencyLevels([45, 10]);
    expect(levels.map((level) => [level.state, level.belowMs, level.warning])).toEqual([
      ['under10', 10 * 60_000, 'last'],
      ['under45', 45 * 60_000, 'first'],
    ]);
    expect(urgencyOf(46 * 60_000, levels)).toBe('ok');
    expect(urgencyOf(40 * 60_000, levels)).toBe('under45');
    expect(urgencyOf(29 * 60_000, levels)).toBe('under45');
    expect(urgencyOf(9 * 60_000, levels)).toBe('under10');
    expect(urgencyOf(0, levels)).toBe('breached');
    expect(urgencyOf(null, levels)).toBe('none');
  });

  it('the warnings between the first and the last are middle ones, whatever order settings list them in', () => {
    expect(urgencyLevels([5, 30, 15, 30]).map((level) => `${level.state}:${level.warning}`)).toEqual(['under5:last', 'under15:middle', 'under30:first']);
  });

  it('a single warning is the last one before the breach', () => {
    expect(urgencyLevels([20])).toEqual([{ state: 'under20', belowMs: 20 * 60_000, warning: 'last' }]);
  });

  it('without warnings a running clock is ok until breached', () => {
    expect(urgencyOf(60_000, urgencyLevels([]))).toBe('ok');
  });

  it('refuses warning minutes that are not positive numbers as a settings mistake', () => {
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = (() => {
        try {
          urgencyLevels([30, bad]);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error, String(bad)).toBeInstanceOf(IntakeError);
      expect((error as IntakeError).code).toBe('SETTINGS_INVALID');
    }
    expect(warningMinutes([30, 15, 30, 5])).toEqual([30, 15, 5]);
  });
});
