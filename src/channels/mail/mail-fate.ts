/**
 * What becomes of one mail: filed (submitted, then moved to Processed by the drain), sent to
 * Quarantine with a reason, or left in INBOX for the next drain (intake or attachment store
 * unavailable). Decided here; the drain makes the moves for a whole group at once. Mail that
 * needs an IMAP command of its own (an oversize mail's header, an unparseable mail's envelope,
 * the download of a large one) issues it here: never inside a fetch iterator (imapflow
 * deadlocks), only between whole commands.
 */
import type { ImapFlow } from 'imapflow';
import { isIntakeError } from '../../errors.js';
import type { IntakeDraft } from '../../domain/request.js';
import { readBounce, type Bounce } from './bounce.js';
import type { DrainContext } from './drain-context.js';
import { headerSummary } from './header-summary.js';
import { loopGuardReason, spamFlag } from './loop-guard.js';
import { buildMailDraft } from './mail-draft.js';
import { oversizeNotice } from './oversize-notice.js';
import { MailParseError, parseMail, type ParsedMail } from './parse-mail.js';
import type { QuarantineReason } from './quarantine.js';

/** Where a mail is, as the drain found it. */
export interface MailAt {
  uid: number;
  uidValidity: string;
  size: number;
  internalDate: Date;
  firstImport: boolean;
}

/** Why a mail goes to Quarantine, and who sent it (for an engineer to follow up). */
export interface QuarantineVerdict {
  quarantine: QuarantineReason;
  detail: string;
  messageId?: string | undefined;
  from?: string | undefined;
}

/** What became of one mail; `retry` says why it stays in INBOX for the next drain. */
export type Outcome = 'submitted' | QuarantineVerdict | { retry: string };

/** Decides one mail's fate; `prefetched` is its whole source when the drain fetched it with its group. */
export async function fileMail(client: ImapFlow, context: DrainContext, mail: MailAt, prefetched: Buffer | undefined): Promise<Outcome> {
  const log = context.logger.child({ mailbox: context.mailbox.name, uid: mail.uid });
  if (mail.size > context.maxMessageBytes) {
    // Refused before downloading: only the header is read, to tell the sender. Told first:
    // once the mail has left INBOX no drain sees it again, so a notice that failed to queue
    // after the move would be lost. A repeat is harmless (the notice's job id is the mail's).
    const header = await headerSummary(client, mail.uid);
    await tellOversize(context, mail, header);
    return { quarantine: 'oversize', detail: `${mail.size} bytes, more than ${context.maxMessageBytes}`, messageId: header.messageId, from: header.from };
  }
  const content = prefetched ?? (await client.download(String(mail.uid), undefined, { uid: true })).content;
  if (!content) return { quarantine: 'unparseable', detail: 'the server returned no content' };
  let parsed: ParsedMail;
  try {
    parsed = await parseMail(content, { attachments: context.attachments, maxBytes: context.maxMessageBytes });
  } catch (error) {
    if (!(error instanceof MailParseError)) {
      // The attachment store (a full disk, too many open files) or the IMAP download failed,
      // not the mail: quarantined it would never be filed. It stays for the next drain.
      log.warn({ err: error }, 'mail not read (attachment store or IMAP download failed): it stays in INBOX for the next drain');
      return { retry: `mail UID ${mail.uid} not read: ${(error as Error).message}` };
    }
    log.warn({ reason: error.reason, err: error }, 'mail quarantined');
    // Who sent it and which mail it is, from the IMAP ENVELOPE that Dovecot parsed leniently
    // (our parser gave up on the mail): an engineer must be able to call the sender back.
    const envelope = await client
      .fetchOne(String(mail.uid), { uid: true, envelope: true }, { uid: true })
      .then((message) => (message ? message.envelope : undefined))
      .catch(() => undefined);
    return { quarantine: error.reason, detail: error.message, messageId: envelope?.messageId, from: envelope?.from?.[0]?.address };
  }
  const sender = { messageId: parsed.messageId, from: parsed.from?.address };
  const where = {
    mailbox: context.mailbox,
    uidValidity: mail.uidValidity,
    uid: mail.uid,
    internalDate: mail.internalDate,
    firstImport: mail.firstImport,
    patterns: context.patterns,
    knownSerial: context.knownSerial,
    ownAddresses: context.ownAddresses,
  };
  const bounce = readBounce(parsed, context.ownMessageIdDomain);
  if (bounce) {
    if (!bounce.acknowledgment) return { quarantine: 'bounce', detail: bounceDetail(bounce, 'returns no acknowledgment of ours'), ...sender };
    // Attached to the request it bounced from, and only there: the numbers in the returned
    // text are our own acknowledgment's, and the references the bounce's own headers name
    // are not what it answers.
    const { draft } = buildMailDraft(parsed, where);
    const undeliverable: IntakeDraft = { ...draft, references: [bounce.acknowledgment.requestNumber], undeliverable: bounce.undeliverable, silent: true };
    delete undeliverable.serialNumber;
    delete undeliverable.contractNumber;
    return submit(context, log, mail.uid, undeliverable, sender, bounce);
  }
  if (!parsed.from) return { quarantine: 'no-sender', detail: 'no address in From, Sender or Reply-To', ...sender };
  const { draft, loopGuard } = buildMailDraft(parsed, where);
  const spam = spamFlag(parsed.header);
  if (spam && !namesTheRegistry(context, draft)) {
    return { quarantine: 'spam', detail: `${spam}, and it names no contract or serial of the registry`, ...sender };
  }
  return submit(context, log, mail.uid, { ...draft }, sender, undefined, loopGuard);
}

