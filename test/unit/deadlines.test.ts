import { describe, it, expect } from 'vitest';
import { ServiceCalendar, type ServiceWindow } from '../../src/domain/calendar.js';
import {
  deliveryDeadline,
  explainResponseDeadline,
  formatWarsaw,
  parseInstant,
  responseDeadline,
  returnDeadline,
  subtractWindowTime,
  warningInstants,
  windowTimeBetween,
} from '../../src/domain/deadlines.js';
import { IntakeError } from '../../src/errors.js';

const calendar = new ServiceCalendar();
const at = parseInstant;
const MINUTE = 60_000;

/** The response deadline of `sent` as an ISO string in UTC, for readable failures. */
function due(sent: string, window: ServiceWindow = '8x5', on: ServiceCalendar = calendar): string {
  return new Date(responseDeadline(at(sent), window, on)).toISOString();
}

const iso = (text: string): string => new Date(at(text)).toISOString();

function intakeErrorOf(run: () => unknown): IntakeError {
  try {
    run();
  } catch (error) {
    if (error instanceof IntakeError) return error;
    throw error;
  }
  throw new Error('expected an IntakeError');
}

describe('response deadline on 8x5: the DESIGN.md examples', () => {
  it('Tue 10:15 on 8x5 is due Tue 11:15', () => {
    expect(due('2026-11-24T10:15+01:00')).toBe(iso('2026-11-24T11:15+01:00'));
  });
  it('Fri 16:30 on 8x5 is due Mon 09:30', () => {
    expect(due('2026-11-27T16:30+01:00')).toBe(iso('2026-11-30T09:30+01:00'));
  });
  it('Sat 11:00 on 8x5 is due Mon 10:00', () => {
    expect(due('2026-11-28T11:00+01:00')).toBe(iso('2026-11-30T10:00+01:00'));
  });
  it('Wed 2026-12-23 16:30 on 8x5 is due Mon 2026-12-28 09:30 over 24–26 Dec', () => {
    expect(due('2026-12-23T16:30+01:00')).toBe(iso('2026-12-28T09:30+01:00'));
  });
});

describe('response deadline on 8x5: holidays', () => {
  it('Mon 2024-12-23 16:30 is due Tue 24 Dec 09:30 (24 Dec worked before 2025)', () => {
    expect(due('2024-12-23T16:30+01:00')).toBe(iso('2024-12-24T09:30+01:00'));
  });
  it('Tue 2025-12-23 16:30 is due Mon 2025-12-29 09:30 (24 Dec a holiday from 2025)', () => {
    expect(due('2025-12-23T16:30+01:00')).toBe(iso('2025-12-29T09:30+01:00'));
  });
  it('Fri before Easter 16:30 is due Tue after Easter Monday 09:30', () => {
    expect(due('2026-04-03T16:30+02:00')).toBe(iso('2026-04-07T09:30+02:00'));
  });
  it('Wed before Corpus Christi 16:30 is due Fri 09:30', () => {
    expect(due('2026-06-03T16:30+02:00')).toBe(iso('2026-06-05T09:30+02:00'));
  });
  it('Tue 2024-04-30 16:30 skips 1 May and is due Thu 2 May 09:30', () => {
    expect(due('2024-04-30T16:30+02:00')).toBe(iso('2024-05-02T09:30+02:00'));
  });
  it('Thu 2024-05-02 16:30 skips 3 May and the weekend, due Mon 6 May 09:30', () => {
    expect(due('2024-05-02T16:30+02:00')).toBe(iso('2024-05-06T09:30+02:00'));
  });
  it('Fri 2027-04-30 16:30 skips the weekend and Mon 3 May, due Tue 4 May 09:30', () => {
    expect(due('2027-04-30T16:30+02:00')).toBe(iso('2027-05-04T09:30+02:00'));
  });
  it('Tue 2026-11-10 16:30 skips 11 Nov, due Thu 12 Nov 09:30', () => {
    expect(due('2026-11-10T16:30+01:00')).toBe(iso('2026-11-12T09:30+01:00'));
  });
  it('Mon 2026-01-05 16:30 skips 6 Jan, due Wed 7 Jan 09:30', () => {
    expect(due('2026-01-05T16:30+01:00')).toBe(iso('2026-01-07T09:30+01:00'));
  });
  it('Tue 2024-02-13 16:30 is due Wed 14 Feb 09:30 (Walentynki is no holiday)', () => {
    expect(due('2024-02-13T16:30+01:00')).toBe(iso('2024-02-14T09:30+01:00'));
  });
  it('skips an extra closure day from the constructor', () => {
    const withExtra = new ServiceCalendar({ extraClosures: ['2026-11-30'] });
    expect(due('2026-11-27T16:30+01:00', '8x5', withExtra)).toBe(iso('2026-12-01T09:30+01:00'));
  });
});

