/**
 * Loading the settings: `config/default.json`, then an optional `config/local.json` (or the file named by
 * HEZO_CONFIG), then environment variables, then command-line flags — validated once with zod
 * and frozen. A wrong setting stops the start with a message naming the layer that set it (the
 * file and line, the variable or the flag), the field and what is expected; never a stack
 * trace.
 *
 * What each setting means and accepts is src/settings.ts; how a JSON layer is read, merged and
 * its problems worded is src/settings-layers.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { IntakeError, IntakeErrorDetail } from './errors.js';
import { lineAt, type LocatedJson } from './json-text.js';
import { resolveAuthFiles } from './mail-auth/auth-settings.js';
import { calendarExtrasSchema, DEFAULT_CONFIG_DIR, ENV_OVERRIDES, settingsSchema, type CalendarExtras, type Settings } from './settings.js';
import { deepFreeze, describeIssue, displayPath, isPlainObject, knownKeys, mergeInto, readJsonFile, setPath, settingsError, sourceOf, unknownSetting, type Json, type JsonObject } from './settings-layers.js';

export interface LoadSettingsOptions {
  /** Folder holding default.json (and local.json). */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
  /** The last layer, over the environment: command-line flags such as `serve --port`. */
  overrides?: readonly SettingOverride[];
}

/** One setting given on the command line, e.g. `{ path: 'http.port', value: '8081', type: 'number', source: '--port' }`. */
export interface SettingOverride {
  path: string;
  /** As typed; read as `type`. */
  value: string;
  type: 'string' | 'number';
  /** What messages name as the source of the value: the flag. */
  source: string;
}

/** Settings plus where they came from; paths in them are absolute. */
export interface LoadedSettings {
  settings: Readonly<Settings>;
  configDir: string;
  /** Files read, in order of precedence (last wins). */
  sources: readonly string[];
  /** Where a setting was set (`config/local.json`, `environment REDIS_PASSWORD`), for messages about it. */
  sourceOf(fieldPath: string): string;
}

export function loadSettings(options: LoadSettingsOptions = {}): LoadedSettings {
  const env = options.env ?? process.env;
  const configDir = path.resolve(options.configDir ?? env.HEZO_CONFIG_DIR ?? DEFAULT_CONFIG_DIR);
  // Which layer set each leaf, so that a validation error can name the file or variable.
  const provenance = new Map<string, string>();
  const merged: JsonObject = {};
  const sources: string[] = [];

  const files = [path.join(configDir, 'default.json')];
  const local = env.HEZO_CONFIG ? path.resolve(env.HEZO_CONFIG) : path.join(configDir, 'local.json');
  if (env.HEZO_CONFIG || existsSync(local)) files.push(local);
  // Each file as parsed for its lines, by the name provenance gives it.
  const located = new Map<string, LocatedJson>();
  // default.json as read (merging reuses its objects), to suggest the key a typo meant.
  let defaults: JsonObject = {};
  for (const [index, file] of files.entries()) {
    const { value: layer, located: where } = readJsonFile(file);
    if (index === 0) defaults = structuredClone(layer);
    mergeInto(merged, layer, '', displayPath(file), provenance);
    located.set(displayPath(file), where);
    sources.push(file);
  }

  const envProblems: IntakeErrorDetail[] = [];
  for (const [name, target] of Object.entries(ENV_OVERRIDES)) {
    const fromFile = target.type === 'string' ? fileVariable(env, name, target.path, envProblems) : undefined;
    const raw = fromFile?.value ?? env[name];
    const source = fromFile?.source ?? `environment ${name}`;
    // An empty number variable counts as unset (`PORT=` in a compose file); blanks do not.
    if (raw === undefined || (raw === '' && target.type === 'number')) continue;
    let value: Json = raw;
    if (target.type === 'number') {
      value = decimal(raw);
      if (!Number.isFinite(value)) {
        envProblems.push({ path: target.path, file: source, message: `expected a number, got "${raw}"` });
        continue;
      }
    } else if (target.type === 'list') {
      value = raw.split(',').map((item) => item.trim()).filter(Boolean);
    }
    setPath(merged, target.path, value);
    provenance.set(target.path, source);
  }
  if (envProblems.length > 0) throw settingsError(envProblems);

  const flagProblems: IntakeErrorDetail[] = [];
  for (const override of options.overrides ?? []) {
    let value: Json = override.value;
    if (override.type === 'number') {
      value = decimal(override.value);
      if (!Number.isFinite(value)) {
        flagProblems.push({ path: override.path, file: override.source, message: `expected a number, got "${override.value}"` });
        continue;
      }
    }
    setPath(merged, override.path, value);
    provenance.set(override.path, override.source);
  }
  if (flagProblems.length > 0) throw settingsError(flagProblems);
  followPortWithDefaultPublicUrl(merged, (fieldPath) => sourceOf(fieldPath, provenance, sources), displayPath(files[0] as string));

  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) {
    const details = parsed.error.issues.flatMap((issue): IntakeErrorDetail[] => {
      // One line per unknown key, each against the file that has it (zod reports them on the parent object).
      const problems =
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ at: [...issue.path, key], message: unknownSetting(key, knownKeys(defaults, issue.path)) }))
          : [{ at: issue.path, message: describeIssue(issue) }];
      return problems.map(({ at, message }) => {
        const fieldPath = at.map(String).join('.');
        const source = sourceOf(fieldPath, provenance, sources);
        const where = located.get(source);
        const line = where ? lineAt(where, at as (string | number)[]) : undefined;
        return { path: fieldPath || '(root)', file: source, ...(line ? { line } : {}), message };
      });
    });
    // In the order of the files' lines, as whoever fixes them reads.
    details.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0));
    throw settingsError(details);
  }

  // Relative file paths are relative to the folder that holds config/, so the gateway can be
  // started from any working directory.
  const base = path.dirname(configDir);
  const settings = parsed.data;
  settings.redis.embeddedDir = path.resolve(base, settings.redis.embeddedDir);
  settings.contracts.file = path.resolve(base, settings.contracts.file);
  settings.calendar.extrasFile = path.resolve(base, settings.calendar.extrasFile);
  settings.attachments.dir = path.resolve(base, settings.attachments.dir);
  settings.mail.smtp.auth = resolveAuthFiles(settings.mail.smtp.auth, base);
  for (const mailbox of settings.mailboxes.list) mailbox.imap.auth = resolveAuthFiles(mailbox.imap.auth, base);
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    if (settings.redis.tls[key] !== '') settings.redis.tls[key] = path.resolve(base, settings.redis.tls[key]);
  }
  return { settings: deepFreeze(settings), configDir, sources, sourceOf: (fieldPath) => sourceOf(fieldPath, provenance, sources) };
}

