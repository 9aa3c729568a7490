/**
 * The `hezo-intake` command line. Each command returns its exit code: 0 done, 1 failed
 * (e.g. an invalid registry), 2 usage (unknown flag, bad instant), 69 the HTTP port cannot be
 * listened on (taken, privileged), 78 bad settings.
 */
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ServiceCalendar, type ServiceWindow } from './domain/calendar.js';
import { explainResponseDeadline, formatWarsaw, parseInstant } from './domain/deadlines.js';
import { IntakeError, isIntakeError } from './errors.js';
import { readRegistryFile } from './registry/registry-file.js';
import type { CliIo } from './util/cli-io.js';
import { formatSettingsError, loadCalendarExtras, loadSettings, type SettingOverride } from './settings-loader.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, unavailable: 69, settings: 78 } as const;

type CommandHandler = (args: string[], io: CliIo) => Promise<number>;

/** A command of the map: its help lives beside its handler, so a command cannot come without one. */
export interface Command {
  /** One line in the list `hezo-intake help` prints. */
  summary: string;
  /** What `<command> --help` and `help <command>` print; starts with `Usage: hezo-intake <command>`. */
  help: string;
  run: CommandHandler;
  /** Commands under this one (`contracts check`), each with its own help. */
  subcommands?: Readonly<Record<string, Command>>;
}