describe('response deadline on 8x5: exact boundaries', () => {
  it('sent 09:00 is due 10:00', () => expect(due('2026-11-24T09:00+01:00')).toBe(iso('2026-11-24T10:00+01:00')));
  it('sent 08:59 is due 10:00 (the clock starts at 09:00)', () =>
    expect(due('2026-11-24T08:59+01:00')).toBe(iso('2026-11-24T10:00+01:00')));
  it('sent 16:00 is due 17:00 the same day', () => expect(due('2026-11-24T16:00+01:00')).toBe(iso('2026-11-24T17:00+01:00')));
  it('sent exactly 17:00 is due 10:00 the next day', () =>
    expect(due('2026-11-24T17:00+01:00')).toBe(iso('2026-11-25T10:00+01:00')));
  it('sent 16:59 is due 09:59 the next day', () => expect(due('2026-11-24T16:59+01:00')).toBe(iso('2026-11-25T09:59+01:00')));
  it('sent just after midnight Warsaw (still the previous UTC day) is due 10:00', () =>
    expect(due('2026-11-24T00:30+01:00')).toBe(iso('2026-11-24T10:00+01:00')));
});

describe('response deadline across DST', () => {
  it('24x7 sent 2026-03-29 01:30 CET is due 03:30 CEST: 60 elapsed minutes', () => {
    expect(due('2026-03-29T01:30+01:00', '24x7')).toBe('2026-03-29T01:30:00.000Z');
    expect(due('2026-03-29T01:30+01:00', '24x7')).toBe(iso('2026-03-29T03:30+02:00'));
  });
  it('24x7 sent 2026-10-25 02:30 CEST is due 02:30 CET: 60 elapsed minutes', () => {
    expect(due('2026-10-25T02:30+02:00', '24x7')).toBe(iso('2026-10-25T02:30+01:00'));
  });
  it('8x5 Fri 16:30 CET before the spring switch is due Mon 09:30 CEST', () => {
    expect(due('2026-03-27T16:30+01:00')).toBe(iso('2026-03-30T09:30+02:00'));
  });
  it('8x5 Fri 16:30 CEST before the autumn switch is due Mon 09:30 CET', () => {
    expect(due('2026-10-23T16:30+02:00')).toBe(iso('2026-10-26T09:30+01:00'));
  });
  it('8x5 sent during the switch night is due Mon 10:00 local', () => {
    expect(due('2026-03-29T02:30+01:00')).toBe(iso('2026-03-30T10:00+02:00'));
    expect(due('2026-10-25T02:30+01:00')).toBe(iso('2026-10-26T10:00+01:00'));
  });
});

