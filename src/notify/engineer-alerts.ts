/**
 * What the dispatcher and the timers tell people: acknowledgments to reporters (mail, SMS) and
 * alerts to engineers and the escalation manager (webhook, mail). Everything goes through the
 * notify queue with fixed job ids, so a dispatcher job that runs twice sends nothing twice.
 */
import { reporterMayKnowCase } from '../domain/assessment.js';
import { normalizePhone } from '../domain/contract-terms.js';
import type { ContractRegistry } from '../domain/contracts.js';
import type { ServiceRequest, Undeliverable } from '../domain/request.js';
import type { RequestAlerts } from '../dispatcher/request-alerts.js';
import type { TimerJobData } from '../dispatcher/timer-job.js';
import { renderAcknowledgment, renderSms, type AcknowledgmentInput } from './acknowledgment-messages.js';
import { renderAlert, type AlertEvent } from './alert-messages.js';
import type { NotificationSink } from './notification-sink.js';

export interface EngineerAlertsOptions {
  notifier: NotificationSink;
  engineerEmails: readonly string[];
  escalationManagerEmails: readonly string[];
  /** Webhook alerts are queued only when a URL is configured. */
  webhookConfigured: boolean;
  /**
   * The registry in force: whether the reporter is a representative of the request's contract,
   * and so may be told its customer and device (DESIGN.md section 9).
   */
  registry: () => ContractRegistry;
  now?: () => number;
}

const TIMER_EVENTS: Record<TimerJobData['kind'], AlertEvent> = {
  'response-warning': 'warning',
  'response-breach': 'breach',
  'delivery-reminder': 'delivery-reminder',
  'delivery-breach': 'delivery-breach',
  'return-reminder': 'return-reminder',
  'return-overdue': 'return-overdue',
};

export class EngineerAlerts implements RequestAlerts {
  constructor(private readonly options: EngineerAlertsOptions) {}

  /**
   * The acknowledgment to the reporter: by mail when we have an address, by SMS for phone
   * reports. `key` distinguishes the acknowledgment of filing from the one sent when the clock
   * starts later (missing data arrived).
   */
  async acknowledge(request: ServiceRequest, key: string, thread: { inReplyTo?: string; references?: string[] } = {}): Promise<void> {
    const input = this.acknowledgmentOf(request);
    if (request.reporter.email) {
      const mail = renderAcknowledgment(input);
      await this.options.notifier.enqueue(`ack-mail:${request.number}:${key}`, {
        type: 'ack-mail',
        requestNumber: request.number,
        to: request.reporter.email,
        subject: mail.subject,
        text: mail.text,
        ...(thread.inReplyTo ? { inReplyTo: thread.inReplyTo } : {}),
        ...(thread.references?.length ? { references: thread.references } : {}),
      });
    }
    if (request.channel === 'phone' && request.reporter.phone) {
      await this.options.notifier.enqueue(`ack-sms:${request.number}:${key}`, {
        type: 'ack-sms',
        requestNumber: request.number,
        // Twilio wants E.164; reporters write Polish numbers every usual way.
        to: normalizePhone(request.reporter.phone) ?? request.reporter.phone,
        text: renderSms(input),
      });
    }
  }

  /**
   * What the reporter is told. A representative of the matched contract reads its customer and
   * device; anyone else only the request number and what they themselves left out, or that the
   * contract and device are being checked — never whose contract a typed number is, nor whether
   * it exists, expired, or covers the serial (issue 20: acknowledgments named the customer to
   * whoever typed a real contract number).
   */
  private acknowledgmentOf(request: ServiceRequest): AcknowledgmentInput {
    const base = { requestNumber: request.number, language: request.language, ...(request.subject ? { subject: request.subject } : {}), now: this.options.now?.() ?? Date.now() };
    if (reporterMayKnowCase(request, this.options.registry())) {
      return {
        ...base,
        status: ackStatus(request),
        ...(request.responseDeadline ? { responseDeadline: request.responseDeadline.at } : {}),
        missing: missingOf(request),
        ...(request.customer ? { customer: request.customer } : {}),
        ...(request.device ? { device: request.device } : {}),
      };
    }
    const notGiven: Array<'serial' | 'contract'> = [];
    if (!request.serialNumber) notGiven.push('serial');
    if (!request.contractNumber) notGiven.push('contract');
    return notGiven.length > 0 ? { ...base, status: 'needs-info', missing: notGiven } : { ...base, status: 'checking' };
  }

