/**
 * Mail through the SMTP relay in settings (nodemailer): acknowledgments to reporters and
 * alerts to engineers. Every mail is marked as automatic so that the other side's
 * auto-responders stay quiet (RFC 3834 Auto-Submitted; Exchange's X-Auto-Response-Suppress),
 * and carries X-Loop with our address so that our own watcher recognises it (DESIGN.md §5).
 * Precedence is not set: it is not standardised, and "bulk"/"junk" hurt deliverability.
 */
import nodemailer, { type NodemailerError, type SendMailOptions, type SMTPSentMessageInfo, type Transporter } from 'nodemailer';
import type SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { processMailTokens, type MailCredentials, type MailTokens } from '../mail-auth/mail-credentials.js';
import { ourMessageId } from '../domain/thread-keys.js';
import type { Settings } from '../settings.js';
import { mailboxAddress } from '../util/mail-address.js';
import type { DeliveryContext, DeliveryResult, NotificationChannel, NotificationJob, NotificationType } from './notification-channel.js';

/** Seconds-scale limits so that a silent relay fails the attempt (and is retried) instead of hanging it. */
const CONNECTION_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

export class MailSender implements NotificationChannel {
  readonly name = 'mail';
  readonly handles: readonly NotificationType[] = ['ack-mail', 'alert-mail', 'reporter-mail'];
  readonly notConfigured: string | undefined;
  private readonly settings: Readonly<Settings['mail']>;
  private readonly credentials: MailCredentials;
  private transport: Promise<Transporter<SMTPSentMessageInfo>> | undefined;

  /** @param tokens where an OAuth2 relay's token comes from; default the process's cache, shared with the mailbox watchers. */
  constructor(settings: Readonly<Settings['mail']>, tokens: MailTokens = processMailTokens) {
    this.settings = settings;
    this.notConfigured = settings.smtp.host ? undefined : 'no SMTP configured';
    this.credentials = smtpCredentials(settings, tokens);
  }

  async send(job: NotificationJob, context: DeliveryContext): Promise<DeliveryResult> {
    if (job.type !== 'ack-mail' && job.type !== 'alert-mail' && job.type !== 'reporter-mail') return { status: 'rejected', reason: `mail cannot deliver "${job.type}"` };
    const ack = job.type === 'ack-mail';
    // An engineer's own mail threads like an acknowledgment but is not automatic: no Auto-Submitted.
    const personal = job.type === 'reporter-mail';
    if ((Array.isArray(job.to) ? job.to : [job.to]).every((to) => to.trim() === '')) return { status: 'rejected', reason: 'no recipients' };
    const message: SendMailOptions = {
      from: this.settings.from,
      to: job.to,
      subject: job.subject,
      text: job.text,
      messageId: ourMessageId(job.requestNumber, personal ? 'reply' : ack ? 'ack' : 'alert', context.jobId, this.settings.messageIdDomain),
      headers: {
        // auto-replied: an answer to the reporter's mail; auto-generated: a mail nobody sent us.
        ...(personal ? {} : { 'Auto-Submitted': ack ? 'auto-replied' : 'auto-generated' }),
        'X-Auto-Response-Suppress': 'All',
        'X-Loop': mailboxAddress(this.settings.from),
      },
    };
    if (job.type !== 'alert-mail' && job.inReplyTo) message.inReplyTo = bracketed(job.inReplyTo);
    if (job.type !== 'alert-mail' && job.references && job.references.length > 0) message.references = job.references.map(bracketed);

    try {
      const info = await (await this.transporter()).sendMail(message);
      return {
        status: 'sent',
        providerId: info.messageId,
        raw: { response: info.response, accepted: info.accepted, rejected: info.rejected },
      };
    } catch (error) {
      const smtpError = error as NodemailerError;
      // Signed in with what the relay refused (a rotated password file): the next attempt
      // makes a new transport, which reads the credentials again. A refused token is already
      // forgotten (smtpAuth's provisionCallback).
      if (smtpError.code === 'EAUTH') await this.close();
      // A 5xx reply (unknown mailbox, policy refusal) is final; connection problems, 4xx
      // replies and authentication trouble may pass later, so they are thrown and retried.
      if (smtpError.permanent === true && smtpError.code !== 'EAUTH') {
        return { status: 'rejected', reason: smtpError.response ?? smtpError.message, raw: { responseCode: smtpError.responseCode ?? null, command: smtpError.command ?? null } };
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    (await transport?.catch(() => undefined))?.close();
  }

  private transporter(): Promise<Transporter<SMTPSentMessageInfo>> {
    if (!this.transport) {
      const transport = smtpTransport(this.settings.smtp, this.credentials);
      // A password file that cannot be read is tried again at the next attempt.
      transport.catch(() => {
        if (this.transport === transport) this.transport = undefined;
      });
      this.transport = transport;
    }
    return this.transport;
  }
}

/** Who signs in to the relay: `mail.smtp`'s user and password or `auth`; by default as the address acknowledgments come from. */
export function smtpCredentials(settings: Readonly<Settings['mail']>, tokens: MailTokens = processMailTokens): MailCredentials {
  return tokens.credentials(settings.smtp, mailboxAddress(settings.from));
}

/** A nodemailer transport to the relay in settings, signing in with `credentials` (also what `mailboxes check` verifies). */
export async function smtpTransport(smtp: Readonly<Settings['mail']['smtp']>, credentials: MailCredentials): Promise<Transporter<SMTPSentMessageInfo>> {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(await smtpAuth(credentials)),
    tls: { rejectUnauthorized: smtp.rejectUnauthorized },
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    greetingTimeout: CONNECTION_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
  });
}

/**
 * nodemailer's auth. A token comes through nodemailer's provisionCallback, so that every sign-in
 * asks the cache (which refreshes before expiry), and a refused token — nodemailer then asks
 * again with `renew` and retries the sign-in once — is forgotten and replaced.
 */
async function smtpAuth(credentials: MailCredentials): Promise<{ auth?: SMTPConnection.AuthenticationType }> {
  if (credentials.kind === 'none') return {};
  if (credentials.kind === 'password') return { auth: { user: credentials.user, pass: await credentials.password() } };
  const { token } = credentials;
  let lastToken: string | undefined;
  const auth: SMTPConnection.AuthenticationTypeOAuth2 = {
    type: 'OAuth2',
    user: credentials.user,
    provisionCallback: (_user: string, renew: boolean, callback: (error: Error | null, accessToken: string, expires: number) => void) => {
      if (renew && lastToken) token.invalidate(lastToken);
      token.get().then(
        (fresh) => {
          lastToken = fresh.accessToken;
          // nodemailer reuses the token until this moment, then asks again (the cache's refresh point).
          callback(null, fresh.accessToken, fresh.refreshAt);
        },
        // nodemailer's type says the token is always given; it reads only the error then.
        (error: Error) => callback(error, '', 0),
      );
    },
  };
  return { auth };
}

function bracketed(id: string): string {
  const trimmed = id.trim();
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
}