describe('traces', () => {
  const trace = (sent: string, window: ServiceWindow = '8x5'): string => explainResponseDeadline(at(sent), window, calendar).trace;

  it('explains Fri 16:30 as 30 min Fri + 30 min Mon', () => {
    expect(trace('2026-11-27T16:30+01:00')).toBe(
      'sent Fri 2026-11-27 16:30 → 30 min Fri + 30 min Mon → due Mon 2026-11-30 09:30 (closed: Sat–Sun 28–29 Nov)',
    );
  });
  it('explains Tue 10:15 as 60 min Tue', () => {
    expect(trace('2026-11-24T10:15+01:00')).toBe('sent Tue 2026-11-24 10:15 → 60 min Tue → due Tue 2026-11-24 11:15');
  });
  it('explains Sat 11:00 as 60 min Mon', () => {
    expect(trace('2026-11-28T11:00+01:00')).toBe(
      'sent Sat 2026-11-28 11:00 → 60 min Mon → due Mon 2026-11-30 10:00 (closed: Sat–Sun 28–29 Nov)',
    );
  });
  it('explains Christmas 2026 with the holidays it skipped', () => {
    expect(trace('2026-12-23T16:30+01:00')).toBe(
      'sent Wed 2026-12-23 16:30 → 30 min Wed + 30 min Mon → due Mon 2026-12-28 09:30 (closed: Thu–Sat 24–26 Dec holidays, Sun 27 Dec)',
    );
  });
  it('names a single skipped holiday', () => {
    expect(trace('2026-11-10T16:30+01:00')).toBe(
      'sent Tue 2026-11-10 16:30 → 30 min Tue + 30 min Thu → due Thu 2026-11-12 09:30 (closed: Wed 11 Nov Narodowe Święto Niepodległości)',
    );
  });
  it('names an extra closure', () => {
    const withExtra = new ServiceCalendar({ extraClosures: ['2026-11-30'] });
    expect(explainResponseDeadline(at('2026-11-27T16:30+01:00'), '8x5', withExtra).trace).toBe(
      'sent Fri 2026-11-27 16:30 → 30 min Fri + 30 min Tue → due Tue 2026-12-01 09:30 (closed: Sat–Sun 28–29 Nov, Mon 30 Nov extra closure)',
    );
  });
  it('explains 24x7 across the spring DST jump in elapsed minutes with zones', () => {
    expect(trace('2026-03-29T01:30+01:00', '24x7')).toBe(
      'sent Sun 2026-03-29 01:30 CET → 60 min elapsed → due Sun 2026-03-29 03:30 CEST',
    );
  });
  it('shows the zone of an 8x5 sent time in the repeated autumn hour', () => {
    expect(trace('2026-10-25T02:30+02:00')).toBe(
      'sent Sun 2026-10-25 02:30 CEST → 60 min Mon → due Mon 2026-10-26 10:00 (closed: Sun 25 Oct)',
    );
  });
  it('returns the open segments the deadline used', () => {
    const explained = explainResponseDeadline(at('2026-11-27T16:30+01:00'), '8x5', calendar);
    expect(explained.deadline).toBe(at('2026-11-30T09:30+01:00'));
    expect(explained.segments).toEqual([
      { start: at('2026-11-27T16:30+01:00'), end: at('2026-11-27T17:00+01:00'), minutes: 30 },
      { start: at('2026-11-30T09:00+01:00'), end: at('2026-11-30T09:30+01:00'), minutes: 30 },
    ]);
  });
  it('keeps seconds when the sent time has them', () => {
    expect(trace('2026-11-27T16:30:20+01:00')).toBe(
      'sent Fri 2026-11-27 16:30:20 → 29 min 40 s Fri + 30 min 20 s Mon → due Mon 2026-11-30 09:30:20 (closed: Sat–Sun 28–29 Nov)',
    );
  });
  it('formats an instant in Warsaw time, with the zone on request', () => {
    expect(formatWarsaw(at('2026-07-01T10:00:00Z'))).toBe('Wed 2026-07-01 12:00');
    expect(formatWarsaw(at('2026-07-01T10:00:00Z'), { zone: true })).toBe('Wed 2026-07-01 12:00 CEST');
  });
});

describe('live countdown (windowTimeBetween)', () => {
  const deadline = at('2026-11-30T09:30+01:00');
  it('an 8x5 request at Fri 16:55 with a Monday deadline has 35 window-minutes left', () => {
    expect(windowTimeBetween(at('2026-11-27T16:55+01:00'), deadline, '8x5', calendar)).toBe(35 * MINUTE);
  });
  it('the 8x5 countdown stands still over the weekend', () => {
    const friday = windowTimeBetween(at('2026-11-27T17:00+01:00'), deadline, '8x5', calendar);
    const sunday = windowTimeBetween(at('2026-11-29T23:59+01:00'), deadline, '8x5', calendar);
    expect(friday).toBe(30 * MINUTE);
    expect(sunday).toBe(30 * MINUTE);
  });
  it('goes negative after the deadline', () => {
    expect(windowTimeBetween(at('2026-11-30T10:00+01:00'), deadline, '8x5', calendar)).toBe(-30 * MINUTE);
  });
  it('24x7 counts elapsed time', () => {
    expect(windowTimeBetween(at('2026-11-27T16:55+01:00'), deadline, '24x7', calendar)).toBe((2 * 24 * 60 + 16 * 60 + 35) * MINUTE);
  });
});

