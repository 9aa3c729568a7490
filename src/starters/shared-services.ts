/**
 * The services every role shares, made once per process: the Redis clients, the request store,
 * the attachment store, the notify queue and its alerts, the timers' queue and submit(). The
 * workers behind the queues start only in their roles (worker-roles.ts).
 */
import type { ServiceCalendar } from '../domain/calendar.js';
import type { ServiceRequest } from '../domain/request.js';
import { TimerService } from '../dispatcher/timers.js';
import { AttachmentStore } from '../intake/attachment-store.js';
import { IntakeService } from '../intake/submit.js';
import { EngineerAlerts } from '../notify/engineer-alerts.js';
import { Notifier } from '../notify/notifier.js';
import type { RegistryWatcher } from '../registry/registry-watcher.js';
import { defaultSpoolDir } from '../channels/phone/phone-spool.js';
import { DataSubjectRequests } from '../privacy/data-subject-requests.js';
import { TwilioRecordings } from '../privacy/twilio-recordings.js';
import { CareRecords } from '../inspections/care-records.js';
import { CareSweep } from '../inspections/care-sweep.js';
import { RequestStore } from '../store/request-store.js';
import type { StartedRedis } from './redis-starter.js';
import { clockOption, type SharedServices, type StartContext } from './start-context.js';

export async function startSharedServices(
  context: StartContext,
  data: { calendar: ServiceCalendar; registry: RegistryWatcher },
  connect: StartedRedis['connect'],
): Promise<SharedServices> {
  const { settings, logger, stopping, connections } = context;
  // Auto-pipelining: the commands of many requests at once leave in one socket write, which
  // roughly halves what a portal request costs in CPU here and in redis-server (bench/portal:
  // 0.45x → 0.73x of the bare baseline in the same run).
  const redis = connect('general', true, true);
  // But a pipelined client has one batch in flight at a time and a command waits for the
  // batch before it: the phone's call sessions — a caller listening to silence — get their own.
  const callRedis = connect('call-sessions', false);

  const prefix = settings.intake.prefix;
  const store = new RequestStore(redis, prefix);
  const attachments = new AttachmentStore(settings.attachments.dir, settings.attachments.maxBytes);
  const notifier = new Notifier({ connections, settings, logger });
  stopping.add('serving', 'notifier', 5_000, (grace) => notifier.close(grace));
  const alerts = new EngineerAlerts({
    notifier,
    engineerEmails: settings.alerts.engineerEmails,
    escalationManagerEmails: settings.alerts.escalationManagerEmails,
    webhookConfigured: settings.alerts.webhookUrl !== '',
    registry: () => data.registry.current,
    ...clockOption(context),
  });
  const timers = new TimerService({
    connections,
    prefix,
    warnMinutesBefore: settings.alerts.warnMinutesBefore,
    calendar: data.calendar,
    store,
    alerts,
    logger,
    ...clockOption(context),
  });
  stopping.add('serving', 'timers', 5_000, (grace) => timers.close(grace));
  const intake = new IntakeService({
    connections,
    prefix,
    dispatchAttempts: settings.intake.dispatchAttempts,
    timeoutMs: settings.redis.commandTimeoutMs,
    ownMessageIdDomain: settings.mail.messageIdDomain,
    ...clockOption(context),
  });
  stopping.add('intake', 'intake', 1_000, (grace) => intake.close(grace));
  await context.connected(intake.ready());
  const recordings = new TwilioRecordings(settings.twilio);
  const privacy = new DataSubjectRequests({ redis, store, prefix, attachments, recordings, phoneSpoolDir: defaultSpoolDir(settings), ...clockOption(context) });
  // System care and renewals (src/inspections/): the daily sweep is scheduled by the timers role.
  const care = new CareSweep({
    intake,
    store,
    records: new CareRecords(redis, prefix),
    notifier,
    registry: () => data.registry.current,
    calendar: data.calendar,
    leadDays: settings.inspection.leadDays,
    reminderDays: settings.renewals.reminderDays,
    salesEmails: settings.renewals.salesEmails,
    engineerEmails: settings.alerts.engineerEmails,
    webhookConfigured: settings.alerts.webhookUrl !== '',
    publicUrl: settings.http.publicUrl,
    logger,
  });
  const inspectionClosed = (request: ServiceRequest): Promise<void> => care.inspectionClosed(request);
  return { ...data, redis, callRedis, store, attachments, notifier, alerts, timers, intake, recordings, privacy, care, inspectionClosed };
}
