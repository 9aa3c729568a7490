/**
 * The daily care sweep: files the yearly inspections falling due through submit() (one per
 * device and due date: the source key `inspection:<serial>:<due date>`), asks the
 * representatives to agree a date, alerts engineers about overdue inspections once and then
 * weekly, and sends the renewal reminders. Every step is idempotent (submit's source keys, the
 * once-markers of CareRecords), so two processes sweeping at once, or a sweep run again after
 * a crash, change nothing twice. Also what closing an inspection sets off (`inspectionClosed`).
 */
import type { ServiceCalendar } from '../domain/calendar.js';
import type { ContractRegistry } from '../domain/contracts.js';
import { warsawDate } from '../domain/deadlines.js';
import { inspectionSourceKey, inspectionsToFile, overdueAlertWeek } from '../domain/inspections.js';
import type { ServiceRequest } from '../domain/request.js';
import { renewalReminderKey, renewalsDue } from '../domain/renewals.js';
import type { NotificationSink } from '../notify/notification-sink.js';
import type { RequestStore } from '../store/request-store.js';
import type { Intake } from '../intake/intake.js';
import type { Logger } from '../logger.js';
import type { NotificationJob } from '../notify/notification-channel.js';
import type { CareRecords } from './care-records.js';
import { renderInspectionDateMail, renderInspectionRecordMail, renderOverdueAlert, renderRenewalMail } from './care-messages.js';

export interface CareSweepOptions {
  intake: Intake;
  store: Pick<RequestStore, 'get' | 'listOpen'>;
  records: CareRecords;
  notifier: NotificationSink;
  registry: () => ContractRegistry;
  calendar: ServiceCalendar;
  leadDays: number;
  reminderDays: readonly number[];
  salesEmails: readonly string[];
  engineerEmails: readonly string[];
  webhookConfigured: boolean;
  /** Links in mails point here (settings.http.publicUrl). */
  publicUrl: string;
  logger: Logger;
}

/** What one sweep did (logged, and returned as the job's result). */
export interface SweepResult {
  filed: string[];
  overdueAlerts: string[];
  renewalReminders: string[];
}

export class CareSweep {
  constructor(private readonly options: CareSweepOptions) {}

  /** Runs every step for the Warsaw day of `nowMs`. */
  async sweep(nowMs: number): Promise<SweepResult> {
    const filed = await this.fileInspections(nowMs);
    const overdueAlerts = await this.alertOverdue(nowMs);
    const renewalReminders = await this.remindRenewals(nowMs);
    if (filed.length + overdueAlerts.length + renewalReminders.length > 0) {
      this.options.logger.info({ filed, overdueAlerts, renewalReminders }, 'care sweep done');
    }
    return { filed, overdueAlerts, renewalReminders };
  }

  /** Files what falls due and asks for a date; returns the numbers of the requests this sweep filed first. */
  async fileInspections(nowMs: number): Promise<string[]> {
    const { records, registry, calendar, leadDays } = this.options;
    const due = inspectionsToFile(registry(), await records.inspectionsDone(), warsawDate(nowMs), leadDays, calendar);
    const filed: string[] = [];
    for (const inspection of due) {
      const { contract, device, dueDate } = inspection;
      const result = await this.options.intake.submit({
        channel: 'schedule',
        kind: 'inspection',
        sourceKey: inspectionSourceKey(device.serial, dueDate),
        sentAt: new Date(nowMs).toISOString(),
        reporter: { name: 'myHEZO' },
        serialNumber: device.serial,
        contractNumber: contract.number,
        subject: `Przegląd roczny / Yearly inspection: ${device.model} ${device.serial}, ${dueDate}`,
        language: 'pl',
        raw: { payload: { dueDate, dueAt: new Date(inspection.dueAtMs).toISOString(), basis: inspection.basis } },
      });
      if (!result.duplicate) filed.push(result.requestNumber);
      if (contract.inspectionMails === false) continue;
      const emails = contract.representatives.map((representative) => representative.email);
      const mail = renderInspectionDateMail({ requestNumber: result.requestNumber, contract, device, dueDate });
      const key = `inspection-date:${result.requestNumber}`;
      await records.enqueueOnce(key, this.options.notifier, [{ jobId: key, job: mailJob(result.requestNumber, emails, mail) }]);
    }
    return filed;
  }