describe('warning instants', () => {
  it('warns at 30, 15 and 5 window-minutes before a Monday 09:30 deadline, all on Monday', () => {
    const alerts = warningInstants(at('2026-11-30T09:30+01:00'), '8x5', calendar);
    expect(alerts.map((a) => [a.kind, a.minutesBefore, formatWarsaw(a.at)])).toEqual([
      ['warning', 30, 'Mon 2026-11-30 09:00'],
      ['warning', 15, 'Mon 2026-11-30 09:15'],
      ['warning', 5, 'Mon 2026-11-30 09:25'],
      ['breach', 0, 'Mon 2026-11-30 09:30'],
    ]);
  });
  it('carries an 8x5 warning back over the night', () => {
    const alerts = warningInstants(at('2026-11-25T09:10+01:00'), '8x5', calendar, [30]);
    expect(formatWarsaw(alerts[0]?.at ?? 0)).toBe('Tue 2026-11-24 16:40');
  });
  it('warns 24x7 deadlines in elapsed minutes across DST', () => {
    const deadline = at('2026-03-29T03:10+02:00');
    const alerts = warningInstants(deadline, '24x7', calendar, [5, 30]);
    expect(alerts.map((a) => a.at)).toEqual([deadline - 30 * MINUTE, deadline - 5 * MINUTE, deadline]);
    expect(subtractWindowTime(deadline, 30 * MINUTE, '24x7', calendar)).toBe(at('2026-03-29T01:40+01:00'));
  });
  it('refuses non-positive warning minutes', () => {
    expect(intakeErrorOf(() => warningInstants(at('2026-11-30T09:30+01:00'), '8x5', calendar, [0])).code).toBe('SETTINGS_INVALID');
  });
});

describe('delivery deadline', () => {
  it('8h is 8 elapsed hours, even overnight', () => {
    const result = deliveryDeadline(at('2026-11-27T15:00+01:00'), '8h', calendar);
    expect(result.deadline).toBe(at('2026-11-27T23:00+01:00'));
    expect(result.trace).toBe('verified Fri 2026-11-27 15:00 CET → 8 h elapsed → due Fri 2026-11-27 23:00 CET');
  });
  it('8h across the spring DST jump ends at 07:00 CEST', () => {
    expect(deliveryDeadline(at('2026-03-28T22:00+01:00'), '8h', calendar).deadline).toBe(at('2026-03-29T07:00+02:00'));
  });
  it('NBD verified Fri 15:00 is due Mon 17:00', () => {
    const result = deliveryDeadline(at('2026-11-27T15:00+01:00'), 'NBD', calendar);
    expect(result.deadline).toBe(at('2026-11-30T17:00+01:00'));
    expect(result.trace).toBe('verified Fri 2026-11-27 15:00 → next business day → due Mon 2026-11-30 17:00 (closed: Sat–Sun 28–29 Nov)');
  });
  it('NBD verified on the eve of Christmas holidays is due Mon 2026-12-28 17:00', () => {
    expect(deliveryDeadline(at('2026-12-23T15:00+01:00'), 'NBD', calendar).deadline).toBe(at('2026-12-28T17:00+01:00'));
  });
  it('NBD verified Mon 2024-12-23 is due Tue 24 Dec 17:00 (a working day in 2024)', () => {
    expect(deliveryDeadline(at('2024-12-23T15:00+01:00'), 'NBD', calendar).deadline).toBe(at('2024-12-24T17:00+01:00'));
  });
  it('NBD counts from the Warsaw date: Mon 08:00 and Mon 23:30 are both due Tue 17:00', () => {
    expect(deliveryDeadline(at('2026-11-23T08:00+01:00'), 'NBD', calendar).deadline).toBe(at('2026-11-24T17:00+01:00'));
    expect(deliveryDeadline(at('2026-11-23T23:30+01:00'), 'NBD', calendar).deadline).toBe(at('2026-11-24T17:00+01:00'));
  });
  it('NBD verified on a Saturday is due Mon 17:00', () => {
    expect(deliveryDeadline(at('2026-11-28T10:00+01:00'), 'NBD', calendar).deadline).toBe(at('2026-11-30T17:00+01:00'));
  });
});

