/**
 * Mail through the SMTP relay in settings (nodemailer): acknowledgments to reporters and
 * alerts to engineers. Every mail is marked as automatic so that the other side's
 * auto-responders stay quiet (RFC 3834 Auto-Submitted; Exchange's X-Auto-Response-Suppress),
 * and carries X-Loop with our address so that our own watcher recognises it (DESIGN.md §5).
 * Precedence is not set: it is not standardised, and "bulk"/"junk" hurt deliverability.
 */
import nodemailer, { type NodemailerError, type SendMailOptions, type SMTPSentMessageInfo, type Transporter } from 'nodemailer';
import { ourMessageId } from '../domain/thread-keys.js';
import type { Settings } from '../settings.js';
import { mailboxAddress } from '../util/mail-address.js';
import type { DeliveryContext, DeliveryResult, NotificationChannel, NotificationJob, NotificationType } from './notifier.js';

/** Seconds-scale limits so that a silent relay fails the attempt (and is retried) instead of hanging it. */
const CONNECTION_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

export class MailSender implements NotificationChannel {
  readonly name = 'mail';
  readonly handles: readonly NotificationType[] = ['ack-mail', 'alert-mail'];
  readonly notConfigured: string | undefined;
  private readonly settings: Readonly<Settings['mail']>;
  private transport: Transporter<SMTPSentMessageInfo> | undefined;

  constructor(settings: Readonly<Settings['mail']>) {
    this.settings = settings;
    this.notConfigured = settings.smtp.host ? undefined : 'no SMTP configured';
  }

  async send(job: NotificationJob, context: DeliveryContext): Promise<DeliveryResult> {
    if (job.type !== 'ack-mail' && job.type !== 'alert-mail') return { status: 'rejected', reason: `mail cannot deliver "${job.type}"` };
    const ack = job.type === 'ack-mail';
    if ((Array.isArray(job.to) ? job.to : [job.to]).every((to) => to.trim() === '')) return { status: 'rejected', reason: 'no recipients' };
    const message: SendMailOptions = {
      from: this.settings.from,
      to: job.to,
      subject: job.subject,
      text: job.text,
      messageId: ourMessageId(job.requestNumber, ack ? 'ack' : 'alert', context.jobId, this.settings.messageIdDomain),
      headers: {
        // auto-replied: an answer to the reporter's mail; auto-generated: a mail nobody sent us.
        'Auto-Submitted': ack ? 'auto-replied' : 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        'X-Loop': mailboxAddress(this.settings.from),
      },
    };
    if (ack && job.inReplyTo) message.inReplyTo = bracketed(job.inReplyTo);
    if (ack && job.references && job.references.length > 0) message.references = job.references.map(bracketed);

    try {
      const info = await this.transporter().sendMail(message);
      return {
        status: 'sent',
        providerId: info.messageId,
        raw: { response: info.response, accepted: info.accepted, rejected: info.rejected },
      };
    } catch (error) {
      const smtpError = error as NodemailerError;
      // A 5xx reply (unknown mailbox, policy refusal) is final; connection problems, 4xx
      // replies and authentication trouble may pass later, so they are thrown and retried.
      if (smtpError.permanent === true && smtpError.code !== 'EAUTH') {
        return { status: 'rejected', reason: smtpError.response ?? smtpError.message, raw: { responseCode: smtpError.responseCode ?? null, command: smtpError.command ?? null } };
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.transport?.close();
    this.transport = undefined;
  }

  private transporter(): Transporter<SMTPSentMessageInfo> {
    if (!this.transport) {
      const smtp = this.settings.smtp;
      this.transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
        tls: { rejectUnauthorized: smtp.rejectUnauthorized },
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        greetingTimeout: CONNECTION_TIMEOUT_MS,
        socketTimeout: SOCKET_TIMEOUT_MS,
      });
    }
    return this.transport;
  }
}

function bracketed(id: string): string {
  const trimmed = id.trim();
  return trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
}
