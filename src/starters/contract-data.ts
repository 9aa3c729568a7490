/**
 * The data every role reads: the service calendar (Polish holidays and the configured closure
 * days) and the contract registry, watched and reloaded without a restart.
 */
import { ServiceCalendar } from '../domain/calendar.js';
import type { Logger } from '../logger.js';
import { RegistryWatcher } from '../registry/registry-watcher.js';
import type { Settings } from '../settings.js';
import { loadCalendarExtras } from '../settings-loader.js';
import type { StopSequence } from '../stop-sequence.js';

export async function startContractData(
  settings: Readonly<Settings>,
  logger: Logger,
  stopping: StopSequence,
): Promise<{ calendar: ServiceCalendar; registry: RegistryWatcher }> {
  const calendar = new ServiceCalendar({
    extraClosures: loadCalendarExtras(settings.calendar.extrasFile).closures.map((c) => c.date),
  });
  const registry = await RegistryWatcher.open(settings.contracts.file, {
    onReload: (info) => logger.info(info, 'contract registry reloaded'),
    onError: (error) => logger.error({ err: error, details: error.details }, 'contract registry change rejected; keeping the previous registry'),
  });
  stopping.add('processes', 'contract registry watcher', 500, () => registry.close());
  return { calendar, registry };
}
