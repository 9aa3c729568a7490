/**
 * The `hezo-intake` command line. Each command returns its exit code: 0 done, 1 failed
 * (e.g. an invalid registry), 2 usage (unknown flag, bad instant), 78 bad settings.
 */
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ServiceCalendar, type ServiceWindow } from './domain/calendar.js';
import { explainResponseDeadline, formatWarsaw, parseInstant } from './domain/deadlines.js';
import { IntakeError, isIntakeError } from './errors.js';
import { readRegistryFile } from './registry/registry-file.js';
import { formatSettingsError, loadCalendarExtras, loadSettings } from './settings.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, settings: 78 } as const;

const USAGE = `Usage: hezo-intake <command> [options]

Commands:
  serve [--roles web,dispatcher,timers,notify] [--port N]
                                start the gateway (a private redis-server when REDIS_URL is unset);
                                all roles by default
  deadline [--window 8x5|24x7] <instant>
                                print the response deadline for a request sent at <instant>
                                (ISO-8601 with an offset or Z), with its trace; window default 8x5
  deadline --batch              read JSON lines {"receivedAt": "...", "window": "8x5"|"24x7"} on
                                stdin, write each line plus "deadline" (UTC) and "trace"
  contracts check <file>        validate a contract registry file
  call [--line hotline|escalation] [--from +48...] [--url http://127.0.0.1:8080]
                                walk the running phone IVR as Twilio would (signed webhooks);
                                type keypad digits or what you would say, one line per answer
  help                          this text

Settings come from config/ and the environment; see README.md.`;

/** Output sinks, replaceable in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

type CommandHandler = (args: string[], io: CliIo) => Promise<number>;

// Commands listed explicitly in one map (never discovered by path).
const COMMANDS: Record<string, CommandHandler> = {
  serve,
  deadline,
  contracts,
  call: async (args, io) => (await import('./channels/phone/simulator.js')).callCommand(args, io),
  help: async (_args, io) => {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  },
};

export async function main(argv: string[], io: CliIo = process): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') return COMMANDS.help!(rest, io);
  const handler = COMMANDS[command];
  if (!handler) return usageError(io, `unknown command "${command}"`);
  try {
    return await handler(rest, io);
  } catch (error) {
    if (isIntakeError(error)) {
      if (error.code === 'SETTINGS_INVALID') {
        io.stderr.write(`${formatSettingsError(error)}\n`);
        return EXIT.settings;
      }
      if (error.code === 'USAGE' || error.code === 'INSTANT_INVALID' || error.code === 'WINDOW_INVALID') {
        return usageError(io, error.message);
      }
      io.stderr.write(`hezo-intake: ${error.message}\n`);
      for (const d of error.details) io.stderr.write(`  ${d.file ?? ''}${d.line ? `:${d.line}` : ''}${d.file ? ': ' : ''}${d.path}: ${d.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

function usageError(io: CliIo, message: string): number {
  io.stderr.write(`hezo-intake: ${message}\nRun "hezo-intake help" for usage.\n`);
  return EXIT.usage;
}

/** util.parseArgs, with its TypeErrors turned into usage errors. */
function parse<T extends ParseArgsConfig['options']>(args: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new IntakeError('USAGE', (error as Error).message.replace(/\. To specify a positional.*$/s, '.'));
  }
}

async function serve(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { port: { type: 'string' }, roles: { type: 'string' } }, false);
  const env = { ...process.env, ...(values.port ? { PORT: values.port } : {}) };
  const { parseRoles, startGateway } = await import('./main.js');
  // Listened for from the start: a signal while the gateway starts would otherwise end Node at
  // once and leave the embedded redis-server it had spawned running. It stops once started.
  let stopSignal: NodeJS.Signals | undefined;
  let signalled: (signal: NodeJS.Signals) => void = (signal) => {
    stopSignal = signal;
  };
  const onSignal = (signal: NodeJS.Signals): void => signalled(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const gateway = await startGateway({ env, roles: parseRoles(values.roles) });
  const where = gateway.url ? `listening on ${gateway.url} (public URL ${gateway.settings.http.publicUrl})` : 'running';
  io.stdout.write(`hezo-intake ${where}, roles: ${gateway.roles.join(', ')}; Ctrl-C stops it.\n`);
  if (gateway.redisProblem) io.stderr.write(`${gateway.redisProblem}\n`);
  if (gateway.url && Object.keys(gateway.settings.ops.engineers).length === 0) {
    const { demoCredentials } = await import('./ops/ops-page/index.js');
    const demo = demoCredentials();
    io.stdout.write(`No engineer account is configured; sign in at ${gateway.url}/ops as "${demo.login}" with password: ${demo.password}\n`);
  }
  if (gateway.url) {
    const { demoPortalKey } = await import('./channels/portal/api-keys.js');
    const demoKey = demoPortalKey(gateway.settings.portal.apiKeys);
    if (demoKey) io.stdout.write(`No portal API key is configured; try the portal API at ${gateway.url}/portal (demo key: ${demoKey})\n`);
  }
  for (const [name, token] of Object.entries(gateway.generatedTokens)) {
    io.stdout.write(`No engineer API token is configured; for this run, "${name}" is: ${token}\n`);
  }
  const signal = stopSignal ?? (await new Promise<NodeJS.Signals>((resolve) => (signalled = resolve)));
  gateway.logger.info({ signal }, 'stopping');
  await gateway.stop();
  return EXIT.ok;
}

