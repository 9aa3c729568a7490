/**
 * Settings: `config/default.json`, then an optional `config/local.json` (or the file named by
 * HEZO_CONFIG), then environment variables, then command-line flags — validated once with zod
 * and frozen. A wrong setting stops the start with a message naming the layer that set it (the
 * file and line, the variable or the flag), the field and what is expected; never a stack
 * trace. Units are in the field names (`timeoutMs`, `port`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { IntakeError, type IntakeErrorDetail } from './errors.js';
import { lineAt, locateJson, type LocatedJson } from './json-text.js';
import { checkAccountAuth, mailAuthSchema, resolveAuthFiles } from './mail-auth/auth-settings.js';

/** The package root: `src/` and `dist/` both sit one level below it. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_CONFIG_DIR = path.join(PACKAGE_ROOT, 'config');

const port = z.number().int().min(0).max(65535);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');

/** `host:port` of one Sentinel. */
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, 'expected host:port, e.g. 10.0.0.5:26379');

/**
 * Where Redis is and how to reach it: one node by URL (redis:// or rediss://), or a Sentinel
 * group; credentials (ACL username and password) apart from the URL so that they can come from
 * files (REDIS_PASSWORD_FILE); and how many replicas must confirm a request before its source
 * is acknowledged (WAIT). The combinations are checked below; src/redis/connections.ts turns
 * these into connection options.
 */
const redisSchema = z
  .object({
    /** redis:// or rediss:// (TLS). Empty, and no sentinels: start a private redis-server (the embedded default) with data in `embeddedDir`. */
    url: z.union([z.literal(''), z.string().regex(/^rediss?:\/\/[^\s]+$/, 'expected redis://host:port or rediss://host:port (or empty for the private redis-server)')]),
    embeddedDir: z.string().min(1),
    /** How long submit() waits for Redis before answering "unavailable, retry". */
    commandTimeoutMs: z.number().int().positive(),
    /** ACL user (Redis 6+); empty: the default user. Overrides a user in the URL. */
    username: z.string(),
    /** Overrides a password in the URL; prefer REDIS_PASSWORD_FILE to keep it out of files and `ps`. */
    password: z.string(),
    /** For rediss:// and for a Sentinel group over TLS (then every node and Sentinel speaks TLS). */
    tls: z
      .object({
        /** PEM file of the CA that signed the servers' certificates; empty: the system's CAs. */
        caFile: z.string(),
        /** A client certificate and its key (PEM), when the servers ask for one (`tls-auth-clients`). */
        certFile: z.string(),
        keyFile: z.string(),
        /** The name the servers' certificates carry, when it is not the host connected to. */
        servername: z.string(),
      })
      .strict(),
    /** Sentinels as host:port; set with `sentinelName` instead of `url`. */
    sentinels: z.array(hostPort),
    /** The name the Sentinels monitor the primary under (`sentinel monitor <name> ...`). */
    sentinelName: z.string(),
    /** The Sentinels' own ACL user and password (their `requirepass`), apart from the data nodes'. */
    sentinelUsername: z.string(),
    sentinelPassword: z.string(),
    /**
     * Replicas that must confirm a request's writes (WAIT) before its source is acknowledged.
     * null: 1 with Sentinel, 0 on one node.
     */
    minReplicasAcked: z.number().int().min(0).nullable(),
    /** How long a WAIT may take before the channel answers as when Redis is down (503, fallback, mail kept). */
    waitTimeoutMs: z.number().int().positive(),
  })
  .strict()
  .superRefine((redis, ctx) => {
    if (redis.sentinels.length > 0 && redis.sentinelName === '') {
      // Reported against the setting that was set (its source is named), not the missing one.
      ctx.addIssue({ code: 'custom', path: ['sentinels'], message: 'redis.sentinels is set but redis.sentinelName is empty: name the primary the Sentinels monitor' });
    }
    if (redis.sentinelName !== '' && redis.sentinels.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['sentinelName'], message: 'redis.sentinelName is set but redis.sentinels is empty: list the Sentinels (host:port)' });
    }
    if (redis.sentinels.length > 0 && redis.url !== '') {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'set either redis.url (one node) or redis.sentinels (a Sentinel group), not both' });
    }
    if ((redis.tls.certFile === '') !== (redis.tls.keyFile === '')) {
      ctx.addIssue({ code: 'custom', path: ['tls', redis.tls.certFile === '' ? 'certFile' : 'keyFile'], message: 'a client certificate needs both redis.tls.certFile and redis.tls.keyFile' });
    }
    const tlsSet = redis.tls.caFile !== '' || redis.tls.certFile !== '' || redis.tls.servername !== '';
    if (tlsSet && redis.url.startsWith('redis://')) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'redis.tls is set but the URL is redis:// (plain text): use rediss:// for TLS' });
    }
    if (tlsSet && redis.url === '' && redis.sentinels.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'redis.tls is set but no Redis is configured: the private redis-server speaks plain text on 127.0.0.1' });
    }
    if (redis.url === '' && redis.sentinels.length === 0 && (redis.minReplicasAcked ?? 0) > 0) {
      ctx.addIssue({ code: 'custom', path: ['minReplicasAcked'], message: 'the private redis-server (redis.url empty) has no replicas to confirm writes: use 0, or configure a Redis with replicas' });
    }
  });

