/**
 * The ops page's Polish for the English sentences the domain stores: deadline traces and
 * assessment reasons, and the clock's real start on 8x5 (08:47 → 09:00).
 */
import { describe, expect, it } from 'vitest';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { deliveryDeadline, explainResponseDeadline, returnDeadline } from '../../src/domain/deadlines.js';
import { reasonIn, traceIn } from '../../src/ops/ops-page/page-words.js';
import { clockRunsFrom } from '../../src/ops/ops-page/request-view.js';

const calendar = new ServiceCalendar();

describe('traces in Polish', () => {
  it('an 8x5 trace over a weekend names Polish days, months and words', () => {
    const { trace } = explainResponseDeadline(Date.parse('2026-11-20T16:55:00+01:00'), '8x5', calendar);
    expect(trace).toBe('sent Fri 2026-11-20 16:55 → 5 min Fri + 55 min Mon → due Mon 2026-11-23 09:55 (closed: Sat–Sun 21–22 Nov)');
    expect(traceIn(trace, 'pl')).toBe('wysłano pt. 2026-11-20 16:55 → 5 min pt. + 55 min pon. → termin pon. 2026-11-23 09:55 (nieczynne: sob.–niedz. 21–22 lis)');
    expect(traceIn(trace, 'en')).toBe(trace);
  });

  it('a 24x7 trace keeps its zones and says "upływu" for elapsed', () => {
    const { trace } = explainResponseDeadline(Date.parse('2026-03-29T01:30:00+01:00'), '24x7', calendar);
    const pl = traceIn(trace, 'pl');
    expect(pl).toBe('wysłano niedz. 2026-03-29 01:30 CET → 60 min upływu → termin niedz. 2026-03-29 03:30 CEST');
    expect(pl).not.toMatch(/\b(sent|due|elapsed|Sun)\b/);
  });

  it('delivery (8h, next business day) and return traces leave no English behind', () => {
    const eight = deliveryDeadline(Date.parse('2026-11-20T16:00:00+01:00'), '8h', calendar).trace;
    const nbd = deliveryDeadline(Date.parse('2026-11-20T16:00:00+01:00'), 'NBD', calendar).trace;
    const back = returnDeadline(Date.parse('2026-10-20T12:00:00+02:00')).trace;
    expect(traceIn(eight, 'pl')).toBe('zweryfikowano pt. 2026-11-20 16:00 CET → 8 h upływu → termin sob. 2026-11-21 00:00 CET');
    expect(traceIn(nbd, 'pl')).toBe('zweryfikowano pt. 2026-11-20 16:00 → następny dzień roboczy → termin pon. 2026-11-23 17:00 (nieczynne: sob.–niedz. 21–22 lis)');
    expect(traceIn(back, 'pl')).toMatch(/^dostarczono wt\. 2026-10-20 12:00 CEST → 7 dni kalendarzowych → termin wt\. 2026-10-27 12:00 CET \(169 h upływu: zmiana czasu\)$/);
  });

  it('holidays over Christmas are "święta"', () => {
    const { trace } = explainResponseDeadline(Date.parse('2026-12-23T16:30:00+01:00'), '8x5', calendar);
    expect(traceIn(trace, 'pl')).toContain('święta');
    expect(traceIn(trace, 'pl')).not.toMatch(/\b(holidays|closed|Dec)\b/);
  });
});

describe('reasons in Polish', () => {
  it.each([
    ['Missing the serial number; both are required to accept a report.', 'Brak numeru seryjnego; oba są wymagane do przyjęcia zgłoszenia.'],
    ['Missing the serial number and the contract number; both are required to accept a report.', 'Brak numeru seryjnego i numeru umowy; oba są wymagane do przyjęcia zgłoszenia.'],
    ['Contract "HZ-1" is not in the registry.', 'Umowy „HZ-1” nie ma w rejestrze.'],
    ['Serial number "X1" is not covered by contract HZ-2026-00123.', 'Numer seryjny „X1” nie jest objęty umową HZ-2026-00123.'],
    [
      'The reporter is not an authorized representative of contract HZ-2026-00123; an engineer must confirm them before the clock starts.',
      'Zgłaszający nie jest upoważnionym przedstawicielem umowy HZ-2026-00123; inżynier musi go potwierdzić, zanim ruszy zegar.',
    ],
  ])('%s', (reason, polish) => {
    expect(reasonIn(reason, 'pl')).toBe(polish);
    expect(reasonIn(reason, 'en')).toBe(reason);
  });

  it('an unknown sentence stays as stored', () => {
    expect(reasonIn('Something new.', 'pl')).toBe('Something new.');
  });
});

describe("the clock's real start", () => {
  it('a mail sent at 08:47 on a weekday starts the 8x5 clock at 09:00', () => {
    expect(new Date(clockRunsFrom(Date.parse('2026-11-19T08:47:00+01:00'), '8x5', calendar)).toISOString()).toBe('2026-11-19T08:00:00.000Z');
  });
  it('sent on Saturday: Monday 09:00; within the window: as sent; 24x7: as sent', () => {
    expect(new Date(clockRunsFrom(Date.parse('2026-11-21T11:00:00+01:00'), '8x5', calendar)).toISOString()).toBe('2026-11-23T08:00:00.000Z');
    expect(clockRunsFrom(Date.parse('2026-11-19T10:15:00+01:00'), '8x5', calendar)).toBe(Date.parse('2026-11-19T10:15:00+01:00'));
    expect(clockRunsFrom(Date.parse('2026-11-21T11:00:00+01:00'), '24x7', calendar)).toBe(Date.parse('2026-11-21T11:00:00+01:00'));
  });
});
