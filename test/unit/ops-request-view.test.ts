/**
 * The ops page's countdown as pure data: remaining window time, when the clock is paused and
 * until when, and the colour state.
 */
import { describe, expect, it } from 'vitest';
import { ServiceCalendar } from '../../src/domain/calendar.js';
import { explainResponseDeadline } from '../../src/domain/deadlines.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { openingAround, urgencyLevels, urgencyOf } from '../../src/domain/running-clock.js';
import { availableActions, countdownOf, detailFacts, toRow } from '../../src/ops/ops-page/request-view.js';
import { signInPage } from '../../src/ops/ops-page/html.js';
import { escapeHtml } from '../../src/util/html.js';

const calendar = new ServiceCalendar();
const urgency = urgencyLevels([30, 15, 5]);
const at = (iso: string): number => Date.parse(iso);

function accepted(sentAt: string, window: '8x5' | '24x7'): ServiceRequest {
  const deadline = explainResponseDeadline(at(sentAt), window, calendar);
  return {
    number: 'HZ-2026-000001',
    status: 'accepted',
    acceptability: 'accepted',
    channel: 'email',
    kind: 'service',
    escalated: false,
    sourceKey: 'mail:<a@b>',
    sentAt: new Date(at(sentAt)).toISOString(),
    stampedAt: new Date(at(sentAt)).toISOString(),
    language: 'pl',
    reporter: { name: 'Katarzyna Wójcik' },
    window,
    attachments: [],
    raw: {},
    responseDeadline: { at: new Date(deadline.deadline).toISOString(), trace: deadline.trace },
    appliedSources: [],
    updatedAt: new Date(at(sentAt)).toISOString(),
    version: 1,
  };
}

describe('countdown in window time', () => {
  it('an 8x5 request sent Fri 16:55 shows its clock paused until Mon 09:00 with 55 minutes left, not days late', () => {
    const request = accepted('2026-11-20T16:55:00+01:00', '8x5');
    const countdown = countdownOf(request, at('2026-11-21T12:00:00+01:00'), calendar);
    expect(countdown).toEqual({
      kind: 'response',
      dueAt: '2026-11-23T08:55:00.000Z',
      remainingMs: 55 * 60_000,
      pausedUntil: '2026-11-23T08:00:00.000Z',
      runsUntil: '2026-11-23T16:00:00.000Z',
    });
    expect(toRow(request, at('2026-11-21T12:00:00+01:00'), calendar, urgency).state).toBe('ok');
  });

  it('runs until 17:00 while the 8x5 window is open', () => {
    const request = accepted('2026-11-20T16:55:00+01:00', '8x5');
    expect(countdownOf(request, at('2026-11-20T16:58:00+01:00'), calendar)).toMatchObject({ remainingMs: 57 * 60_000, pausedUntil: null, runsUntil: '2026-11-20T16:00:00.000Z' });
  });

  it('before 09:00 on a business day it is paused until that morning', () => {
    expect(openingAround(at('2026-11-24T07:00:00+01:00'), calendar)).toEqual({ pausedUntil: at('2026-11-24T09:00:00+01:00'), runsUntil: at('2026-11-24T17:00:00+01:00') });
  });

  it('24x7 never pauses and counts elapsed time', () => {
    const request = accepted('2026-11-21T03:00:00+01:00', '24x7');
    expect(countdownOf(request, at('2026-11-21T03:50:00+01:00'), calendar)).toMatchObject({ remainingMs: 10 * 60_000, pausedUntil: null, runsUntil: null });
    expect(toRow(request, at('2026-11-21T03:50:00+01:00'), calendar, urgency).state).toBe('under15');
  });

  it('a contacted request has no running response clock and only its next actions', () => {
    const request = { ...accepted('2026-11-21T03:00:00+01:00', '24x7'), status: 'contacted' as const };
    expect(countdownOf(request, at('2026-11-21T03:50:00+01:00'), calendar)).toBeNull();
    expect(availableActions(request)).toEqual(['verified', 'closed']);
  });

  it.each([
    [31 * 60_000, 'ok'],
    [29 * 60_000, 'under30'],
    [14 * 60_000, 'under15'],
    [4 * 60_000, 'under5'],
    [0, 'breached'],
    [-1, 'breached'],
    [null, 'none'],
  ] as const)('%s ms left is %s', (remaining, state) => {
    expect(urgencyOf(remaining, urgency)).toBe(state);
  });
});

describe('server-rendered HTML', () => {
  it('escapes what it shows', () => {
    expect(escapeHtml(`<img src=x onerror="alert(1)">'`)).toBe('&#60;img src=x onerror=&#34;alert(1)&#34;&#62;&#39;');
    const html = signInPage({ csrf: 'token', language: 'en', message: '<b>x</b>', login: '"><script>alert(1)</script>' });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<b>x</b>');
  });
});

describe('the workbench fields of a row and a detail', () => {
  it('a request without a clock is "waiting"; the owner and the stamping time travel with the row', () => {
    const waiting: ServiceRequest = { ...accepted('2026-11-19T08:10:00+01:00', '24x7'), status: 'needs-info', acceptability: 'needs-info', owner: 'ewa' };
    delete waiting.responseDeadline;
    const row = toRow(waiting, at('2026-11-19T09:30:00+01:00'), calendar, urgency);
    expect(row).toMatchObject({ waiting: true, owner: 'ewa', countdown: null, stampedAt: '2026-11-19T07:10:00.000Z' });
    expect(toRow(accepted('2026-11-19T09:00:00+01:00', '24x7'), at('2026-11-19T09:30:00+01:00'), calendar, urgency)).toMatchObject({ waiting: false, owner: null });
  });

  it("the detail names the clock's real start (09:00 for 08:47 on 8x5) apart from the deadline, with its trace in both languages", () => {
    const request = { ...accepted('2026-11-19T08:47:00+01:00', '8x5'), clockStartedAt: '2026-11-19T07:47:00.000Z' };
    const facts = detailFacts(request, calendar);
    expect(facts.clock).toEqual({ startedAt: '2026-11-19T07:47:00.000Z', runsFrom: '2026-11-19T08:00:00.000Z' });
    expect(facts.deadlines).toEqual([
      {
        kind: 'response',
        at: '2026-11-19T09:00:00.000Z',
        trace: { en: 'sent Thu 2026-11-19 08:47 → 60 min Thu → due Thu 2026-11-19 10:00', pl: 'wysłano czw. 2026-11-19 08:47 → 60 min czw. → termin czw. 2026-11-19 10:00' },
      },
    ]);
    expect(facts.reason).toBeNull();
  });
});
