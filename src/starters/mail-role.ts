/**
 * The `mail` role: one watcher per configured mailbox (each held by one process at a time
 * through a Redis lease), its readiness checks, and an alert when a mailbox stays unreachable.
 */
import { MailboxSupervisor } from '../channels/mail/supervisor.js';
import type { Readiness } from '../util/readiness.js';
import type { SharedServices, StartContext } from './start-context.js';

/** The started supervisor, or undefined when no mailbox is configured. */
export async function startMailRole(context: StartContext, services: SharedServices, readiness: Readiness): Promise<MailboxSupervisor | undefined> {
  const { settings, logger, stopping } = context;
  if (settings.mailboxes.list.length === 0) return undefined;
  const supervisor = new MailboxSupervisor({
    intake: services.intake,
    attachments: services.attachments,
    redis: services.redis,
    settings,
    logger,
    notifier: services.notifier,
    // Where a serial written with spaces ends ("S/N Q48 24 07315 2 szt."): the registry knows.
    registry: () => services.registry.current,
    onUnreachable: (mailbox, sinceMs, reason) => {
      services.alerts.mailboxDown(mailbox, sinceMs, reason).catch((error: unknown) => logger.error({ err: error, mailbox }, 'could not queue the mailbox alert'));
    },
  });
  await supervisor.start();
  stopping.add('serving', 'mailbox watchers', 3_000, (grace) => supervisor.stop({ graceMs: grace }));
  for (const { name, check } of supervisor.readinessChecks()) readiness.register(name, check);
  return supervisor;
}