export const settingsSchema = z
  .object({
    http: z
      .object({
        host: z.string().min(1),
        port,
        /**
         * The URL the outside world uses to reach this gateway (Twilio signs webhooks with it,
         * links in mails point to it). Behind a proxy it differs from what express sees.
         */
        publicUrl: z.url({ message: 'expected an absolute URL such as https://intake.myhezo.pl' }),
      })
      .strict(),
    redis: redisSchema,
    contracts: z.object({ file: z.string().min(1) }).strict(),
    intake: z
      .object({
        /** Prefix of every Redis key and queue of this deployment. */
        prefix: z.string().min(1).regex(/^[a-z0-9-]+$/, 'expected lowercase letters, digits and dashes'),
        /** Job attempts of the dispatcher before a job is kept as failed (shown on the queue board). */
        dispatchAttempts: z.number().int().min(1),
        dispatchConcurrency: z.number().int().min(1),
        /**
         * How long a worker's lock on a job lasts, and how often stalled jobs are looked for: a
         * dispatcher killed mid-job has its jobs taken over after about lock + interval.
         */
        lockDurationMs: z.number().int().min(1000),
        stalledIntervalMs: z.number().int().min(1000),
      })
      .strict(),
    alerts: z
      .object({
        /** Window-minutes before the response deadline at which engineers are warned. */
        warnMinutesBefore: z.array(z.number().positive()),
        /** Engineer alerts as JSON POSTs; empty: none. */
        webhookUrl: z.union([z.literal(''), z.url()]),
        webhookTimeoutMs: z.number().int().positive(),
        /** Engineer alerts by mail. */
        engineerEmails: z.array(z.email()),
        /** The escalation manager, alerted at once on every escalation. */
        escalationManagerEmails: z.array(z.email()),
      })
      .strict(),
    mail: z
      .object({
        /** The address acknowledgments come from (and that our loop guard recognises). */
        from: z.string().min(3),
        /** Domain of the Message-IDs we generate; replies carrying them thread to their request. */
        messageIdDomain: z.string().min(1),
        smtp: z
          .object({
            host: z.string(),
            port,
            secure: z.boolean(),
            user: z.string(),
            password: z.string(),
            /** Instead of user and password: OAuth2 (Microsoft 365, Google Workspace, any provider); see docs/mailboxes.md. */
            auth: mailAuthSchema.optional(),
            /** Self-signed certificates on an internal relay. */
            rejectUnauthorized: z.boolean(),
          })
          .strict()
          .superRefine((smtp, ctx) => checkAccountAuth(smtp, ctx, false)),
      })
      .strict(),
    twilio: z
      .object({
        accountSid: z.string(),
        authToken: z.string(),
        /** The number SMS confirmations come from. Empty: no SMS. */
        smsFrom: z.string(),
        /** Twilio's REST API root; tests point it at a local stand-in. Empty: Twilio's own. */
        apiBaseUrl: z.union([z.literal(''), z.url()]),
      })
      .strict(),
    notify: z
      .object({
        attempts: z.number().int().min(1),
        /** First retry delay; it doubles up to maxBackoffMs. */
        backoffMs: z.number().int().positive(),
        maxBackoffMs: z.number().int().positive(),
        /** At most this many acknowledgments to one address per hour (no mail loops). */
        ackPerSenderPerHour: z.number().int().min(1),
      })
      .strict(),
    attachments: z
      .object({
        /** Where device logs and other attachments are kept (content-addressed by sha256). */
        dir: z.string().min(1),
        maxBytes: z.number().int().positive(),
      })
      .strict(),
    phone: z
      .object({
        hotlineNumber: z.string().min(1),
        escalationNumber: z.string().min(1),
        voicePl: z.string().min(1),
        voiceEn: z.string().min(1),
        /** How long a call's collected answers are kept in Redis. */
        sessionTtlSeconds: z.number().int().positive(),
        /** Wrong answers before the caller is asked to leave a message for a call-back. */
        maxFailures: z.number().int().min(1),
        /** Check X-Twilio-Signature on every webhook (never off in production). */
        validateSignature: z.boolean(),
      })
      .strict(),
    mailboxes: z
      .object({
        list: z.array(
          z
            .object({
              name: z.string().min(1).regex(/^[a-z0-9-]+$/),
              address: z.email(),
              kind: z.enum(['service', 'escalation']),
              imap: z
                .object({
                  host: z.string().min(1),
                  port,
                  secure: z.boolean(),
                  // Empty when `auth` is given; kept as strings so that the password form stays as it was.
                  user: z.string().default(''),
                  password: z.string().default(''),
                  /** Instead of user and password: OAuth2 (Microsoft 365, Google Workspace, any provider); see docs/mailboxes.md. */
                  auth: mailAuthSchema.optional(),
                  rejectUnauthorized: z.boolean(),
                })
                .strict()
                .superRefine((imap, ctx) => checkAccountAuth(imap, ctx, true)),
              processedFolder: z.string().min(1),
              quarantineFolder: z.string().min(1),
            })
            .strict(),
        ),
        maxMessageBytes: z.number().int().positive(),
        /** On a mailbox's first connection, mail older than this is left alone; newer is imported without auto-replies. */
        importMaxAgeDays: z.number().int().min(0),
        drainIntervalMs: z.number().int().positive(),
        leaseTtlMs: z.number().int().min(1000),
        /** Engineers are alerted when a mailbox has been unreachable this long. */
        unreachableAlertMs: z.number().int().positive(),
        /** Regular expressions (case-insensitive) with one capture group for the number. */
        serialPatterns: z.array(z.string().min(1)),
        contractPatterns: z.array(z.string().min(1)),
      })
      .strict(),
    portal: z
      .object({
        /** API keys of portal back ends: name → sha256 (hex) of the key. Empty: a demo key for the embedded default. */
        // The client's name goes into the source keys of what it files (`portal:<client>:<key>`),
        // which tell who filed a request: a ':' in a name could pass for another client's.
        apiKeys: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, 'expected the sha256 (hex) of the key')).superRefine((keys, ctx) => {
          for (const name of Object.keys(keys)) {
            if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'a client name is 1 to 64 letters, digits, dots, dashes or underscores' });
          }
        }),
        maxBodyBytes: z.number().int().positive(),
        maxAttachmentsPerRequest: z.number().int().min(1),
        /** An explicit sentAt may be at most this old. */
        sentAtMaxAgeMs: z.number().int().positive(),
        rateLimitWindowMs: z.number().int().positive(),
        rateLimitMax: z.number().int().positive(),
      })
      .strict(),
    ops: z
      .object({
        /** Engineer accounts of the ops page: login → bcrypt hash and preferred language. Empty: a demo account for the embedded default. */
        engineers: z.record(
          z.string().min(1),
          z.object({ passwordHash: z.string().regex(/^\$2[aby]\$\d{2}\$/, 'expected a bcrypt hash'), name: z.string().min(1), language: z.enum(['pl', 'en']) }).strict(),
        ),
        sessionTtlSeconds: z.number().int().positive(),
        /** Failed sign-ins before an account is locked, and for how long. */
        lockoutAttempts: z.number().int().min(1),
        lockoutSeconds: z.number().int().positive(),
        /** Secure cookies (off only for plain-HTTP local use). */
        cookieSecure: z.boolean(),
      })
      .strict(),
    api: z
      .object({
        /** Bearer tokens of the engineer API: name → token (use long random strings). */
        engineerTokens: z.record(z.string().min(1), z.string().min(16, 'expected a token of at least 16 characters')),
      })
      .strict(),
    calendar: z.object({ extrasFile: z.string().min(1) }).strict(),
    log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) }).strict(),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

