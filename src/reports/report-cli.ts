/**
 * `hezo-intake report sla`: the SLA report for a month (or any period) as JSON or CSV on
 * stdout, read straight from the gateway's Redis: REDIS_URL / the redis settings when set,
 * else the embedded default's private redis-server that `serve` started in redis.embeddedDir.
 */
import { parseArgs } from 'node:util';
import { ServiceCalendar } from '../domain/calendar.js';
import { IntakeError } from '../errors.js';
import { createRedisConnections } from '../redis/connections.js';
import { readOrCreatePassword, readRedisRecord } from '../redis/redis-files.js';
import { loadCalendarExtras, loadSettings } from '../settings-loader.js';
import { RedisReportSource } from './report-source.js';
import { checkPeriod, slaReport } from './report-routes.js';
import { slaReportCsv } from './sla-csv.js';
import { monthPeriod, type ReportPeriod } from './sla-report.js';

/** The period the flags name (USAGE when they do not name one). */
export function periodFromFlags(values: { month?: string; from?: string; to?: string; contract?: string }): ReportPeriod {
  const contract = values.contract ? { contract: values.contract } : {};
  if (values.month !== undefined) {
    if (values.from !== undefined || values.to !== undefined) throw new IntakeError('USAGE', 'give --month or --from/--to, not both');
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month)) throw new IntakeError('USAGE', `--month must be YYYY-MM, e.g. 2026-11, not "${values.month}"`);
    return { ...monthPeriod(values.month), ...contract };
  }
  if (values.from === undefined || values.to === undefined) throw new IntakeError('USAGE', 'report sla needs --month YYYY-MM, or --from and --to');
  for (const [flag, value] of [['--from', values.from], ['--to', values.to]] as const) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) throw new IntakeError('USAGE', `${flag} must be a date YYYY-MM-DD, not "${value}"`);
  }
  const period = { from: values.from, to: values.to, ...contract };
  try {
    checkPeriod(period);
  } catch (error) {
    throw new IntakeError('USAGE', (error as Error).message);
  }
  return period;
}

export async function reportSla(args: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  let values: { month?: string; from?: string; to?: string; contract?: string; format?: string };
  try {
    values = parseArgs({ args, options: { month: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, contract: { type: 'string' }, format: { type: 'string' } }, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new IntakeError('USAGE', (error as Error).message);
  }
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new IntakeError('USAGE', `--format must be json or csv, not "${format}"`);
  const period = periodFromFlags(values);

  const { settings, sourceOf } = loadSettings();
  let embedded: { url: string; password: string } | undefined;
  if (!settings.redis.url && settings.redis.sentinels.length === 0) {
    const dir = settings.redis.embeddedDir;
    const record = readRedisRecord(dir);
    if (!record) {
      io.stderr.write(`No Redis to read: REDIS_URL is unset and no gateway runs on ${dir}. Start one with "hezo-intake serve", or set REDIS_URL.\n`);
      return 1;
    }
    embedded = { url: `redis://127.0.0.1:${record.port}`, password: readOrCreatePassword(dir) };
  }
  const connections = createRedisConnections({ redis: settings.redis, sourceOf, ...(embedded ? { embedded } : {}) });
  try {
    const redis = connections.client({ purpose: 'report' });
    const calendar = new ServiceCalendar({ extraClosures: loadCalendarExtras(settings.calendar.extrasFile).closures.map((c) => c.date) });
    const report = await slaReport({ source: new RedisReportSource(redis, settings.intake.prefix, calendar) }, period);
    io.stdout.write(format === 'csv' ? slaReportCsv(report) : `${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof IntakeError && error.status < 500) throw error;
    io.stderr.write(`Could not read the requests from Redis (${connections.display}): ${(error as Error).message}\n`);
    return 1;
  } finally {
    connections.disconnectAll();
  }
}
