/**
 * The queue workers' roles: `notify` delivers mails, SMS and webhooks; `timers` fires the
 * warnings and reminders; `dispatcher` stamps, stores and schedules each submitted draft.
 * Any number of processes may run each (they are BullMQ workers on one Redis).
 */
import { Dispatcher } from '../dispatcher/dispatcher.js';
import { reporterMailSent } from '../ops/workbench-actions.js';
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
