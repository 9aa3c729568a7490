/**
 * Quarantine (DESIGN.md section 5): a mail that cannot become a request (unparseable, oversize,
 * no sender) is moved to the mailbox's Quarantine folder — never deleted, never skipped in
 * silence. The reason is kept twice: as an IMAP keyword on the mail (visible to whoever opens
 * the folder) and as an entry of the Redis list `<prefix>:quarantine` (for engineers and tests).
 */
import type { ImapFlow } from 'imapflow';
import type { Redis } from 'ioredis';
import { moveMails } from './move-mail.js';

export type QuarantineReason = 'oversize' | 'unparseable' | 'no-sender' | 'attachment-too-large' | 'invalid-draft';

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
 * Records the reason, flags the mail and moves it. Recording comes first: if Redis is down the
 * move is not made and the next drain tries again. A move that fails throws (MailMoveError):
 * the mail stays in INBOX, the next drain quarantines it again and records it a second time.
 */
export async function quarantineMail(client: ImapFlow, redis: Redis, prefix: string, folder: string, entry: QuarantineEntry): Promise<void> {
  await redis.rpush(quarantineKey(prefix), JSON.stringify(entry));
  // Keywords are atoms: no spaces or brackets.
  await client.messageFlagsAdd(String(entry.uid), [`HezoQuarantine-${entry.reason}`], { uid: true }).catch(() => false);
  await moveMails(client, [entry.uid], folder);
}

/** Quarantined mails recorded so far (newest last). */
export async function listQuarantine(redis: Redis, prefix: string): Promise<QuarantineEntry[]> {
  return (await redis.lrange(quarantineKey(prefix), 0, -1)).map((line) => JSON.parse(line) as QuarantineEntry);
}
