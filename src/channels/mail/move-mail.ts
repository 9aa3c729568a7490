/**
 * UID MOVE out of INBOX, failing loudly. imapflow's messageMove() does not throw when the
 * server answers NO (the folder is gone, over quota) or the connection drops mid-command: it
 * answers false (or undefined when INBOX is no longer selected). A drain that went on would
 * advance its watermark past mails still in INBOX, and no later drain would look at them again.
 */
import type { ImapFlow } from 'imapflow';

/** The mails stayed in INBOX; the next drain sees them again and moves them then. */
export class MailMoveError extends Error {
  override readonly name = 'MailMoveError';
  /** The server or the connection may be back by the next drain. */
  readonly retryable = true;
  constructor(
    readonly uids: readonly number[],
    readonly folder: string,
  ) {
    super(`Moving ${uids.length === 1 ? `mail UID ${uids[0]}` : `${uids.length} mails`} from INBOX to ${folder} failed (the server refused or the connection dropped); they stay in INBOX for the next drain.`);
  }
}

/** Moves `uids` (of the selected INBOX) to `folder`; throws MailMoveError when the move was not made. */
export async function moveMails(client: ImapFlow, uids: readonly number[], folder: string): Promise<void> {
  const moved = await client.messageMove(uids.join(','), folder, { uid: true });
  if (!moved) throw new MailMoveError(uids, folder);
}
