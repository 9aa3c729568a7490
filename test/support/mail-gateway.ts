/**
 * The mail channel's test bench: a private Redis, a private Dovecot, a real SMTP capture and a
 * whole gateway (dispatcher and notifier, no web role) — plus helpers to build mails, start
 * MailboxSupervisors on fresh mailboxes (one Dovecot user per test) and find the request a mail
 * became.
 */
import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import { MailboxSupervisor, type MailboxSupervisorDeps } from '../../src/channels/mail/supervisor.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { intakeKeys } from '../../src/intake/queues.js';
import { normalizeMessageId } from '../../src/domain/thread-keys.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { MailAuth } from '../../src/mail-auth/auth-settings.js';
import { Notifier } from '../../src/notify/notifier.js';
import type { Settings } from '../../src/settings.js';
import { startPrivateDovecot, type PrivateDovecot } from './dovecot.js';
import { startTestGateway, type TestGateway } from './gateway.js';
import { startPrivateRedis, type PrivateRedis } from './redis.js';
import { startSmtpServer, type SmtpServerOptions, type TestSmtpServer } from './smtp.js';

export interface MailBench {
  redis: PrivateRedis;
  dovecot: PrivateDovecot;
  smtp: TestSmtpServer;
  test: TestGateway;
  notifier: Notifier;
  /** Two mailboxes (service and escalation) on fresh Dovecot users named after `tag`. */
  mailboxes(tag: string): Settings['mailboxes']['list'];
  /** A started supervisor over `list`; stopped by `stop()`. */
  /** A started supervisor over `list`, by default once every mailbox is connected and drained once; stopped by `stop()`. */
  supervise(
    list: Settings['mailboxes']['list'],
    overrides?: Partial<Settings['mailboxes']>,
    deps?: Partial<MailboxSupervisorDeps>,
    options?: { waitConnected?: boolean },
  ): Promise<MailboxSupervisor>;
  /** The stamped request a Message-ID became (waits for it). */
  requestFor(messageId: string, timeoutMs?: number): Promise<ServiceRequest>;
  /** The request number allocated for a Message-ID, if any. */
  numberFor(messageId: string): Promise<string | null>;
  stop(): Promise<void>;
}

export interface MailBenchOptions {
  /** How the SMTP capture takes sign-ins (a token check for XOAUTH2). */
  smtp?: SmtpServerOptions;
  /** The gateway's and the supervisors' logger (default: quiet, or TEST_LOG_LEVEL). */
  logger?: Logger;
  /** `mail.smtp.auth` of the gateway: the relay is signed in to with it. */
  smtpAuth?: MailAuth;
}

export async function startMailBench(settings: Record<string, unknown> = {}, benchOptions: MailBenchOptions = {}): Promise<MailBench> {
  const [redis, dovecot, smtp] = await Promise.all([startPrivateRedis(), startPrivateDovecot(), startSmtpServer(benchOptions.smtp)]);
  const test = await startTestGateway(
    {
      mail: {
        from: 'myHEZO Pomoc <pomoc@myhezo.pl>',
        messageIdDomain: 'intake.myhezo.pl',
        smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false, ...(benchOptions.smtpAuth ? { auth: benchOptions.smtpAuth } : {}) },
      },
      notify: { attempts: 5, backoffMs: 200, maxBackoffMs: 1000, ackPerSenderPerHour: 1000 },
      ...settings,
    },
    { REDIS_URL: redis.url },
    { roles: ['dispatcher', 'timers', 'notify'], ...(benchOptions.logger ? { logger: benchOptions.logger } : {}) },
  );
  const { gateway } = test;
  const notifier = new Notifier({ connections: gateway.connections, settings: gateway.settings, logger: gateway.logger });
  const supervisors: MailboxSupervisor[] = [];
  const keys = intakeKeys(gateway.settings.intake.prefix);

  const numberFor = async (messageId: string): Promise<string | null> => gateway.redis.hget(keys.source(`mail:${normalizeMessageId(messageId)}`), 'number');

  return {
    redis,
    dovecot,
    smtp,
    test,
    notifier,
    mailboxes(tag) {
      const account = (user: string) => ({ host: dovecot.host, port: dovecot.port, secure: false, user, password: dovecot.password, rejectUnauthorized: false });
      return [
        { name: `pomoc-${tag}`, address: 'pomoc@myhezo.pl', kind: 'service', imap: account(`pomoc-${tag}`), processedFolder: 'Processed', quarantineFolder: 'Quarantine' },
        { name: `escalation-${tag}`, address: 'escalation@myhezo.pl', kind: 'escalation', imap: account(`escalation-${tag}`), processedFolder: 'Processed', quarantineFolder: 'Quarantine' },
      ];
    },
    async supervise(list, overrides = {}, deps = {}, options = {}) {
      const settings: Readonly<Settings> = { ...gateway.settings, mailboxes: { ...gateway.settings.mailboxes, drainIntervalMs: 60_000, leaseTtlMs: 1000, ...overrides, list } };
      const supervisor = new MailboxSupervisor({
        intake: gateway.intake,
        attachments: gateway.attachments,
        redis: gateway.redis,
        settings,
        logger: benchOptions.logger ?? (process.env.TEST_LOG_LEVEL ? createLogger(process.env.TEST_LOG_LEVEL) : gateway.logger),
        notifier,
        ...deps,
      });
      supervisors.push(supervisor);
      await supervisor.start();
      if (options.waitConnected !== false) {
        await vi.waitFor(
          () => {
            if (!supervisor.status().every((state) => state.connected && state.lastDrainAt)) throw new Error('mailboxes not connected yet');
          },
          { timeout: 10_000, interval: 20 },
        );
      }
      return supervisor;
    },
    numberFor,
    async requestFor(messageId, timeoutMs = 10_000) {
      return vi.waitFor(
        async () => {
          const number = await numberFor(messageId);
          const found = number ? await gateway.store.get(number) : null;
          if (!found) throw new Error(`no stamped request for ${messageId} yet`);
          return found;
        },
        { timeout: timeoutMs, interval: 50 },
      );
    },
    async stop() {
      await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
      await notifier.close();
      await test.stop();
      await Promise.all([redis.cleanup(), dovecot.cleanup(), smtp.stop()]);
    },
  };
}

/** A plain-text mail (CRLF), Anna Nowak to pomoc@ unless told otherwise. */
export function buildMail(input: { subject: string; body: string; from?: string; to?: string; messageId?: string; headers?: Record<string, string>; date?: Date }): { raw: string; messageId: string } {
  const messageId = input.messageId ?? `<${randomUUID()}@example.pl>`;
  const headers: Record<string, string> = {
    From: input.from ?? 'Anna Nowak <anna.nowak@example.pl>',
    To: input.to ?? 'pomoc@myhezo.pl',
    Subject: input.subject,
    Date: (input.date ?? new Date()).toUTCString(),
    'Message-ID': messageId,
    'MIME-Version': '1.0',
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...input.headers,
  };
  const head = Object.entries(headers)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}: ${name === 'Subject' && /[^\x20-\x7e]/.test(value) ? `=?UTF-8?B?${Buffer.from(value).toString('base64')}?=` : value}`)
    .join('\r\n');
  return { raw: `${head}\r\n\r\n${input.body.replace(/\r?\n/g, '\r\n')}\r\n`, messageId };
}