  /** Alerts engineers about each open inspection past its due time: once, then every 7 days. */
  async alertOverdue(nowMs: number): Promise<string[]> {
    const open = await this.options.store.listOpen({ channel: 'schedule', limit: 100_000 });
    const alerted: string[] = [];
    for (const request of open) {
      if (request.kind !== 'inspection' || !request.inspection) continue;
      const week = overdueAlertWeek(Date.parse(request.inspection.dueAt), nowMs);
      if (week === null) continue;
      const alert = renderOverdueAlert(request, request.inspection, week, this.options.publicUrl);
      const key = `inspection-overdue:${request.number}:${week}`;
      const jobs: Array<{ jobId: string; job: NotificationJob }> = [];
      if (this.options.webhookConfigured) {
        jobs.push({ jobId: `alert-webhook:${key}`, job: { type: 'alert-webhook', requestNumber: request.number, event: 'inspection-overdue', payload: alert.payload } });
      }
      if (this.options.engineerEmails.length > 0) {
        jobs.push({ jobId: `alert-mail:${key}`, job: mailJob(request.number, this.options.engineerEmails, alert) });
      }
      if (jobs.length > 0 && (await this.options.records.enqueueOnce(key, this.options.notifier, jobs))) alerted.push(`${request.number}#${week}`);
    }
    return alerted;
  }

  /** Sends the renewal reminder owed to each contract ending soon, once per contract, threshold and end date. */
  async remindRenewals(nowMs: number): Promise<string[]> {
    const sent: string[] = [];
    for (const renewal of renewalsDue(this.options.registry(), warsawDate(nowMs), this.options.reminderDays)) {
      const { contract, daysLeft, threshold } = renewal;
      const mail = renderRenewalMail(contract, daysLeft);
      const key = renewalReminderKey(contract, threshold);
      const jobs: Array<{ jobId: string; job: NotificationJob }> = [];
      if (this.options.salesEmails.length > 0) jobs.push({ jobId: `${key}:sales`, job: mailJob('', this.options.salesEmails, mail) });
      if (contract.renewalReminders === true) {
        jobs.push({ jobId: `${key}:representatives`, job: mailJob('', contract.representatives.map((r) => r.email), mail) });
      }
      if (jobs.length > 0 && (await this.options.records.enqueueOnce(key, this.options.notifier, jobs))) sent.push(`${contract.number}@${threshold}`);
    }
    return sent;
  }

  /**
   * An inspection was closed: its date becomes the device's last inspection (the next is due a
   * year on), and the representatives get the record unless their contract opted out.
   */
  async inspectionClosed(request: ServiceRequest): Promise<void> {
    const inspection = request.inspection;
    if (request.kind !== 'inspection' || !inspection?.doneOn) return;
    const serial = request.device?.serial ?? request.serialNumber;
    if (serial) await this.options.records.recordInspection(serial, inspection.doneOn);
    const contract = request.contractNumber ? this.options.registry().findContract(request.contractNumber) : undefined;
    if (!contract || contract.inspectionMails === false) return;
    const mail = renderInspectionRecordMail(request, inspection);
    const key = `inspection-record:${request.number}`;
    await this.options.records.enqueueOnce(key, this.options.notifier, [{ jobId: key, job: mailJob(request.number, contract.representatives.map((r) => r.email), mail) }]);
  }
}

function mailJob(requestNumber: string, to: readonly string[], mail: { subject: string; text: string }): NotificationJob {
  return { type: 'alert-mail', requestNumber, to: [...to], subject: mail.subject, text: mail.text };
}
