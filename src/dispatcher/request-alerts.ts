/**
 * What the dispatcher, the engineer actions and the timers tell people, as they see it. The
 * wording and the sending are notify's (src/notify/engineer-alerts.ts implements this): the
 * dispatcher depends on this contract, never on notify.
 */
import type { ServiceRequest, Undeliverable } from '../domain/request.js';
import type { TimerJobData } from './timer-job.js';

export interface RequestAlerts {
  /**
   * The acknowledgment to the reporter. `key` distinguishes the acknowledgment of filing from
   * the one sent when the clock starts later (missing data arrived) or a reporter is confirmed;
   * `thread` makes a mailed acknowledgment a reply in the reporter's thread.
   */
  acknowledge(request: ServiceRequest, key: string, thread?: { inReplyTo?: string; references?: string[] }): Promise<void>;
  /** A new request, or one that needs a person; once per request. */
  filed(request: ServiceRequest): Promise<void>;
  /** An escalation, to the escalation manager at once; `key` tells one escalation from another. */
  escalation(request: ServiceRequest, key: string): Promise<void>;
  /** A timer fired (warning, breach, delivery or return reminder); once per timer job. */
  timer(timerJobId: string, request: ServiceRequest, timer: TimerJobData): Promise<void>;
  /** Our acknowledgment bounced (the reporter's address is wrong); once per request. */
  undeliverable(request: ServiceRequest, bounce: Undeliverable): Promise<void>;
}