async function submit(context: DrainContext, log: DrainContext['logger'], uid: number, draft: IntakeDraft, sender: Omit<QuarantineVerdict, 'quarantine' | 'detail'>, bounce?: Bounce, loopGuard?: string): Promise<Outcome> {
  try {
    const submitted = await context.intake.submit(draft);
    log.info({ requestNumber: submitted.requestNumber, mode: submitted.mode, duplicate: submitted.duplicate, silent: draft.silent, loopGuard, ...(bounce ? { undeliverable: bounce.undeliverable } : {}) }, 'mail filed');
    return 'submitted';
  } catch (error) {
    if (isIntakeError(error) && error.code === 'DRAFT_INVALID') return { quarantine: 'invalid-draft', detail: error.message, ...sender };
    if (bounce && isIntakeError(error) && error.code === 'NOT_FOUND') {
      return { quarantine: 'bounce', detail: bounceDetail(bounce, `names ${bounce.acknowledgment?.requestNumber ?? '?'}, which does not exist`), ...sender };
    }
    if (isIntakeError(error) && error.retryable) {
      log.warn({ err: error }, 'intake unavailable: mail stays in INBOX for the next drain');
      return { retry: `mail UID ${uid} not filed: ${error.message}` };
    }
    throw error;
  }
}

/** Whether a spam-flagged mail names a contract or serial the registry knows (then it is a customer's). */
function namesTheRegistry(context: DrainContext, draft: IntakeDraft): boolean {
  return Boolean((draft.serialNumber && context.knownSerial?.(draft.serialNumber)) || (draft.contractNumber && context.knownContract?.(draft.contractNumber)));
}

function bounceDetail(bounce: Bounce, what: string): string {
  const { recipient, status, diagnostic } = bounce.undeliverable;
  const report = [recipient, status, diagnostic].filter(Boolean).join(' ');
  return `a bounce that ${what}${report ? ` (${report})` : ''}`.slice(0, 1000);
}

/** Tells the sender of an oversize mail, unless it came with the first import or that would answer a machine or ourselves. */
async function tellOversize(context: DrainContext, mail: MailAt, header: Awaited<ReturnType<typeof headerSummary>>): Promise<void> {
  const log = context.logger.child({ mailbox: context.mailbox.name, uid: mail.uid });
  if (mail.firstImport) {
    // Mail already in INBOX when the mailbox was first connected is imported without
    // auto-replies (DESIGN.md section 5): it may be days old and already dealt with by whoever
    // read the mailbox before us. The quarantine entry is what an engineer follows up instead.
    log.warn({ reason: 'first import' }, 'oversize mail: sender not told (imported on the first connection)');
    return;
  }
  const guard = loopGuardReason(header.lookup, header.from, context.ownAddresses);
  if (!header.from || guard) {
    log.warn({ reason: guard ?? 'no sender' }, 'oversize mail: sender not told');
    return;
  }
  if (!context.notifier) {
    log.warn('oversize mail: no notifier wired, sender not told');
    return;
  }
  const notice = oversizeNotice({ subject: header.subject, maxBytes: context.maxMessageBytes, size: mail.size, mailboxAddress: context.mailbox.address });
  await context.notifier.enqueue(`mail-oversize:${context.mailbox.name}:${mail.uidValidity}:${mail.uid}`, {
    type: 'ack-mail',
    requestNumber: '',
    to: header.from,
    subject: notice.subject,
    text: notice.text,
    ...(header.messageId ? { inReplyTo: header.messageId, references: [header.messageId] } : {}),
  });
}
