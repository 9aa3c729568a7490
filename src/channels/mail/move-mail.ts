/**
 * UID MOVE out of INBOX, failing loudly. imapflow's messageMove() does not throw when the
 * server answers NO (the folder is gone, over quota) or the connection drops mid-command: it
 * answers false (or undefined when INBOX is no longer selected). A drain that went on would
 * advance its watermark past mails still in INBOX, and no later drain would look at them again.
 */
import type { ImapFlow } from 'imapflow';
import { InternalFailure } from '../../errors.js';

/**
 * The mails stayed in INBOX; the next drain sees them again and moves them then. An internal
 * failure, not an IntakeError: it ends the drain, and the mailbox watcher logs it and shows it
 * in the mailbox's status until a drain succeeds — no caller is waiting for an answer.
 * Retryable: the server or the connection may be back by the next drain.
 */
export class MailMoveError extends InternalFailure {
  constructor(
    readonly uids: readonly number[],
    readonly folder: string,
  ) {
    super(
      'MailMoveError',
      `Moving ${uids.length === 1 ? `mail UID ${uids[0]}` : `${uids.length} mails`} from INBOX to ${folder} failed (the server refused or the connection dropped); they stay in INBOX for the next drain.`,
    );
  }
}

/** Moves `uids` (of the selected INBOX) to `folder` in one UID MOVE; throws MailMoveError when the move was not made. */
export async function moveMails(client: ImapFlow, uids: readonly number[], folder: string): Promise<void> {
  if (uids.length === 0) return;
  const moved = await client.messageMove(uidSet(uids), folder, { uid: true });
  if (!moved) throw new MailMoveError(uids, folder);
}

/** A UID set in ranges: [1, 2, 3, 5, 7, 8] → `1:3,5,7:8` (a backlog's UIDs mostly run on). */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let at = 0; at < sorted.length; ) {
    let end = at;
    while (end + 1 < sorted.length && (sorted[end + 1] as number) <= (sorted[end] as number) + 1) end += 1;
    parts.push(at === end ? String(sorted[at]) : `${sorted[at]}:${sorted[end]}`);
    at = end + 1;
  }
  return parts.join(',');
}
