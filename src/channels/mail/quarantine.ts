/**
 * Quarantine (DESIGN.md section 5): a mail that cannot become a request (unparseable, oversize,
 * no sender) is moved to the mailbox's Quarantine folder — never deleted, never skipped in
 * silence. The reason is kept twice: as an IMAP keyword on the mail (visible to whoever opens
 * the folder) and as an entry of the Redis list `<prefix>:quarantine` (for engineers and tests).
 */
import type { ImapFlow } from 'imapflow';
import type { Redis } from 'ioredis';
import { moveMails, uidSet } from './move-mail.js';

/**
 * Why a mail went to Quarantine. `spam`: flagged by a spam filter and naming no contract or
 * serial of the registry; `bounce`: a bounce that returns no acknowledgment of ours (or one of
 * a request that does not exist); `too-old`: older than importMaxAgeDays when the mailbox was
 * first connected.
 */
export type QuarantineReason = 'oversize' | 'unparseable' | 'no-sender' | 'attachment-too-large' | 'invalid-draft' | 'spam' | 'bounce' | 'too-old';

/** One entry of `<prefix>:quarantine`. */
export interface QuarantineEntry {
  mailbox: string;
  uidValidity: string;
  uid: number;
  reason: QuarantineReason;
  detail: string;
  messageId?: string;
  from?: string;
  at: string;
}

/** Redis list of quarantined mails. */
export function quarantineKey(prefix: string): string {
  return `${prefix}:quarantine`;
}

/**
 * Records the reasons, flags the mails and moves them, all at once (one RPUSH, one STORE per
 * reason, one UID MOVE). Recording comes first: if Redis is down no move is made and the next
 * drain tries again. A move that fails throws (MailMoveError): the mails stay in INBOX, the next
 * drain quarantines them again and records them a second time.
 */
export async function quarantineMails(client: ImapFlow, redis: Redis, prefix: string, folder: string, entries: readonly QuarantineEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await redis.rpush(quarantineKey(prefix), ...entries.map((entry) => JSON.stringify(entry)));
  for (const reason of new Set(entries.map((entry) => entry.reason))) {
    const uids = entries.filter((entry) => entry.reason === reason).map((entry) => entry.uid);
    // Keywords are atoms: no spaces or brackets.
    await client.messageFlagsAdd(uidSet(uids), [`HezoQuarantine-${reason}`], { uid: true }).catch(() => false);
  }
  await moveMails(client, entries.map((entry) => entry.uid), folder);
}

/** Quarantined mails recorded so far (newest last). */
export async function listQuarantine(redis: Redis, prefix: string): Promise<QuarantineEntry[]> {
  return (await redis.lrange(quarantineKey(prefix), 0, -1)).map((line) => JSON.parse(line) as QuarantineEntry);
}