// Commands listed explicitly in one map (never discovered by path).
export const COMMANDS: Readonly<Record<string, Command>> = {
  serve: {
    summary: 'start the gateway (a private redis-server when REDIS_URL is unset)',
    help: `Usage: hezo-intake serve [--roles web,dispatcher,timers,notify,mail] [--port N]

Starts the gateway: the HTTP server (ops page, engineer API, Twilio webhooks, portal API,
/healthz, /readyz, /metrics), the dispatcher, the timers, the notifier and the mailbox
watchers. With REDIS_URL unset it starts a private redis-server with its data in var/redis/
and stops it on exit. Ctrl-C (SIGINT) or SIGTERM stops the gateway.

Options:
  --roles LIST  the roles this process runs, comma-separated; default all:
                web, dispatcher, timers, notify, mail
  --port N      the HTTP port, over http.port and PORT (0: any free port); with
                http.publicUrl not set, the public URL becomes http://localhost:N
  -h, --help    this text

Exit codes: 0 stopped, 2 usage, 69 the HTTP port cannot be listened on, 78 invalid settings.`,
    run: serve,
  },
  deadline: {
    summary: 'print the response deadline for a request sent at an instant, with its trace',
    help: `Usage: hezo-intake deadline [--window 8x5|24x7] [--json] <instant>
       hezo-intake deadline --batch

Prints the response deadline for a request sent at <instant> (ISO-8601 with an offset or Z)
and its trace: the window-minutes that counted and the days that were closed.

Options:
  -w, --window W  the service window: 8x5 (default; Polish public holidays and the closures in
                  config/calendar-extras.json are closed) or 24x7
  --json          one JSON line {sentAt, window, deadline, trace} instead of text
  --batch         read JSON lines {"receivedAt": "...", "window": "8x5"|"24x7"} on stdin; write
                  each line plus "deadline" (UTC) and "trace", or plus "error" (the batch goes on)
  -h, --help      this text

Example:
  hezo-intake deadline --window 8x5 2026-12-23T16:30:00+01:00`,
    run: deadline,
  },
  contracts: {
    summary: 'work with the contract registry file (contracts check <file>)',
    help: `Usage: hezo-intake contracts check <file>

Commands:
  check <file>  validate a contract registry file

Run "hezo-intake contracts check --help" for more.`,
    run: async () => {
      throw new IntakeError('USAGE', 'contracts needs a subcommand: "contracts check <file>"');
    },
    subcommands: {
      check: {
        summary: 'validate a contract registry file',
        help: `Usage: hezo-intake contracts check <file>

Validates a contract registry file (the JSON export of the ERP; docs/contract-registry.md) as
the gateway would load it, and lists every problem with its line and field, so that the
export can be fixed in one go. Exit 0 when the file is valid, 1 when it is not.

Options:
  -h, --help  this text`,
        run: contractsCheck,
      },
    },
  },
  mailboxes: {
    summary: 'check that every mailbox and the SMTP relay can be signed in to (mailboxes check)',
    help: `Usage: hezo-intake mailboxes check

Commands:
  check  sign in to every configured mailbox and to the SMTP relay, step by step

Run "hezo-intake mailboxes check --help" for more.`,
    run: async () => {
      throw new IntakeError('USAGE', 'mailboxes needs a subcommand: "mailboxes check"');
    },
    subcommands: {
      check: {
        summary: 'sign in to every configured mailbox and to the SMTP relay, step by step',
        help: `Usage: hezo-intake mailboxes check

Signs in to every mailbox in the settings (mailboxes.list) as the gateway will, then to the
SMTP relay (mail.smtp), and prints one line per step: the token (for Microsoft 365, Google
Workspace or another OAuth2 provider), the sign-in, INBOX, the Processed and Quarantine folders
(made when missing, as the gateway would), and the relay's sign-in. Each line says OK, or the
exact reason (the provider's own words, such as AADSTS7000215) and what to do about it.
The first thing to run after pointing the gateway at its mailboxes (docs/mailboxes.md).

Exit codes: 0 every step passed, 1 a step failed (or no mailbox is configured), 78 invalid settings.

Options:
  -h, --help  this text`,
        run: async (args, io) => {
          parse(args, {}, false);
          return (await import('./ops/mailboxes-check.js')).mailboxesCheck(io);
        },
      },
    },
  },
  report: {
    summary: 'print a report from the gateway\'s requests (report sla --month YYYY-MM)',
    help: `Usage: hezo-intake report sla --month YYYY-MM [--contract N] [--format json|csv]

Commands:
  sla  the SLA report for a month or a period, as JSON or CSV

Run "hezo-intake report sla --help" for more.`,
    run: async () => {
      throw new IntakeError('USAGE', 'report needs a subcommand: "report sla --month YYYY-MM"');
    },
    subcommands: {
      sla: {
        summary: 'the SLA report for a month or a period, as JSON or CSV',
        help: `Usage: hezo-intake report sla --month YYYY-MM [--contract N] [--format json|csv]
       hezo-intake report sla --from YYYY-MM-DD --to YYYY-MM-DD [--contract N] [--format json|csv]

Prints the SLA report over the requests sent in the period (Warsaw dates, both inclusive):
per customer and contract and in total, requests by channel and outcome, first responses met,
breached and pending with the met rate and window-minutes to the first response (median, p90,
max), SOS deliveries, overdue returns, inspections and 8x5 requests sent outside the window
(docs/reports.md). It reads the gateway's Redis: REDIS_URL (or the redis settings) when set,
else the private redis-server of a running "hezo-intake serve".

Options:
  --month M        a calendar month, e.g. 2026-11
  --from D --to D  the first and last day instead of --month (at most 400 days)
  --contract N     only this contract
  --format F       json (default) or csv (one row per customer and contract, then TOTAL)
  -h, --help       this text

Exit codes: 0 printed, 1 Redis could not be read, 2 usage, 78 invalid settings.`,
        run: async (args, io) => (await import('./reports/report-cli.js')).reportSla(args, io),
      },
    },
  },
  call: {
    summary: 'walk the running phone IVR as Twilio would, from the terminal',
    help: `Usage: hezo-intake call [--line hotline|escalation] [--from +48...] [--url URL] [--public-url URL]

Walks the running phone IVR as Twilio would: signed webhooks, following <Gather>, <Redirect>,
<Record> and <Hangup>. It prints what the caller would hear; type keypad digits (then Enter),
or words where speech is accepted; an empty line is silence; Ctrl-D hangs up.

It signs for the public URL the gateway checks signatures against (it asks the gateway at
GET /twilio) with the auth token of the settings here (twilio.authToken, TWILIO_AUTH_TOKEN;
empty on the embedded default), and says which URL it signs for.

Options:
  --line L          hotline (default) or escalation
  --from NUMBER     the caller's number (default +48600100200)
  --url URL         where the gateway listens (default http.host:http.port from the settings;
                    "hezo-intake serve" prints the command with its URL)
  --public-url URL  sign for this URL instead of the one the gateway says
  -h, --help        this text`,
    run: async (args, io) => (await import('./channels/phone/simulator.js')).callCommand(args, io),
  },
  privacy: {
    summary: 'show or erase what is held about one person (privacy export, privacy erase)',
    help: `Usage: hezo-intake privacy export --email ADDRESS | --phone NUMBER
       hezo-intake privacy erase --email ADDRESS | --phone NUMBER [--force]

Commands:
  export  print everything held about the person, as JSON
  erase   anonymize everything held about the person

Run "hezo-intake privacy export --help" for more; docs/privacy.md tells what is covered.`,
    run: async () => {
      throw new IntakeError('USAGE', 'privacy needs a subcommand: "privacy export" or "privacy erase"');
    },
    subcommands: {
      export: {
        summary: 'print everything held about one person, as JSON',
        help: `Usage: hezo-intake privacy export --email ADDRESS | --phone NUMBER

Prints, as JSON, everything the gateway holds about one person (GDPR/RODO art. 15): the
requests they filed, replied to or are named in, with their histories; the attachments and
call recordings; queue jobs naming them (messages sent to them); quarantined mail from them;
calls of theirs waiting in the phone spool. The address is matched case-insensitively, the
number in any spelling (+48 601 234 567, 601-234-567).

It works beside a running gateway, on its Redis: REDIS_URL (or redis.url, Sentinels) when set,
else the private redis-server of the data folder (var/redis) — the running gateway's, or one
started for the command when no gateway runs there.

Options:
  --email ADDRESS  the person's e-mail address
  --phone NUMBER   the person's phone number (Polish numbers may leave out +48)
  -h, --help       this text

Exit codes: 0 printed, 1 failed (Redis unreachable), 2 usage, 78 invalid settings.`,
        run: async (args, io) => (await import('./privacy/privacy-command.js')).privacyCommand('export', args, io),
      },
      erase: {
        summary: 'anonymize everything held about one person',
        help: `Usage: hezo-intake privacy erase --email ADDRESS | --phone NUMBER [--force]

Anonymizes everything the gateway holds about one person (GDPR/RODO art. 17): their requests
keep what the SLA statistics need (number, contract, device, channel, deadlines, outcome, event
times) and lose the reporter, subject, description, attachments, mail headers, recording
addresses and the text of replies and notes; their queue jobs, quarantine entries, per-address
records, attachment files and spooled calls go; Redis's append-only file is rewritten. Each
changed request gets a "personal-data-removed" event and the audit list a line, naming no one.
Prints what was done as JSON (request numbers and counts).

Refused, with nothing changed, while the person has open requests, queued jobs or spooled
calls, unless --force. Runs on the gateway's Redis as "privacy export" does.

Options:
  --email ADDRESS  the person's e-mail address
  --phone NUMBER   the person's phone number
  --force          erase even open requests and work still queued
  -h, --help       this text

Exit codes: 0 erased, 1 refused (open requests), failed, or something of theirs arrived meanwhile
("leftover" in the report: run it again), 2 usage, 78 invalid settings.`,
        run: async (args, io) => (await import('./privacy/privacy-command.js')).privacyCommand('erase', args, io),
      },
    },
  },
  help: {
    summary: 'list the commands, or print the help of one (help <command>)',
    help: `Usage: hezo-intake help [<command> [<subcommand>]]

Lists the commands, or prints the help of one, as "hezo-intake <command> --help" does.`,
    run: async (args, io) => {
      if (args.length === 0) {
        io.stdout.write(`${overview()}\n`);
        return EXIT.ok;
      }
      const found = findCommand(args);
      if (!found || found.rest.length > 0) throw new IntakeError('USAGE', `no command "${args.join(' ')}"`);
      io.stdout.write(`${found.command.help}\n`);
      return EXIT.ok;
    },
  },
};

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;
  const list = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`);
  return `Usage: hezo-intake <command> [options]

