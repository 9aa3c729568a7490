/**
 * What a timer job carries: which warning or reminder, for which request and deadline. In its
 * own file so that the timers (which schedule and fire them) and the alerts (which word them)
 * both depend on it and not on each other.
 */

export type TimerKind = 'response-warning' | 'response-breach' | 'delivery-reminder' | 'delivery-breach' | 'return-reminder' | 'return-overdue';

export interface TimerJobData {
  kind: TimerKind;
  requestNumber: string;
  /** The deadline this timer belongs to; a request re-stamped since then ignores it. */
  deadline: string;
  /** Window-minutes (response) or elapsed minutes (delivery, return) before the deadline. */
  minutesBefore: number;
  fireAt: string;
}
