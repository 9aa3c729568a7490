/**
 * A drain: everything in INBOX not yet handled. Handled means submitted (then moved to
 * Processed) or quarantined — on the mailbox's first connection, mail older than
 * importMaxAgeDays too. A UID watermark per mailbox in Redis remembers how far the drain got;
 * it is tied to the folder's UIDVALIDITY, and a new UIDVALIDITY (the folder was rebuilt, UIDs
 * mean something else) rescans the whole folder, which is safe because submit() is idempotent
 * by Message-ID.
 *
 * Speed (bench/mail): mail is taken in groups. A group's sizes and small sources come in two
 * FETCHes, fetched while the group before is still being handled; its mails are parsed and
 * submitted several at once (mailparser waits on setImmediate between its steps, so one mail
 * at a time leaves the CPU idle, and concurrent submits share Redis round trips); its moves are
 * one UID MOVE to Processed and one to Quarantine, over UID ranges. Order does not matter for
 * correctness: a mail stays in INBOX until it is submitted or quarantined, a move comes only
 * after, and the watermark only passes a mail once everything up to it was moved. A group that
 * fails midway (a retry, a failed move, a crash) leaves its unmoved mail in INBOX below the
 * watermark, and the next drain's submit() finds the ones already filed duplicates.
 *
 * IMAP commands are never issued inside a fetch iterator (imapflow deadlocks): only whole
 * commands (fetchAll, download), queued by imapflow one after another on the connection.
 */
import type { ImapFlow } from 'imapflow';
import { impossible } from '../../errors.js';
import type { DrainContext } from './drain-context.js';
import { fileMail, type MailAt, type Outcome, type QuarantineVerdict } from './mail-fate.js';
import { moveMails, uidSet } from './move-mail.js';
import { quarantineMails, type QuarantineEntry } from './quarantine.js';

/** Mails handled per group: their sources fetched in one FETCH, their moves in one UID MOVE per folder. */
const GROUP = 100;
/** Mails of a group parsed and submitted at once. */
const CONCURRENCY = 16;
/** Mails up to this size are fetched whole with their group; larger ones are streamed one by one. */
const PREFETCH_MAX_BYTES = 256 * 1024;

export type { DrainContext, MailboxConfig } from './drain-context.js';

export interface DrainResult {
  submitted: number;
  /** Quarantined mails, those too old to import (reason `too-old`) included. */
  quarantined: number;
  /** Of the quarantined: older than importMaxAgeDays at the first connection. */
  tooOld: number;
  /** Stopped early (Redis unavailable, lease lost): the rest waits for the next drain. */
  interrupted: boolean;
  /** Why a mail could not be filed now (intake or attachment store unavailable); it stays in INBOX. */
  retryBecause?: string;
}

interface Watermark {
  uidValidity: string;
  lastUid: number;
  /** Mail up to this UID was there at first connection: too old → Quarantine, else imported silently. */
  importUpTo: number;
}

/** `<prefix>:mail:<mailbox>:watermark` */
export function watermarkKey(prefix: string, mailbox: string): string {
  return `${prefix}:mail:${mailbox}:watermark`;
}

/** A group as fetched: size and INTERNALDATE of each mail still there, and the small ones' sources. */
interface FetchedGroup {
  metas: Map<number, { size: number; internalDate: Date }>;
  sources: Map<number, Buffer>;
}

/**
 * Drains INBOX (already opened on `client`). `uidNextAtOpen` is UIDNEXT as SELECT reported it:
 * on a first connection, mail below it was already there (an import), mail from it on is new.
 */
export async function drainMailbox(client: ImapFlow, context: DrainContext, uidNextAtOpen: number): Promise<DrainResult> {
  const result: DrainResult = { submitted: 0, quarantined: 0, tooOld: 0, interrupted: false };
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
  const groups: number[][] = [];
  for (let at = 0; at < uids.length; at += GROUP) groups.push(uids.slice(at, at + GROUP));

  const fetchAhead = (group: number[] | undefined): Promise<FetchedGroup> | undefined => {
    if (!group) return undefined;
    const fetching = fetchGroup(client, group, context.maxMessageBytes);
    // Awaited when its turn comes; a drain that ends before then must not leave it unhandled.
    fetching.catch(() => undefined);
    return fetching;
  };
  let next = fetchAhead(groups[0]);
  for (let index = 0; index < groups.length; index += 1) {
    const group = groups[index] as number[];
    // Not fetched: the watcher could not go on when this group's turn to be fetched came.
    if (!next) return { ...result, interrupted: true };
    const fetched = await next;
    next = context.mayContinue() ? fetchAhead(groups[index + 1]) : undefined;
    const outcomes = await handleGroup(client, context, watermark, group, fetched);

    const toProcessed: number[] = [];
    const toQuarantine: QuarantineEntry[] = [];
    for (const uid of group) {
      const outcome = outcomes.get(uid);
      if (outcome === 'submitted') toProcessed.push(uid);
      else if (typeof outcome === 'object' && 'quarantine' in outcome) toQuarantine.push(entryOf(context, watermark.uidValidity, uid, outcome));
      else if (typeof outcome === 'object') result.retryBecause ??= outcome.retry;
    }
    // Only what submit() durably queued is moved. A crash before the move leaves those mails in
    // INBOX, and the next drain's submit() finds them duplicates. A failed move throws before
    // the watermark is written, for the same reason.
    await moveMails(client, toProcessed, context.mailbox.processedFolder);
    await quarantineMails(client, context.redis, context.prefix, context.mailbox.quarantineFolder, toQuarantine);
    result.submitted += toProcessed.length;
    result.quarantined += toQuarantine.length;
    result.tooOld += toQuarantine.filter((entry) => entry.reason === 'too-old').length;

    // The watermark passes the unbroken run of handled mails from the group's start: a mail
    // left for a retry (or not started) and everything after it are looked at again.
    let handledUpTo: number | undefined;
    for (const uid of group) {
      const outcome = outcomes.get(uid);
      if (outcome === undefined || (typeof outcome === 'object' && 'retry' in outcome)) break;
      handledUpTo = uid;
      remaining -= 1;
    }
    if (handledUpTo !== undefined) await context.redis.hset(key, 'lastUid', handledUpTo);
    context.onBacklog(remaining);
    if (handledUpTo !== group.at(-1)) return { ...result, interrupted: true };
  }
  return result;
}