Commands:
${list.join('\n')}

"hezo-intake <command> --help" (or "hezo-intake help <command>") tells a command's options.
Settings come from config/, the environment and flags; see README.md.
Exit codes: 0 done, 1 failed, 2 usage, 69 the HTTP port cannot be listened on, 78 invalid settings.`;
}

/** The command `args` name (descending into subcommands) and the arguments left for it. */
function findCommand(args: readonly string[]): { command: Command; path: string[]; rest: string[] } | undefined {
  const [name, ...rest] = args;
  let command = name === undefined ? undefined : COMMANDS[name];
  if (!command) return undefined;
  const path = [name as string];
  for (let sub = command.subcommands?.[rest[0] ?? '']; sub; sub = command.subcommands?.[rest[0] ?? '']) {
    command = sub;
    path.push(rest.shift() as string);
  }
  return { command, path, rest };
}

/** `--help` or `-h` anywhere before a `--` asks for help instead of running the command. */
function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

export async function main(argv: string[], io: CliIo = process): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout.write(`${overview()}\n`);
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (!found) return usageError(io, `unknown command "${argv[0]}"`);
  if (asksForHelp(found.rest)) {
    io.stdout.write(`${found.command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await found.command.run(found.rest, io);
  } catch (error) {
    if (isIntakeError(error)) {
      if (error.code === 'SETTINGS_INVALID') {
        io.stderr.write(`${formatSettingsError(error)}\n`);
        return EXIT.settings;
      }
      if (error.code === 'USAGE' || error.code === 'INSTANT_INVALID' || error.code === 'WINDOW_INVALID') {
        return usageError(io, error.message, found.path);
      }
      if (error.code === 'PORT_UNAVAILABLE') {
        io.stderr.write(`hezo-intake: ${error.message}\n`);
        return EXIT.unavailable;
      }
      io.stderr.write(`hezo-intake: ${error.message}\n`);
      for (const d of error.details) io.stderr.write(`  ${d.file ?? ''}${d.line ? `:${d.line}` : ''}${d.file ? ': ' : ''}${d.path}: ${d.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

function usageError(io: CliIo, message: string, path?: readonly string[]): number {
  const help = path && path[0] !== 'help' ? `hezo-intake ${path.join(' ')} --help` : 'hezo-intake help';
  io.stderr.write(`hezo-intake: ${message}\nRun "${help}" for usage.\n`);
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
  // A layer of its own, so that a wrong value is reported against --port, not PORT.
  const overrides: SettingOverride[] = values.port === undefined ? [] : [{ path: 'http.port', value: values.port, type: 'number', source: '--port' }];
  const { parseRoles, startGateway } = await import('./main.js');
  const { ShutdownSignals } = await import('./shutdown-signals.js');
  const shutdown = new ShutdownSignals({ stderr: io.stderr });
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  try {
    gateway = await startGateway({ overrides, roles: parseRoles(values.roles) });
  } catch (error) {
    shutdown.dispose();
    // Refused before touching anything: the one line names the running gateway.
    if (isIntakeError(error) && error.code === 'ALREADY_RUNNING') {
      io.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
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
  if (gateway.url) {
    // Where a terminal on this machine reaches the gateway (0.0.0.0 and :: are not addresses to call).
    const callUrl = gateway.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
    io.stdout.write(`Try the phone IVR without Twilio, in another terminal: npx hezo-intake call --url ${callUrl}\n`);
  }
  for (const [name, token] of Object.entries(gateway.generatedTokens)) {
    io.stdout.write(`No engineer API token is configured; for this run, "${name}" is: ${token}\n`);
  }
  const signal = await shutdown.first;
  gateway.logger.info({ signal }, 'stopping');
  await gateway.stop();
  shutdown.markStopped();
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

async function contractsCheck(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new IntakeError('USAGE', 'contracts check needs exactly one file');
  const file = positionals[0] as string;
  try {
    const registry = readRegistryFile(file);
    const devices = registry.contracts.reduce((n, c) => n + c.devices.length, 0);
    const representatives = registry.contracts.reduce((n, c) => n + c.representatives.length, 0);
    const care = registry.contracts.filter((c) => c.systemCare === true).length;
    io.stdout.write(`${file}: OK — ${registry.size} contracts, ${devices} devices, ${representatives} representatives; ${care} with system care\n`);
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
