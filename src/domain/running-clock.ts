/**
 * The running clock of a request (DESIGN.md section 3) and how urgent it is: which deadline is
 * counting down in which status, how much of its time is left, when it stands still, and the
 * colour state that remaining time has. The request store orders its open index by it, the
 * timers plan and check their alerts by it, the ops page and the engineer API show it: a
 * change to which clock runs when is made here and nowhere else.
 */
import { impossible } from '../errors.js';
import type { ServiceCalendar, ServiceWindow } from './calendar.js';
import { warningMinutes, warsawDate, windowTimeBetween } from './deadlines.js';
import type { Deadline, ServiceRequest } from './request.js';

/** The three clocks of a request: the response hour, the SOS delivery, the device's return. */
export type ClockKind = 'response' | 'delivery' | 'return';

/** The clock counting down on a request now. */
export interface RunningClock {
  kind: ClockKind;
  /** The deadline as stored on the request (instant and trace). */
  deadline: Deadline;
  dueMs: number;
  /**
   * The time it counts: the contract's window for the response hour; delivery and return
   * deadlines are fixed instants, so their clocks count elapsed time, which is 24x7 arithmetic.
   */
  window: ServiceWindow;
}

/** What `runningClock` reads of a request. */
export type ClockFacts = Pick<ServiceRequest, 'status' | 'window' | 'responseDeadline' | 'firstResponse' | 'deliveryDeadline' | 'returnDeadline'>;

/**
 * The clock running on a request, or null when none runs:
 * - `accepted` (and not yet answered): the response hour, in the contract's window time;
 * - `verified` and `shipped`: the SOS delivery deadline (set only for SOS contracts);
 * - `delivered`: the 7-day return deadline.
 * The states before acceptance wait for data or a person, and `contacted`, `returned` and
 * `closed` have nothing left to count.
 */
export function runningClock(request: ClockFacts): RunningClock | null {
  switch (request.status) {
    case 'accepted':
      // A first response stops the response clock; `contacted` records it, so an accepted
      // request with one is only an old record's leftover, and its clock stays stopped.
      if (!request.responseDeadline || !request.window || request.firstResponse) return null;
      return clockOf('response', request.responseDeadline, request.window);
    case 'verified':
    case 'shipped':
      return request.deliveryDeadline ? clockOf('delivery', request.deliveryDeadline, '24x7') : null;
    case 'delivered':
      return request.returnDeadline ? clockOf('return', request.returnDeadline, '24x7') : null;
    default:
      return null;
  }
}

function clockOf(kind: ClockKind, deadline: Deadline, window: ServiceWindow): RunningClock {
  return { kind, deadline, dueMs: Date.parse(deadline.at), window };
}

/** Clock time left at `nowMs`, negative once the deadline passed; on 8x5 it stands still while closed. */
export function remainingClockTime(clock: RunningClock, nowMs: number, calendar: ServiceCalendar): number {
  return windowTimeBetween(nowMs, clock.dueMs, clock.window, calendar);
}

/** A running clock read at one instant: what a countdown shows and how it goes on ticking. */
export interface ClockReading {
  /** Clock time left; negative once breached. */
  remainingMs: number;
  /** The clock stands still until this instant (outside the 8x5 window); null when it runs now. */
  pausedUntil: number | null;
  /** The clock stops again at this instant (17:00 on 8x5); null when it runs on (24x7, elapsed). */
  runsUntil: number | null;
}

/**
 * The clock at `nowMs`: time left, and, on 8x5, when it stands still and until when, so that a
 * browser can run the countdown between updates without knowing the calendar. An 8x5 request
 * on Friday 16:55 reads "paused until Mon 09:00", never "2 days late".
 */
export function readClock(clock: RunningClock, nowMs: number, calendar: ServiceCalendar): ClockReading {
  const remainingMs = remainingClockTime(clock, nowMs, calendar);
  if (clock.window === '24x7') return { remainingMs, pausedUntil: null, runsUntil: null };
  return { remainingMs, ...openingAroundCached(nowMs, calendar) };
}

/**
 * The 8x5 window around an instant: if open, it runs until today's 17:00; if closed, it is
 * paused until the next opening and then runs until that day's close.
 */
export function openingAround(nowMs: number, calendar: ServiceCalendar): { pausedUntil: number | null; runsUntil: number } {
  const today = warsawDate(nowMs);
  const hours = calendar.openingHours(today);
  if (hours && nowMs >= hours.open && nowMs < hours.close) return { pausedUntil: null, runsUntil: hours.close };
  if (hours && nowMs < hours.open) return { pausedUntil: hours.open, runsUntil: hours.close };
  const next = calendar.openingHours(calendar.nextBusinessDay(today));
  // nextBusinessDay() answers a day with opening hours by definition.
  if (!next) impossible(`no opening hours on the business day after ${today}`);
  return { pausedUntil: next.open, runsUntil: next.close };
}

/** The ops list asks the same question 5,000 times for one `now`: answer it once. */
let lastOpening: { nowMs: number; calendar: ServiceCalendar; answer: ReturnType<typeof openingAround> } | undefined;
function openingAroundCached(nowMs: number, calendar: ServiceCalendar): ReturnType<typeof openingAround> {
  if (lastOpening?.nowMs !== nowMs || lastOpening.calendar !== calendar) lastOpening = { nowMs, calendar, answer: openingAround(nowMs, calendar) };
  return lastOpening.answer;
}

// ---------------------------------------------------------------------------------------------
// Urgency: the colour states of a countdown, at the same minutes as the warnings
// (settings alerts.warnMinutesBefore), so that the page turns colour when an alert goes out.

/** The state of one warning threshold: `under30` below 30 minutes left. */
export type WarningState = `under${number}`;

/** Colour states of a countdown: ok, under each warning threshold, breached; `none` without a clock. */
export type UrgencyState = 'ok' | WarningState | 'breached' | 'none';

/** One warning threshold as the ops page colours it. */
export interface UrgencyLevel {
  state: WarningState;
  /** The state holds while less than this much clock time is left (and more than the next level's). */
  belowMs: number;
  /** Which warning it is: the `first` (yellow), one in between (`middle`, orange) or the `last` before the breach (red). */
  warning: 'first' | 'middle' | 'last';
}

/**
 * The urgency levels of the warning minutes, most urgent first: [30, 15, 5] gives under5 (last),
 * under15 (middle), under30 (first). Repeats count once; a threshold that is not a positive
 * number is a settings mistake (SETTINGS_INVALID), as for the warnings themselves.
 */
export function urgencyLevels(warnMinutesBefore: readonly number[]): UrgencyLevel[] {
  const minutes = warningMinutes(warnMinutesBefore).sort((a, b) => a - b);
  return minutes.map((m, index) => ({
    state: `under${m}`,
    belowMs: m * 60_000,
    warning: index === 0 ? 'last' : index === minutes.length - 1 ? 'first' : 'middle',
  }));
}

/** The urgency of a remaining clock time (null: no clock runs), by levels from `urgencyLevels`. */
export function urgencyOf(remainingMs: number | null, levels: readonly UrgencyLevel[]): UrgencyState {
  if (remainingMs === null) return 'none';
  if (remainingMs <= 0) return 'breached';
  return levels.find((level) => remainingMs < level.belowMs)?.state ?? 'ok';
}
