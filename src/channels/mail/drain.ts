/**
 * A drain: everything in INBOX not yet handled, in UID order, one mail at a time. Handled
 * means submitted (then moved to Processed), quarantined, or — on the mailbox's first
 * connection — left alone as too old. A UID watermark per mailbox in Redis remembers how far
 * the drain got; it is tied to the folder's UIDVALIDITY, and a new UIDVALIDITY (the folder was
 * rebuilt, UIDs mean something else) rescans the whole folder, which is safe because submit()
 * is idempotent by Message-ID.
 *
 * IMAP commands are never issued inside a fetch iterator (imapflow deadlocks): UIDs and sizes
 * are collected first, then each mail is downloaded, submitted and moved in turn.
 */
import { Readable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import type { Intake } from '../../intake/intake.js';
import type { NotificationSink } from '../../notify/notification-sink.js';
import { impossible, isIntakeError } from '../../errors.js';
import type { KnownSerial, NumberPatterns } from './extract.js';
import { buildMailDraft } from './mail-draft.js';
import { oversizeNotice } from './oversize-notice.js';
import { MailParseError, parseMail } from './parse-mail.js';
import { quarantineMail, type QuarantineEntry, type QuarantineReason } from './quarantine.js';
import { loopGuardReason } from './loop-guard.js';
import { headerSummary } from './header-summary.js';
import { moveMails } from './move-mail.js';

/** Sizes are fetched this many UIDs at a time (one round trip each). */
const META_BATCH = 500;
/** Mails handled per group: their sources fetched in one FETCH, their moves in one UID MOVE. */
const GROUP = 50;
/** Mails up to this size are fetched whole with their group; larger ones are streamed one by one. */
const PREFETCH_MAX_BYTES = 256 * 1024;

export interface MailboxConfig {
  name: string;
  address: string;
  kind: 'service' | 'escalation';
  processedFolder: string;
  quarantineFolder: string;
}

/** What a drain needs besides the connection. */
export interface DrainContext {
  mailbox: MailboxConfig;
  intake: Intake;
  attachments: AttachmentStore;
  redis: Redis;
  prefix: string;
  logger: Logger;
  maxMessageBytes: number;
  importMaxAgeDays: number;
  patterns: NumberPatterns;
  /** Whether the contract registry lists a serial (see MailContext.knownSerial). */
  knownSerial?: KnownSerial | undefined;
  ownAddresses: readonly string[];
  notifier?: NotificationSink | undefined;
  /** False once the watcher lost its lease or is stopping: the drain stops between mails. */
  mayContinue(): boolean;
  /** Mails still to handle, for status(). */
  onBacklog(count: number): void;
}

export interface DrainResult {
  submitted: number;
  quarantined: number;
  leftOld: number;
  /** Stopped early (Redis unavailable, lease lost): the rest waits for the next drain. */
  interrupted: boolean;
  /** Why a mail could not be filed now (intake or attachment store unavailable); it stays in INBOX. */
  retryBecause?: string;
}

interface Watermark {
  uidValidity: string;
  lastUid: number;
  /** Mail up to this UID was there at first connection: too old → left, else imported silently. */
  importUpTo: number;
}

/** `<prefix>:mail:<mailbox>:watermark` */
export function watermarkKey(prefix: string, mailbox: string): string {
  return `${prefix}:mail:${mailbox}:watermark`;
}

/**
 * Drains INBOX (already opened on `client`). `uidNextAtOpen` is UIDNEXT as SELECT reported it:
 * on a first connection, mail below it was already there (an import), mail from it on is new.
 */
export async function drainMailbox(client: ImapFlow, context: DrainContext, uidNextAtOpen: number): Promise<DrainResult> {
  const result: DrainResult = { submitted: 0, quarantined: 0, leftOld: 0, interrupted: false };
  const opened = client.mailbox;
  // The watcher opens INBOX before every drain and drops the client when the connection closes.
  if (!opened) impossible('a drain was started without INBOX open');
  const watermark = await readWatermark(context, String(opened.uidValidity), uidNextAtOpen);
  const found = (await client.search({ uid: `${watermark.lastUid + 1}:*` }, { uid: true })) || [];
  // "n:*" always matches the last mail, even below n.
  const uids = found.filter((uid) => uid > watermark.lastUid).sort((a, b) => a - b);
  let remaining = uids.length;
  context.onBacklog(remaining);
  const key = watermarkKey(context.prefix, context.mailbox.name);

  for (let start = 0; start < uids.length; start += META_BATCH) {
    const batch = uids.slice(start, start + META_BATCH);
    const metas = await client.fetchAll(batch.join(','), { uid: true, size: true, internalDate: true }, { uid: true });
    const byUid = new Map(metas.map((meta) => [meta.uid, meta]));
    for (let at = 0; at < batch.length; at += GROUP) {
      const group = batch.slice(at, at + GROUP);
      const sources = await prefetchSources(client, group.filter((uid) => (byUid.get(uid)?.size ?? Infinity) <= Math.min(PREFETCH_MAX_BYTES, context.maxMessageBytes)));
      const toMove: number[] = [];
      let handledUpTo: number | undefined;
      let stopped = false;
      for (const uid of group) {
        if (!context.mayContinue()) {
          stopped = true;
          break;
        }
        const meta = byUid.get(uid);
        // Gone meanwhile (moved by someone else): nothing to handle.
        if (meta) {
          const internalDate = meta.internalDate ? new Date(meta.internalDate) : new Date();
          const firstImport = uid <= watermark.importUpTo;
          if (firstImport && Date.now() - internalDate.getTime() > context.importMaxAgeDays * 86_400_000) {
            context.logger.info({ mailbox: context.mailbox.name, uid, internalDate }, 'first connection: mail older than importMaxAgeDays left in INBOX');
            result.leftOld += 1;
          } else {
            const mailAt = { uid, uidValidity: watermark.uidValidity, size: meta.size ?? 0, internalDate, firstImport };
            const outcome = await handleMail(client, context, mailAt, sources.get(uid));
            if (typeof outcome === 'object') {
              result.retryBecause = outcome.retry;
              stopped = true;
              break;
            }
            if (outcome === 'submitted') toMove.push(uid);
            result[outcome] += 1;
          }
        }
        handledUpTo = uid;
        remaining -= 1;
      }
      // Only what submit() durably queued is moved: one UID MOVE for the group. A crash before
      // it leaves those mails in INBOX, and the next drain's submit() finds them duplicates.
      // A failed move throws before the watermark is written, for the same reason.
      if (toMove.length > 0) await moveMails(client, toMove, context.mailbox.processedFolder);
      if (handledUpTo !== undefined) await context.redis.hset(key, 'lastUid', handledUpTo);
      context.onBacklog(remaining);
      if (stopped) return { ...result, interrupted: true };
    }
  }
  return result;
}

async function readWatermark(context: DrainContext, uidValidity: string, uidNext: number): Promise<Watermark> {
  const key = watermarkKey(context.prefix, context.mailbox.name);
  const stored = await context.redis.hgetall(key);
  if (stored.uidValidity === uidValidity) {
    return { uidValidity, lastUid: Number(stored.lastUid ?? 0), importUpTo: Number(stored.importUpTo ?? 0) };
  }
  if (stored.uidValidity) {
    context.logger.warn({ mailbox: context.mailbox.name, was: stored.uidValidity, now: uidValidity }, 'UIDVALIDITY changed: rescanning INBOX');
  }
  // First connection (or a rebuilt folder): what is there now is an import, not new mail.
  const watermark = { uidValidity, lastUid: 0, importUpTo: Math.max(0, uidNext - 1) };
  await context.redis.hset(key, { uidValidity, lastUid: 0, importUpTo: watermark.importUpTo });
  return watermark;
}

interface MailAt {
  uid: number;
  uidValidity: string;
  size: number;
  internalDate: Date;
  firstImport: boolean;
}

/** What became of one mail; `retry` says why it stays in INBOX for the next drain. */
type Outcome = 'submitted' | 'quarantined' | { retry: string };

/** Whole sources of small mails, one FETCH for the group (collected before any other command). */
async function prefetchSources(client: ImapFlow, uids: readonly number[]): Promise<Map<number, Buffer>> {
  if (uids.length === 0) return new Map();
  const fetched = await client.fetchAll(uids.join(','), { uid: true, source: true }, { uid: true });
  return new Map(fetched.filter((message) => message.source).map((message) => [message.uid, message.source as Buffer]));
}

/** Files one mail; the caller moves it to Processed when the outcome is `submitted`. */
async function handleMail(client: ImapFlow, context: DrainContext, mail: MailAt, prefetched: Buffer | undefined): Promise<Outcome> {
  const { mailbox, logger } = context;
  const log = logger.child({ mailbox: mailbox.name, uid: mail.uid });
  if (mail.size > context.maxMessageBytes) {
    // Refused before downloading: only the header is read, to tell the sender. Told first:
    // once the mail has left INBOX no drain sees it again, so a notice that failed to queue
    // after the move would be lost. A repeat is harmless (the notice's job id is the mail's).
    const header = await headerSummary(client, mail.uid);
    await tellOversize(context, mail, header);
    await quarantine(client, context, mail, 'oversize', `${mail.size} bytes, more than ${context.maxMessageBytes}`, header);
    return 'quarantined';
  }
  const content = prefetched ? Readable.from([prefetched]) : (await client.download(String(mail.uid), undefined, { uid: true })).content;
  if (!content) {
    await quarantine(client, context, mail, 'unparseable', 'the server returned no content');
    return 'quarantined';
  }
  let parsed;
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
    await quarantine(client, context, mail, error.reason, error.message, { messageId: envelope?.messageId, from: envelope?.from?.[0]?.address });
    return 'quarantined';
  }
  if (!parsed.from) {
    await quarantine(client, context, mail, 'no-sender', 'no From address', { messageId: parsed.messageId });
    return 'quarantined';
  }
  const { draft, loopGuard } = buildMailDraft(parsed, {
    mailbox,
    uidValidity: mail.uidValidity,
    uid: mail.uid,
    internalDate: mail.internalDate,
    firstImport: mail.firstImport,
    patterns: context.patterns,
    knownSerial: context.knownSerial,
    ownAddresses: context.ownAddresses,
  });
  try {
    const submitted = await context.intake.submit(draft);
    log.info({ requestNumber: submitted.requestNumber, mode: submitted.mode, duplicate: submitted.duplicate, silent: draft.silent, loopGuard }, 'mail filed');
  } catch (error) {
    if (isIntakeError(error) && error.code === 'DRAFT_INVALID') {
      await quarantine(client, context, mail, 'invalid-draft', error.message, { messageId: parsed.messageId, from: parsed.from.address });
      return 'quarantined';
    }
    if (isIntakeError(error) && error.retryable) {
      log.warn({ err: error }, 'intake unavailable: mail stays in INBOX for the next drain');
      return { retry: `mail UID ${mail.uid} not filed: ${error.message}` };
    }
    throw error;
  }
  return 'submitted';
}

async function quarantine(
  client: ImapFlow,
  context: DrainContext,
  mail: MailAt,
  reason: QuarantineReason,
  detail: string,
  header: { messageId?: string | undefined; from?: string | undefined } = {},
): Promise<void> {
  const entry: QuarantineEntry = {
    mailbox: context.mailbox.name,
    uidValidity: mail.uidValidity,
    uid: mail.uid,
    reason,
    detail,
    ...(header.messageId ? { messageId: header.messageId } : {}),
    ...(header.from ? { from: header.from } : {}),
    at: new Date().toISOString(),
  };
  await quarantineMail(client, context.redis, context.prefix, context.mailbox.quarantineFolder, entry);
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
