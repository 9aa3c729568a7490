/**
 * One mailbox checked as the watcher will use it, step by step, for `hezo-intake mailboxes
 * check`: the token (for an OAuth2 account), the sign-in, INBOX, and the Processed and
 * Quarantine folders — which the watcher makes when they are missing, so the check makes them
 * too, and a server that will not let them be made fails here rather than at the first mail.
 */
import { credentialsAdvice, folderAdvice, imapRefusedAdvice, unreachableServerAdvice } from '../../mail-auth/advice.js';
import { CredentialsFailure } from '../../mail-auth/credentials-failure.js';
import type { MailCredentials } from '../../mail-auth/mail-credentials.js';
import { tokenCheck, type CheckStep } from '../../mail-auth/sign-in-check.js';
import type { Settings } from '../../settings.js';
import { imapErrorText, imapSignIn, signInRefused, type ImapSignIn } from './imap-sign-in.js';
import { ensureFolder } from './mailbox-watcher.js';

type Mailbox = Settings['mailboxes']['list'][number];

/** The steps, in order; after a failed step the ones that need it are not tried. */
export async function probeMailbox(mailbox: Mailbox, credentials: MailCredentials): Promise<CheckStep[]> {
  const steps: CheckStep[] = [];
  if (credentials.kind === 'token') {
    const token = await tokenCheck(credentials, 'IMAP.AccessAsApp');
    steps.push(token);
    if (!token.ok) return steps;
  }
  const kind = mailbox.imap.auth?.type ?? 'password';
  let signIn: ImapSignIn;
  try {
    signIn = await imapSignIn(mailbox.imap, credentials);
  } catch (error) {
    if (!(error instanceof CredentialsFailure)) throw error;
    steps.push({ step: 'sign in', ok: false, detail: error.message, advice: credentialsAdvice(error) });
    return steps;
  }
  const { client } = signIn;
  client.on('error', () => undefined);
  try {
    try {
      await client.connect();
      steps.push({ step: 'sign in', ok: true, detail: `as ${signIn.user}` });
    } catch (error) {
      signIn.failed(error);
      const refused = signInRefused(error);
      steps.push({ step: 'sign in', ok: false, detail: imapErrorText(error, signIn.user), advice: refused ? imapRefusedAdvice(kind) : unreachableServerAdvice('imap') });
      return steps;
    }
    try {
      const inbox = await client.mailboxOpen('INBOX', { readOnly: true });
      steps.push({ step: 'INBOX', ok: true, detail: `${inbox.exists} mail${inbox.exists === 1 ? '' : 's'} waiting` });
      await client.mailboxClose();
    } catch (error) {
      steps.push({ step: 'INBOX', ok: false, detail: imapErrorText(error, signIn.user), advice: 'the account cannot open INBOX: check that it is the mailbox itself (not a shared folder of another)' });
      return steps;
    }
    for (const [setting, folder] of [['processedFolder', mailbox.processedFolder], ['quarantineFolder', mailbox.quarantineFolder]] as const) {
      try {
        steps.push({ step: `folder ${folder}`, ok: true, detail: (await ensureFolder(client, folder)) === 'exists' ? 'exists' : 'created' });
      } catch (error) {
        steps.push({ step: `folder ${folder}`, ok: false, detail: `cannot be made: ${imapErrorText(error, signIn.user)}`, advice: folderAdvice(setting) });
      }
    }
    return steps;
  } finally {
    await client.logout().catch(() => client.close());
  }
}