/**
 * Decides every mail of a group: the prefetched ones CONCURRENCY at a time, then the large ones
 * one by one (each is a streamed download on the shared connection). A mail gone meanwhile
 * (moved by someone else) is `gone`. Stops starting mails once the watcher may not go on or a
 * mail must be retried (the intake or the attachment store is down: the rest would fail too).
 */
async function handleGroup(
  client: ImapFlow,
  context: DrainContext,
  watermark: Watermark,
  group: readonly number[],
  fetched: FetchedGroup,
): Promise<Map<number, Outcome | 'gone'>> {
  const outcomes = new Map<number, Outcome | 'gone'>();
  let stop = false;
  const tooOld = new Map<number, Date>();
  const decide = async (uid: number): Promise<void> => {
    if (stop || !context.mayContinue()) {
      stop = true;
      return;
    }
    const meta = fetched.metas.get(uid);
    if (!meta) {
      outcomes.set(uid, 'gone');
      return;
    }
    const firstImport = uid <= watermark.importUpTo;
    if (firstImport && Date.now() - meta.internalDate.getTime() > context.importMaxAgeDays * 86_400_000) {
      tooOld.set(uid, meta.internalDate);
      return;
    }
    const mail: MailAt = { uid, uidValidity: watermark.uidValidity, size: meta.size, internalDate: meta.internalDate, firstImport };
    const outcome = await fileMail(client, context, mail, fetched.sources.get(uid)).catch((error: unknown): Outcome => {
      // Not the mail's fault (the notifier, an IMAP command failed): it stays for the next drain.
      context.logger.warn({ err: error, mailbox: context.mailbox.name, uid }, 'mail not handled: it stays in INBOX for the next drain');
      return { retry: `mail UID ${uid} not handled: ${(error as Error).message}` };
    });
    if (typeof outcome === 'object' && 'retry' in outcome) stop = true;
    outcomes.set(uid, outcome);
  };
  const small = group.filter((uid) => fetched.sources.has(uid) || !fetched.metas.has(uid));
  let nextAt = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, small.length) }, async () => {
      while (nextAt < small.length) await decide(small[nextAt++] as number);
    }),
  );
  for (const uid of group.filter((uid) => !fetched.sources.has(uid) && fetched.metas.has(uid))) await decide(uid);
  if (tooOld.size > 0) {
    // Their sender and Message-ID for the quarantine entry, from the ENVELOPE (one FETCH).
    const envelopes = await client.fetchAll(uidSet([...tooOld.keys()]), { uid: true, envelope: true }, { uid: true }).catch(() => []);
    const byUid = new Map(envelopes.map((message) => [message.uid, message.envelope]));
    for (const [uid, internalDate] of tooOld) {
      const envelope = byUid.get(uid);
      const received = internalDate.toISOString();
      context.logger.info({ mailbox: context.mailbox.name, uid, internalDate: received }, 'first connection: mail older than importMaxAgeDays moved to Quarantine');
      outcomes.set(uid, {
        quarantine: 'too-old',
        detail: `received ${received}, more than ${context.importMaxAgeDays} days before the mailbox was first connected`,
        messageId: envelope?.messageId,
        from: envelope?.from?.[0]?.address,
      });
    }
  }
  return outcomes;
}

async function fetchGroup(client: ImapFlow, group: readonly number[], maxMessageBytes: number): Promise<FetchedGroup> {
  const metas = new Map<number, { size: number; internalDate: Date }>();
  for (const meta of await client.fetchAll(uidSet(group), { uid: true, size: true, internalDate: true }, { uid: true })) {
    metas.set(meta.uid, { size: meta.size ?? 0, internalDate: meta.internalDate ? new Date(meta.internalDate) : new Date() });
  }
  const small = group.filter((uid) => (metas.get(uid)?.size ?? Infinity) <= Math.min(PREFETCH_MAX_BYTES, maxMessageBytes));
  const sources = new Map<number, Buffer>();
  if (small.length > 0) {
    for (const message of await client.fetchAll(uidSet(small), { uid: true, source: true }, { uid: true })) {
      if (message.source) sources.set(message.uid, message.source);
    }
  }
  return { metas, sources };
}

function entryOf(context: DrainContext, uidValidity: string, uid: number, verdict: QuarantineVerdict): QuarantineEntry {
  return {
    mailbox: context.mailbox.name,
    uidValidity,
    uid,
    reason: verdict.quarantine,
    detail: verdict.detail,
    ...(verdict.messageId ? { messageId: verdict.messageId } : {}),
    ...(verdict.from ? { from: verdict.from } : {}),
    at: new Date().toISOString(),
  };
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