describe('return deadline', () => {
  it('is the same Warsaw time 7 days later: 168 h in an ordinary week', () => {
    const result = returnDeadline(at('2026-11-20T10:00+01:00'));
    expect(result.deadline).toBe(at('2026-11-27T10:00+01:00'));
    expect(result.trace).toBe('delivered Fri 2026-11-20 10:00 CET → 7 calendar days → due Fri 2026-11-27 10:00 CET');
  });
  it('is 169 elapsed hours over the autumn DST change', () => {
    const result = returnDeadline(at('2026-10-23T10:00+02:00'));
    expect(result.deadline).toBe(at('2026-10-30T10:00+01:00'));
    expect(result.trace).toBe(
      'delivered Fri 2026-10-23 10:00 CEST → 7 calendar days → due Fri 2026-10-30 10:00 CET (169 h elapsed: DST change)',
    );
  });
  it('is 167 elapsed hours over the spring DST change', () => {
    expect(returnDeadline(at('2026-03-25T10:00+01:00')).deadline).toBe(at('2026-04-01T10:00+02:00'));
  });
});

describe('parseInstant', () => {
  it('reads Z, offsets with and without a colon, and fractions', () => {
    expect(parseInstant('2026-11-27T15:30:00Z')).toBe(Date.UTC(2026, 10, 27, 15, 30));
    expect(parseInstant('2026-11-27T16:30:00+01:00')).toBe(Date.UTC(2026, 10, 27, 15, 30));
    expect(parseInstant('2026-11-27T16:30+0100')).toBe(Date.UTC(2026, 10, 27, 15, 30));
    expect(parseInstant('2026-11-27T15:30:00.123Z')).toBe(Date.UTC(2026, 10, 27, 15, 30, 0, 123));
    expect(parseInstant('2026-11-27T10:30:00-05:00')).toBe(Date.UTC(2026, 10, 27, 15, 30));
  });
  it('refuses a local time without an offset and says what is expected', () => {
    const error = intakeErrorOf(() => parseInstant('2026-11-27T16:30:00'));
    expect(error.code).toBe('INSTANT_INVALID');
    expect(error.message).toMatch(/offset is missing/);
    expect(error.message).toMatch(/ISO-8601 with an offset or Z/);
  });
  it('refuses a bare date, garbage and impossible dates or times', () => {
    for (const text of ['2026-11-27', 'yesterday', '27.11.2026 16:30', '2026-02-30T10:00Z', '2026-11-27T24:00Z', '2026-11-27T16:30+25:00']) {
      expect(intakeErrorOf(() => parseInstant(text)).code, text).toBe('INSTANT_INVALID');
    }
  });
});

describe('invalid input', () => {
  it('refuses an invalid Date and an instant outside the calendar', () => {
    expect(intakeErrorOf(() => responseDeadline(new Date('nope'), '8x5', calendar)).code).toBe('INSTANT_INVALID');
    expect(intakeErrorOf(() => responseDeadline(Date.UTC(1999, 5, 1), '8x5', calendar)).code).toBe('INSTANT_INVALID');
  });
  it('refuses a window other than 8x5 or 24x7', () => {
    expect(intakeErrorOf(() => responseDeadline(Date.UTC(2026, 5, 1), '9x5' as ServiceWindow, calendar)).code).toBe('WINDOW_INVALID');
  });
  it('accepts a Date as well as epoch ms', () => {
    expect(responseDeadline(new Date('2026-11-24T09:15:00Z'), '8x5', calendar)).toBe(Date.UTC(2026, 10, 24, 10, 15));
  });
});
