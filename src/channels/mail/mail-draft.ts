/**
 * A parsed mail → the IntakeDraft (DESIGN.md section 4). The source key is the Message-ID, the
 * same whichever mailbox the copy came through, so one mail sent to pomoc@ and escalation@ is
 * one request (submit() flags it as an escalation when the escalation copy arrives).
 */
import type { IntakeDraft } from '../../domain/request.js';
import { normalizeMessageId } from '../../domain/thread-keys.js';
import { detectLanguage, extractNumbers, stripQuotedAndSignature, type KnownSerial, type NumberPatterns } from './extract.js';
import { loopGuardReason } from './loop-guard.js';
import type { ParsedMail } from './parse-mail.js';
import { mailReferences } from './threading.js';

/** The draft's description is capped by the draft schema. */
const MAX_DESCRIPTION = 100_000;
const MAX_SUBJECT = 2_000;

/** Where the mail is and what the mailbox decides about it. */
export interface MailContext {
  mailbox: { name: string; kind: 'service' | 'escalation' };
  uidValidity: string;
  uid: number;
  internalDate: Date;
  /** Imported on the mailbox's first connection: no acknowledgment. */
  firstImport: boolean;
  patterns: NumberPatterns;
  /** The registry's view of a serial: where one written with spaces ends. Without it, that is guessed from the text alone. */
  knownSerial?: KnownSerial | undefined;
  /** settings.mail.from and every mailbox address, lowercased. */
  ownAddresses: readonly string[];
}

/** The draft, and why it is silent when loop protection applies. */
export interface MailDraft {
  draft: IntakeDraft;
  loopGuard?: string;
}

/** `mail:<message-id>` (lowercased, no brackets), or `mail:sha256:<hex>` without a Message-ID. */
export function mailSourceKey(mail: Pick<ParsedMail, 'messageId' | 'sourceSha256'>): string {
  const id = mail.messageId ? normalizeMessageId(mail.messageId) : '';
  return id ? `mail:${id}` : `mail:sha256:${mail.sourceSha256}`;
}

/** Builds the draft; the caller has already checked that the mail has a sender. */
export function buildMailDraft(mail: ParsedMail, context: MailContext): MailDraft {
  const body = stripQuotedAndSignature(mail.text);
  const numbers = extractNumbers(mail.subject, body, context.patterns, context.knownSerial);
  const loopGuard = loopGuardReason(mail.header, mail.from?.address, context.ownAddresses);
  const references = mailReferences({ subject: mail.subject, body, kind: context.mailbox.kind, inReplyTo: mail.inReplyTo, references: mail.references });
  const draft: IntakeDraft = {
    channel: 'email',
    kind: context.mailbox.kind,
    sourceKey: mailSourceKey(mail),
    sentAt: context.internalDate.toISOString(),
    reporter: {
      ...(mail.from?.name ? { name: mail.from.name.slice(0, 200) } : {}),
      ...(mail.from?.address ? { email: mail.from.address.slice(0, 320) } : {}),
    },
    ...numbers,
    ...(mail.subject ? { subject: mail.subject.slice(0, MAX_SUBJECT) } : {}),
    ...(body ? { description: body.slice(0, MAX_DESCRIPTION) } : {}),
    language: detectLanguage(`${mail.subject}\n${body}`),
    attachments: mail.attachments,
    references,
    raw: {
      location: `imap:${context.mailbox.name}/${context.uidValidity}/${context.uid}`,
      payload: {
        mailbox: context.mailbox.name,
        ...(mail.messageId ? { messageId: mail.messageId } : {}),
        size: mail.size,
        sha256: mail.sourceSha256,
        ...(loopGuard ? { loopGuard } : {}),
        ...(context.firstImport ? { firstImport: true } : {}),
      },
    },
    silent: context.firstImport || loopGuard !== undefined,
  };
  return { draft, ...(loopGuard ? { loopGuard } : {}) };
}
