/**
 * What the ops page shows of a request, as plain functions over plain data. The countdown is
 * the running clock (domain/running-clock.ts) read at the server's `now`: remaining WINDOW
 * time, plus when the clock is paused and until when, so the browser can run the clock between
 * updates without knowing the calendar.
 */
import type { ServiceCalendar } from '../../domain/calendar.js';
import { ACTIONS, canApply, type Action, type ServiceRequest } from '../../domain/request.js';
import { readClock, runningClock, urgencyOf, type ClockKind, type UrgencyLevel, type UrgencyState } from '../../domain/running-clock.js';

/** A running deadline as the browser needs it to tick. */
export interface Countdown {
  /** Which clock: the response hour (window time), delivery or return (elapsed time). */
  kind: ClockKind;
  dueAt: string;
  /** Remaining clock time at the server's `now`; negative once breached. */
  remainingMs: number;
  /** The clock stands still until this instant (outside the 8x5 window); null when it runs now. */
  pausedUntil: string | null;
  /** The clock stops again at this instant (17:00 on 8x5); null when it runs on (24x7, elapsed). */
  runsUntil: string | null;
}

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

/** The clock running on a request now, if any. */
export function countdownOf(request: ServiceRequest, nowMs: number, calendar: ServiceCalendar): Countdown | null {
  const clock = runningClock(request);
  if (!clock) return null;
  const { remainingMs, pausedUntil, runsUntil } = readClock(clock, nowMs, calendar);
  return {
    kind: clock.kind,
    dueAt: clock.deadline.at,
    remainingMs,
    pausedUntil: pausedUntil === null ? null : new Date(pausedUntil).toISOString(),
    runsUntil: runsUntil === null ? null : new Date(runsUntil).toISOString(),
  };
}

/** The colour state of a countdown (the browser goes on computing it from the same levels). */
export function countdownState(countdown: Countdown | null, urgency: readonly UrgencyLevel[]): UrgencyState {
  return urgencyOf(countdown ? countdown.remainingMs : null, urgency);
}

/** A request as one list line. */
export function toRow(request: ServiceRequest, nowMs: number, calendar: ServiceCalendar, urgency: readonly UrgencyLevel[]): RequestRow {
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
    state: countdownState(countdown, urgency),
  };
}

/** The actions an engineer can record on a request in its current status. */
export function availableActions(request: ServiceRequest): Action[] {
  return (Object.keys(ACTIONS) as Action[]).filter((action) => canApply(action, request.status));
}