/** Extra closure days (beyond Polish public holidays) for the 8x5 calendar. */
export const calendarExtrasSchema = z
  .object({
    closures: z.array(z.object({ date: isoDate, reason: z.string().min(1) }).strict()),
  })
  .strict();
export type CalendarExtras = z.infer<typeof calendarExtrasSchema>;

/**
 * Environment variables that override settings, in one table so that the README and the
 * error messages agree. Values are parsed as the field's type (`list`: comma-separated).
 * Every `string` one may also be given as `<NAME>_FILE`, the path of a file holding the
 * value (Docker and Kubernetes secrets): see `fileVariable`.
 */
export const ENV_OVERRIDES: Readonly<Record<string, { path: string; type: 'string' | 'number' | 'list' }>> = {
  HOST: { path: 'http.host', type: 'string' },
  PORT: { path: 'http.port', type: 'number' },
  PUBLIC_URL: { path: 'http.publicUrl', type: 'string' },
  REDIS_URL: { path: 'redis.url', type: 'string' },
  REDIS_USERNAME: { path: 'redis.username', type: 'string' },
  REDIS_PASSWORD: { path: 'redis.password', type: 'string' },
  REDIS_TLS_CA_FILE: { path: 'redis.tls.caFile', type: 'string' },
  REDIS_SENTINELS: { path: 'redis.sentinels', type: 'list' },
  REDIS_SENTINEL_NAME: { path: 'redis.sentinelName', type: 'string' },
  REDIS_SENTINEL_PASSWORD: { path: 'redis.sentinelPassword', type: 'string' },
  REDIS_MIN_REPLICAS_ACKED: { path: 'redis.minReplicasAcked', type: 'number' },
  HEZO_REDIS_DIR: { path: 'redis.embeddedDir', type: 'string' },
  HEZO_CONTRACTS_FILE: { path: 'contracts.file', type: 'string' },
  HEZO_CALENDAR_EXTRAS_FILE: { path: 'calendar.extrasFile', type: 'string' },
  LOG_LEVEL: { path: 'log.level', type: 'string' },
  SMTP_HOST: { path: 'mail.smtp.host', type: 'string' },
  SMTP_PORT: { path: 'mail.smtp.port', type: 'number' },
  SMTP_USER: { path: 'mail.smtp.user', type: 'string' },
  SMTP_PASSWORD: { path: 'mail.smtp.password', type: 'string' },
  TWILIO_ACCOUNT_SID: { path: 'twilio.accountSid', type: 'string' },
  TWILIO_AUTH_TOKEN: { path: 'twilio.authToken', type: 'string' },
  TWILIO_SMS_FROM: { path: 'twilio.smsFrom', type: 'string' },
  TWILIO_API_BASE_URL: { path: 'twilio.apiBaseUrl', type: 'string' },
  ALERT_WEBHOOK_URL: { path: 'alerts.webhookUrl', type: 'string' },
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

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

function settingsError(details: IntakeErrorDetail[]): IntakeError {
  return new IntakeError('SETTINGS_INVALID', 'The settings are invalid; the gateway did not start. Fix:', { details });
}

function readJsonFile(file: string): { value: JsonObject; located: LocatedJson } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw settingsError([{ path: '(file)', file: displayPath(file), message: reason }]);
  }
  const located = locateJson(text);
  if (located.syntaxProblems.length > 0) {
    throw settingsError(located.syntaxProblems.map(({ line, message }) => ({ path: '(file)', file: displayPath(file), line, message })));
  }
  let value: unknown;
  try {
    // The tolerant parser only locates; what is loaded is what strict JSON.parse reads.
    value = JSON.parse(located.text);
  } catch (error) {
    throw settingsError([{ path: '(file)', file: displayPath(file), message: `not valid JSON: ${(error as Error).message}` }]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw settingsError([{ path: '(root)', file: displayPath(file), line: 1, message: 'expected a JSON object' }]);
  }
  return { value: value as JsonObject, located };
}

