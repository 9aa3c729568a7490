/**
 * The queue workers' roles: `notify` delivers mails, SMS and webhooks; `timers` fires the
 * warnings and reminders and runs the daily care sweep; `dispatcher` stamps, stores and schedules each submitted draft.
 * Any number of processes may run each (they are BullMQ workers on one Redis).
 */
import { Dispatcher } from '../dispatcher/dispatcher.js';
import { CareScheduler } from '../inspections/care-scheduler.js';
import { clockOption, type SharedServices, type StartContext } from './start-context.js';

export function startNotifyRole(services: SharedServices): void {
  services.notifier.startWorker();
}

/** The timers' worker, and the daily care sweep's schedule and worker (src/inspections/care-scheduler.ts). */
export async function startTimersRole(context: StartContext, services: SharedServices): Promise<void> {
  services.timers.startWorker();
  const scheduler = new CareScheduler({
    connections: context.connections,
    prefix: context.settings.intake.prefix,
    sweep: services.care,
    cron: context.settings.inspection.sweepCron,
    logger: context.logger,
    ...clockOption(context),
  });
  context.stopping.add('serving', 'care scheduler', 3_000, (grace) => scheduler.close(grace));
  await context.connected(scheduler.start());
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