  /**
   * A new request, or one that needs a person (expired contract, unknown reporter). One alert
   * per request whatever its status: a filing job run again after a reply moved the request on
   * would otherwise send the other kind too.
   */
  async filed(request: ServiceRequest): Promise<void> {
    const event: AlertEvent = request.status === 'accepted' ? 'new-request' : 'needs-attention';
    await this.send(`filed:${request.number}`, event, request, this.options.engineerEmails, request.status !== 'accepted');
  }

  /** An escalation goes to the escalation manager at once (and to the webhook). */
  async escalation(request: ServiceRequest, key: string): Promise<void> {
    await this.send(`escalation:${request.number}:${key}`, 'escalation', request, this.options.escalationManagerEmails, true);
  }

  /**
   * Our acknowledgment bounced: the reporter's address is wrong. One alert per request, however
   * many of its acknowledgments come back.
   */
  async undeliverable(request: ServiceRequest, bounce: Undeliverable): Promise<void> {
    const recipient = bounce.recipient ?? request.reporter.email ?? '?';
    const why = [bounce.status, bounce.diagnostic].filter(Boolean).join(' ');
    await this.send(`undeliverable:${request.number}`, 'acknowledgment-undeliverable', request, this.options.engineerEmails, true, {
      reason: `${recipient}${why ? `: ${why}` : ''}`,
    });
  }

  /** A timer fired: warning, breach, delivery or return reminder. */
  async timer(timerJobId: string, request: ServiceRequest, timer: TimerJobData): Promise<void> {
    await this.send(`timer:${timerJobId}`, TIMER_EVENTS[timer.kind], request, this.options.engineerEmails, true, {
      minutesBefore: timer.minutesBefore,
      deadline: timer.deadline,
    });
  }

  /** A mailbox has been unreachable longer than allowed: mail is not becoming requests. */
  async mailboxDown(mailbox: string, sinceMs: number, reason?: string): Promise<void> {
    const key = `mailbox-down:${mailbox}:${sinceMs}`;
    const alert = renderAlert('mailbox-down', { mailbox, ...(reason ? { reason } : {}), now: this.options.now?.() ?? Date.now() });
    if (this.options.webhookConfigured) {
      await this.options.notifier.enqueue(`alert-webhook:${key}`, { type: 'alert-webhook', requestNumber: '', event: 'mailbox-down', payload: alert.payload });
    }
    if (this.options.engineerEmails.length > 0) {
      await this.options.notifier.enqueue(`alert-mail:${key}`, { type: 'alert-mail', requestNumber: '', to: [...this.options.engineerEmails], subject: alert.subject, text: alert.text });
    }
  }

  private async send(
    key: string,
    event: AlertEvent,
    request: ServiceRequest,
    emails: readonly string[],
    byMail: boolean,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const mailed = byMail && emails.length > 0;
    if (!this.options.webhookConfigured && !mailed) return;
    const alert = renderAlert(event, { request, ...extra, now: this.options.now?.() ?? Date.now() });
    if (this.options.webhookConfigured) {
      await this.options.notifier.enqueue(`alert-webhook:${key}`, { type: 'alert-webhook', requestNumber: request.number, event, payload: alert.payload });
    }
    if (mailed) {
      await this.options.notifier.enqueue(`alert-mail:${key}`, {
        type: 'alert-mail',
        requestNumber: request.number,
        to: [...emails],
        subject: alert.subject,
        text: alert.text,
      });
    }
  }
}

function ackStatus(request: ServiceRequest): 'accepted' | 'needs-info' | 'unauthorized-reporter' | 'contract-expired' {
  return request.acceptability;
}

function missingOf(request: ServiceRequest): Array<'serial' | 'contract'> {
  if (request.status !== 'needs-info') return [];
  const missing: Array<'serial' | 'contract'> = [];
  if (!request.device) missing.push('serial');
  if (!request.customer) missing.push('contract');
  return missing;
}
