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

/** Moves `uids` (of the selected INBOX) to `folder`; throws MailMoveError when the move was not made. */
export async function moveMails(client: ImapFlow, uids: readonly number[], folder: string): Promise<void> {
  const moved = await client.messageMove(uids.join(','), folder, { uid: true });
  if (!moved) throw new MailMoveError(uids, folder);
}
