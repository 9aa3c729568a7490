/**
 * Bounces: delivery status notifications (multipart/report; report-type=delivery-status) and
 * the common bounces without a DSN (from MAILER-DAEMON or postmaster, or with a null
 * Return-Path and a bounce's subject). None becomes a request of its own: one that returns our
 * acknowledgment — our Message-ID appears in its report or returned headers — is attached to
 * the request it bounced from (the reporter's address is wrong); any other goes to Quarantine.
 * Pure: a parsed mail in, a verdict out.
 */
import { requestOfOurAcknowledgment } from '../../domain/thread-keys.js';
import type { Undeliverable } from '../../domain/request.js';
import type { ParsedMail } from './parse-mail.js';

export interface Bounce {
  /** The acknowledgment it returns, when it names one of ours. */
  acknowledgment?: { requestNumber: string; messageId: string };
  /** What the report says (recipient, status, diagnostic), as far as it says it. */
  undeliverable: Undeliverable;
}

/** Subjects of bounces without a DSN (Exim, qmail, old Sendmail, Exchange and Polish mail hosts). */
const BOUNCE_SUBJECT =
  /undeliver|delivery (status notification|failure|failed|has failed)|mail delivery (failed|system)|returned mail|failure notice|could not be delivered|niedostarcz|nie (można|mo[zż]na) dostarczy|nie dostarczono/i;

/** Mail servers' own senders: what they send is a report, never a person's mail. */
const MACHINE_SENDER = /^(mailer-daemon|postmaster)@/i;

/** Whether a mail is a bounce; undefined for anything else (a read receipt is no bounce). */
export function readBounce(mail: Pick<ParsedMail, 'header' | 'from' | 'subject' | 'text' | 'source'>, ownMessageIdDomain: string | undefined): Bounce | undefined {
  const contentType = mail.header('content-type')?.toLowerCase() ?? '';
  const source = mail.source?.toString('latin1') ?? '';
  const isReport = contentType.includes('multipart/report') && (contentType.includes('delivery-status') || /^content-type:\s*message\/delivery-status/im.test(source));
  const fromMachine = MACHINE_SENDER.test(mail.from?.address ?? '');
  const nullSender = ['<>', ''].includes(mail.header('return-path')?.trim() ?? 'none');
  if (!isReport && !fromMachine && !(nullSender && BOUNCE_SUBJECT.test(mail.subject))) return undefined;
  // The report's fields, and the returned headers, are in the source (message/delivery-status
  // and message/rfc822 parts are not text to mailparser); a non-DSN bounce quotes the
  // returned mail in its text.
  const searched = `${source}\n${mail.text}`;
  const undeliverable: Undeliverable = {
    // Final-Recipient in a report; qmail's "failure notice" puts each address on a line as `<address>:`.
    ...(field(searched, /^final-recipient:\s*(?:rfc822;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?/im, 'recipient', 320) ?? field(searched, /^<([^\s<>]+@[^\s<>]+)>:[ \t]*$/m, 'recipient', 320)),
    ...field(searched, /^status:\s*([245]\.\d{1,3}\.\d{1,3})/im, 'status', 20),
    ...field(searched, /^diagnostic-code:\s*(?:smtp;\s*)?([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im, 'diagnostic', 1000),
  };
  // A report that the mail was delayed, relayed or delivered says nothing against the address.
  const action = /^action:\s*([a-z]+)/im.exec(source)?.[1]?.toLowerCase();
  if (isReport && action && action !== 'failed') return { undeliverable };
  const acknowledgment = ownMessageIdDomain ? ourAcknowledgmentIn(searched, ownMessageIdDomain) : undefined;
  if (acknowledgment) undeliverable.messageId = acknowledgment.messageId;
  return { ...(acknowledgment ? { acknowledgment } : {}), undeliverable };
}

/** The first of our acknowledgments' Message-IDs anywhere in `text`. */
function ourAcknowledgmentIn(text: string, ownDomain: string): { requestNumber: string; messageId: string } | undefined {
  const domain = ownDomain.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const found of text.matchAll(new RegExp(`<([^<>\\s@]{1,200}@${domain})>`, 'gi'))) {
    const messageId = `<${found[1]}>`;
    const requestNumber = requestOfOurAcknowledgment(messageId, ownDomain);
    if (requestNumber) return { requestNumber, messageId };
  }
  return undefined;
}

/** `{ [key]: the first capture }`, whitespace collapsed and cut at `max`; undefined when it does not match. */
function field(text: string, pattern: RegExp, key: keyof Undeliverable, max: number): Partial<Undeliverable> | undefined {
  const value = pattern.exec(text)?.[1]?.replace(/\s+/g, ' ').trim();
  return value ? { [key]: value.slice(0, max) } : undefined;
}
