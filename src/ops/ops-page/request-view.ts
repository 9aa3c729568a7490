/**
 * What the ops page shows of a request, as plain functions over plain data. The countdown is
 * the heart of it: remaining WINDOW time, plus when the clock is paused and until when, so
 * the browser can run the clock between updates without knowing the calendar. An 8x5 request
 * on Friday 16:55 shows "paused until Mon 09:00", never "2 days late".
 */
import type { ServiceCalendar } from '../../domain/calendar.js';
import { warsawDate, windowTimeBetween } from '../../domain/deadlines.js';
import { ACTIONS, canApply, type Action, type ServiceRequest } from '../../domain/request.js';
import { impossible } from '../../errors.js';

/** A running deadline as the browser needs it to tick. */
export interface Countdown {
  /** Which clock: the response hour (window time), delivery or return (elapsed time). */
  kind: 'response' | 'delivery' | 'return';
  dueAt: string;
  /** Remaining clock time at the server's `now`; negative once breached. */
  remainingMs: number;
  /** The clock stands still until this instant (outside the 8x5 window); null when it runs now. */
  pausedUntil: string | null;
  /** The clock stops again at this instant (17:00 on 8x5); null when it runs on (24x7, elapsed). */
  runsUntil: string | null;
}

/** Colour states of the list: ok, under 30 / 15 / 5 minutes, breached; `none` without a clock. */
export type UrgencyState = 'ok' | 'under30' | 'under15' | 'under5' | 'breached' | 'none';

/** One line of the list. */
export interface RequestRow {
  number: string;
  status: ServiceRequest['status'];
  channel: ServiceRequest['channel'];
  kind: ServiceRequest['kind'];
  escalated: boolean;
  customer: string | null;
  contractNumber: string | null;
  device: string | null;
  subject: string | null;
  reporter: string | null;
  sentAt: string;
  window: ServiceRequest['window'] | null;
  countdown: Countdown | null;
  state: UrgencyState;
}

/** The state for a remaining time (also computed in the browser as the clock runs). */
export function urgencyState(remainingMs: number | null): UrgencyState {
  if (remainingMs === null) return 'none';
  if (remainingMs <= 0) return 'breached';
  if (remainingMs < 5 * 60_000) return 'under5';
  if (remainingMs < 15 * 60_000) return 'under15';
  if (remainingMs < 30 * 60_000) return 'under30';
  return 'ok';
}

/** The clock running on a request now, if any. */
export function countdownOf(request: ServiceRequest, nowMs: number, calendar: ServiceCalendar): Countdown | null {
  if (request.status === 'accepted' && request.responseDeadline && request.window && !request.firstResponse) {
    const due = Date.parse(request.responseDeadline.at);
    const remainingMs = windowTimeBetween(nowMs, due, request.window, calendar);
    if (request.window === '24x7') return { kind: 'response', dueAt: request.responseDeadline.at, remainingMs, pausedUntil: null, runsUntil: null };
    const { pausedUntil, runsUntil } = openingAroundCached(nowMs, calendar);
    return {
      kind: 'response',
      dueAt: request.responseDeadline.at,
      remainingMs,
      pausedUntil: pausedUntil === null ? null : new Date(pausedUntil).toISOString(),
      runsUntil: new Date(runsUntil).toISOString(),
    };
  }
  const elapsed =
    (request.status === 'verified' || request.status === 'shipped') && request.deliveryDeadline
      ? { kind: 'delivery' as const, deadline: request.deliveryDeadline }
      : request.status === 'delivered' && request.returnDeadline
        ? { kind: 'return' as const, deadline: request.returnDeadline }
        : null;
  if (!elapsed) return null;
  return { kind: elapsed.kind, dueAt: elapsed.deadline.at, remainingMs: Date.parse(elapsed.deadline.at) - nowMs, pausedUntil: null, runsUntil: null };
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

/** The list asks the same question 5,000 times for one `now`: answer it once. */
let lastOpening: { nowMs: number; calendar: ServiceCalendar; answer: ReturnType<typeof openingAround> } | undefined;
function openingAroundCached(nowMs: number, calendar: ServiceCalendar): ReturnType<typeof openingAround> {
  if (lastOpening?.nowMs !== nowMs || lastOpening.calendar !== calendar) lastOpening = { nowMs, calendar, answer: openingAround(nowMs, calendar) };
  return lastOpening.answer;
}

/** A request as one list line. */
export function toRow(request: ServiceRequest, nowMs: number, calendar: ServiceCalendar): RequestRow {
  const countdown = countdownOf(request, nowMs, calendar);
  return {
    number: request.number,
    status: request.status,
    channel: request.channel,
    kind: request.kind,
    escalated: request.escalated,
    customer: request.customer ?? null,
    contractNumber: request.contractNumber ?? null,
    device: request.device ? `${request.device.model} ${request.device.serial}` : (request.serialNumber ?? null),
    subject: request.subject ?? null,
    reporter: request.reporter.name ?? null,
    sentAt: request.sentAt,
    window: request.window ?? null,
    countdown,
    state: urgencyState(countdown ? countdown.remainingMs : null),
  };
}

/** The actions an engineer can record on a request in its current status. */
export function availableActions(request: ServiceRequest): Action[] {
  return (Object.keys(ACTIONS) as Action[]).filter((action) => canApply(action, request.status));
}