/** A number as typed, strictly decimal: Number() would take "" and " " as 0 and "0x1F90" as 8080. NaN otherwise. */
function decimal(raw: string): number {
  return /^[+-]?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
}

/**
 * The shipped public URL (http://localhost:8080) is right only for the shipped port. When the
 * port was set elsewhere (local.json, PORT, --port) and the public URL was not, the default is
 * http://localhost:<that port>, so the phone simulator and Twilio signatures of a local try
 * agree with where the gateway listens. Port 0 (any free port) leaves it as it is.
 */
function followPortWithDefaultPublicUrl(merged: JsonObject, setBy: (fieldPath: string) => string, defaults: string): void {
  const http = merged.http;
  if (!isPlainObject(http) || setBy('http.publicUrl') !== defaults || setBy('http.port') === defaults) return;
  const port = http.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return;
  http.publicUrl = `http://localhost:${port}`;
}

/**
 * `<NAME>_FILE`: the value of NAME read from a file, as Docker secrets are mounted. One trailing
 * newline is dropped (editors and `echo` add it; a password never ends in one). Setting both
 * NAME and NAME_FILE, or a file that cannot be read, is a problem naming the variable.
 */
function fileVariable(env: NodeJS.ProcessEnv, name: string, fieldPath: string, problems: IntakeErrorDetail[]): { value: string; source: string } | undefined {
  const file = env[`${name}_FILE`];
  if (file === undefined || file === '') return undefined;
  const source = `environment ${name}_FILE`;
  if (env[name] !== undefined) {
    problems.push({ path: fieldPath, file: source, message: `both ${name} and ${name}_FILE are set: keep one` });
    return undefined;
  }
  try {
    return { value: readFileSync(file, 'utf8').replace(/\r?\n$/, ''), source: `${source} (${file})` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    problems.push({ path: fieldPath, file: source, message: `cannot read ${file}: ${reason}` });
    return undefined;
  }
}

/** Reads and validates the calendar extras file named in settings. */
export function loadCalendarExtras(file: string): CalendarExtras {
  const { value, located } = readJsonFile(file);
  const parsed = calendarExtrasSchema.safeParse(value);
  if (!parsed.success) {
    throw settingsError(
      parsed.error.issues.map((issue) => {
        const line = lineAt(located, issue.path as (string | number)[]);
        return { path: issue.path.map(String).join('.') || '(root)', file: displayPath(file), ...(line ? { line } : {}), message: describeIssue(issue) };
      }),
    );
  }
  return deepFreeze(parsed.data);
}

/** One line per problem: `config/local.json:3: http.port: expected ...`, `--port: http.port: ...`. */
export function formatSettingsError(error: IntakeError): string {
  const lines = error.details.map((d) => `  ${d.file ?? 'settings'}${d.line ? `:${d.line}` : ''}: ${d.path}: ${d.message}`);
  return [error.message, ...lines].join('\n');
}
