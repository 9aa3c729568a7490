/**
 * The queue workers' roles: `notify` delivers mails, SMS and webhooks; `timers` fires the
 * warnings and reminders; `dispatcher` stamps, stores and schedules each submitted draft.
 * Any number of processes may run each (they are BullMQ workers on one Redis).
 */
import { Dispatcher } from '../dispatcher/dispatcher.js';
import { reporterMailSent } from '../ops/workbench-actions.js';
import { CareScheduler } from '../inspections/care-scheduler.js';
import { Maintenance } from '../privacy/maintenance.js';
import { clockOption, type SharedServices, type StartContext } from './start-context.js';

export function startNotifyRole(services: SharedServices): void {
  // An engineer's reply records "contacted" when it has been sent (the web processes' lists
  // hear of it through the change feed).
  services.notifier.setOnSent((jobId, notification, sentAtMs) => reporterMailSent(services, jobId, notification, sentAtMs));
  services.notifier.startWorker();
}

export function startTimersRole(services: SharedServices): void {
  services.timers.startWorker();
}

/** The daily care sweep (inspections, renewals; src/inspections/) is scheduled beside the timers: one schedule per deployment. */
export async function startCareRole(context: StartContext, services: SharedServices): Promise<void> {
  const { settings, logger, stopping, connections } = context;
  const scheduler = new CareScheduler({ connections, prefix: settings.intake.prefix, sweep: services.care, cron: settings.inspection.sweepCron, logger, ...clockOption(context) });
  stopping.add('serving', 'care scheduler', 3_000, (grace) => scheduler.close(grace));
  await context.connected(scheduler.start());
}

/** The daily retention sweep (src/privacy/maintenance.ts) runs beside the timers: one schedule per deployment. */
export async function startMaintenanceRole(context: StartContext, services: SharedServices): Promise<Maintenance> {
  const { settings, logger, stopping, connections } = context;
  const { redis, store, attachments, recordings } = services;
  const maintenance = new Maintenance({ connections, redis, store, attachments, prefix: settings.intake.prefix, retention: settings.retention, recordings, logger, ...clockOption(context) });
  stopping.add('serving', 'maintenance', 5_000, (grace) => maintenance.close(grace));
  await context.connected(maintenance.start());
  return maintenance;
}

export async function startDispatcherRole(context: StartContext, services: SharedServices): Promise<void> {
  const { settings, logger, stopping, connections } = context;
  const dispatcher = new Dispatcher({
    connections,
    prefix: settings.intake.prefix,
    concurrency: settings.intake.dispatchConcurrency,
    lockDurationMs: settings.intake.lockDurationMs,
    stalledIntervalMs: settings.intake.stalledIntervalMs,
    registry: () => services.registry.current,
    calendar: services.calendar,
    store: services.store,
    timers: services.timers,
    alerts: services.alerts,
    logger,
    ...clockOption(context),
  });
  dispatcher.start();
  stopping.add('serving', 'dispatcher', 5_000, (grace) => dispatcher.close(grace));
  await context.connected(dispatcher.ready());
}
