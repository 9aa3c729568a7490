/**
 * What the settings are: every setting's name, type and rule (zod), the environment variables
 * that may set them, and where the default files live. Validated once at start and frozen by
 * src/settings-loader.ts, which reads the layers: `config/default.json`, then an optional
 * `config/local.json` (or the file named by HEZO_CONFIG), then environment variables, then
 * command-line flags. Units are in the field names (`timeoutMs`, `port`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { checkAccountAuth, mailAuthSchema } from './mail-auth/auth-settings.js';
import { redisSchema } from './redis/redis-settings.js';

/** The package root: `src/` and `dist/` both sit one level below it. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_CONFIG_DIR = path.join(PACKAGE_ROOT, 'config');

const port = z.number().int().min(0).max(65535);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');

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
        /** A request's headers must arrive within this, the whole request within requestTimeoutSeconds. */
        headersTimeoutSeconds: z.number().int().min(1),
        requestTimeoutSeconds: z.number().int().min(1),
        /** An idle keep-alive connection is closed after this. */
        keepAliveTimeoutSeconds: z.number().int().min(1),
        /** Connections one client address may hold at once (behind a proxy: the proxy's, raise it). */
        maxConnectionsPerClient: z.number().int().min(1),
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
        /**
         * The key of the sign-in form's stateless CSRF token (double-submit cookie). Empty: a
         * random key per process — set one shared key when several web instances serve /ops.
         */
        csrfSecret: z.string(),
        /** Sign-in attempts per client address per minute, and from everyone together (per process). */
        signInPerAddressPerMinute: z.number().int().min(1),
        signInPerMinute: z.number().int().min(1),
        /** Password (bcrypt) checks run at once; a few more wait, the rest are answered 503 with Retry-After. */
        passwordChecksAtOnce: z.number().int().min(1),
      })
      .strict(),
    api: z
      .object({
        /** Bearer tokens of the engineer API: name → token (use long random strings). */
        engineerTokens: z.record(z.string().min(1), z.string().min(16, 'expected a token of at least 16 characters')),
        /** Bearer tokens of the privacy API (data-subject export and erasure): name → token. Empty: that API refuses everyone. */
        adminTokens: z.record(z.string().min(1), z.string().min(32, 'expected a token of at least 32 characters')),
      })
      .strict(),
    /** How long personal data is kept (docs/privacy.md); a daily job of the timers role removes it. */
    retention: z
      .object({
        /** A closed request's personal data is anonymized this many months after it was closed. */
        closedRequestMonths: z.number().int().min(1),
        /** A call recording is deleted at Twilio, and its address removed, this many days after the call. */
        recordingDays: z.number().int().min(1),
      })
      .strict(),
    calendar: z.object({ extrasFile: z.string().min(1) }).strict(),
    inspection: z
      .object({
        /** Days before a device's yearly inspection is due that its request is filed (DESIGN.md section 9). */
        leadDays: z.number().int().min(0).max(365),
        /** When the daily inspection and renewal sweep runs (cron, Warsaw time); it also runs at start. */
        sweepCron: z.string().min(9),
      })
      .strict(),
    renewals: z
      .object({
        /** Who is told that a contract ends soon (always; the representatives only by opt-in). */
        salesEmails: z.array(z.email()),
        /** Calendar days before a contract's last day at which a reminder goes out, each once. */
        reminderDays: z.array(z.number().int().min(1).max(366)).min(1),
      })
      .strict(),
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
  OPS_CSRF_SECRET: { path: 'ops.csrfSecret', type: 'string' },
};