function parseWindow(text: string | undefined): ServiceWindow {
  if (text === undefined) return '8x5';
  if (text === '8x5' || text === '24x7') return text;
  throw new IntakeError('WINDOW_INVALID', `--window must be 8x5 or 24x7, not "${text}"`);
}

function calendarFromSettings(): ServiceCalendar {
  const { settings } = loadSettings();
  const extras = loadCalendarExtras(settings.calendar.extrasFile);
  return new ServiceCalendar({ extraClosures: extras.closures.map((c) => c.date) });
}

async function deadline(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    window: { type: 'string', short: 'w' },
    batch: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.batch) {
    if (positionals.length > 0 || values.window !== undefined) {
      throw new IntakeError('USAGE', '--batch reads instants and windows from stdin; give no instant or --window');
    }
    return deadlineBatch(io, calendarFromSettings());
  }
  if (positionals.length !== 1) throw new IntakeError('USAGE', 'deadline needs exactly one instant, e.g. 2026-12-23T16:30:00+01:00');
  const window = parseWindow(values.window);
  const sentAt = parseInstant(positionals[0] as string);
  const result = explainResponseDeadline(sentAt, window, calendarFromSettings());
  const deadlineIso = new Date(result.deadline).toISOString();
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ sentAt: new Date(sentAt).toISOString(), window, deadline: deadlineIso, trace: result.trace })}\n`);
  } else {
    io.stdout.write(`deadline: ${deadlineIso} (${formatWarsaw(result.deadline)} Europe/Warsaw)\ntrace:    ${result.trace}\n`);
  }
  return EXIT.ok;
}

/**
 * One output line per input line, in order. A bad line gets `"error"` and the batch goes on:
 * one typo in a 10,000-line export must not hide the other 9,999 answers. Blank lines are not
 * inputs and are skipped.
 */
async function deadlineBatch(io: CliIo, calendar: ServiceCalendar): Promise<number> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let buffer = '';
  for await (const line of lines) {
    if (line.trim() === '') continue;
    buffer += `${JSON.stringify(answerBatchLine(line, calendar))}\n`;
    if (buffer.length > 64 * 1024) {
      io.stdout.write(buffer);
      buffer = '';
    }
  }
  io.stdout.write(buffer);
  return EXIT.ok;
}

function answerBatchLine(line: string, calendar: ServiceCalendar): Record<string, unknown> {
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch {
    return { input: line, error: 'not a JSON object: expected {"receivedAt": "<ISO-8601>", "window": "8x5" | "24x7"}' };
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { input, error: 'not a JSON object: expected {"receivedAt": "<ISO-8601>", "window": "8x5" | "24x7"}' };
  }
  const record = input as Record<string, unknown>;
  try {
    if (typeof record.receivedAt !== 'string') {
      throw new IntakeError('INSTANT_INVALID', '"receivedAt" must be a string: ISO-8601 with an offset or Z');
    }
    if (record.window !== '8x5' && record.window !== '24x7') {
      throw new IntakeError('WINDOW_INVALID', `"window" must be "8x5" or "24x7", not ${JSON.stringify(record.window)}`);
    }
    const result = explainResponseDeadline(parseInstant(record.receivedAt), record.window, calendar);
    return { ...record, deadline: new Date(result.deadline).toISOString(), trace: result.trace };
  } catch (error) {
    if (isIntakeError(error)) return { ...record, error: error.message };
    throw error;
  }
}

async function contracts(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'check') throw new IntakeError('USAGE', `contracts needs a subcommand: "contracts check <file>"`);
  const { positionals } = parse(rest, {});
  if (positionals.length !== 1) throw new IntakeError('USAGE', 'contracts check needs exactly one file');
  const file = positionals[0] as string;
  try {
    const registry = readRegistryFile(file);
    const devices = registry.contracts.reduce((n, c) => n + c.devices.length, 0);
    const representatives = registry.contracts.reduce((n, c) => n + c.representatives.length, 0);
    io.stdout.write(`${file}: OK — ${registry.size} contracts, ${devices} devices, ${representatives} representatives\n`);
    return EXIT.ok;
  } catch (error) {
    if (isIntakeError(error) && error.code === 'REGISTRY_INVALID') {
      io.stderr.write(`${error.message}\n`);
      for (const d of error.details) {
        io.stderr.write(`  ${d.file ?? file}${d.line ? `:${d.line}` : ''}: ${d.path}: ${d.message}\n`);
      }
      return EXIT.failed;
    }
    throw error;
  }
}