function mergeInto(target: JsonObject, layer: JsonObject, prefix: string, source: string, provenance: Map<string, string>): void {
  for (const [key, value] of Object.entries(layer)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const fieldPath = prefix ? `${prefix}.${key}` : key;
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, fieldPath, source, provenance);
    } else {
      target[key] = value;
      provenance.set(fieldPath, source);
    }
  }
}

function setPath(target: JsonObject, fieldPath: string, value: Json): void {
  const keys = fieldPath.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as JsonObject;
  }
  node[keys[keys.length - 1] as string] = value;
}

function sourceOf(fieldPath: string, provenance: Map<string, string>, sources: readonly string[]): string {
  for (let p = fieldPath; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const source = provenance.get(p);
    if (source) return source;
  }
  return sources.map(displayPath).join(' + ');
}

/** The keys the defaults have at `at` (every setting is in default.json), to suggest the one meant. */
function knownKeys(defaults: JsonObject, at: readonly PropertyKey[]): string[] {
  let node: Json | undefined = defaults;
  for (const key of at) node = isPlainObject(node) ? node[String(key)] : undefined;
  return isPlainObject(node) ? Object.keys(node) : [];
}

function unknownSetting(key: string, known: readonly string[]): string {
  const closest = known
    .map((candidate) => ({ candidate, distance: editDistance(key.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ distance }) => distance <= Math.max(1, Math.floor(key.length / 3)))
    .sort((a, b) => a.distance - b.distance)[0];
  return `unknown setting "${key}"${closest ? ` (did you mean "${closest.candidate}"?)` : ''}`;
}

/** Edit distance counting a swap of neighbours as one edit ("prot" → "port"); setting names are short. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] as number;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `missing; ${issue.message}`;
  return issue.message;
}

function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
