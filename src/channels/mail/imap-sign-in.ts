/**
 * Signing in to a mailbox: imapflow's options for an account, with a password or an access
 * token (XOAUTH2 / OAUTHBEARER, imapflow picks what the server offers), and what a refused
 * sign-in means for the token — the watcher and `mailboxes check` both sign in this way.
 */
import { ImapFlow } from 'imapflow';
import type { MailCredentials } from '../../mail-auth/mail-credentials.js';

/** An IMAP server as the settings give it. */
export interface ImapServer {
  host: string;
  port: number;
  secure: boolean;
  rejectUnauthorized: boolean;
}

/** A client ready to connect, and what to do when its sign-in is refused. */
export interface ImapSignIn {
  client: ImapFlow;
  /** Who signs in (for messages). */
  user: string;
  /**
   * Call with connect()'s error: when the server refused the sign-in, a token it was given is
   * forgotten, so that the next attempt asks the endpoint for a new one (revoked, expired early).
   */
  failed(error: unknown): void;
}

/** Makes the client; asks the token cache first when the account signs in with a token (which may reject with a CredentialsFailure). */
export async function imapSignIn(server: ImapServer, credentials: MailCredentials): Promise<ImapSignIn> {
  if (credentials.kind === 'none') return { client: imapClient(server, undefined), user: '', failed: () => undefined };
  if (credentials.kind === 'password') {
    const pass = await credentials.password();
    return { client: imapClient(server, { user: credentials.user, pass }), user: credentials.user, failed: () => undefined };
  }
  const { accessToken } = await credentials.token.get();
  return {
    client: imapClient(server, { user: credentials.user, accessToken }),
    user: credentials.user,
    failed: (error) => {
      if (signInRefused(error)) credentials.token.invalidate(accessToken);
    },
  };
}

function imapClient(server: ImapServer, auth: { user: string; pass: string } | { user: string; accessToken: string } | undefined): ImapFlow {
  return new ImapFlow({
    host: server.host,
    port: server.port,
    secure: server.secure,
    ...(auth ? { auth } : {}),
    tls: { rejectUnauthorized: server.rejectUnauthorized },
    logger: false,
    connectionTimeout: 10_000,
  });
}

/** The server answered the sign-in with a refusal (not a network failure). */
export function signInRefused(error: unknown): boolean {
  return (error as { authenticationFailed?: boolean } | undefined)?.authenticationFailed === true;
}

/**
 * An IMAP error as /readyz and `mailboxes check` show it: imapflow says "Command failed" and
 * keeps the server's words in `responseText`.
 */
export function imapErrorText(error: unknown, user: string): string {
  const imap = error as { message?: string; responseText?: string; serverResponseCode?: string };
  if (signInRefused(error)) return `the IMAP server refused the sign-in${user ? ` of ${user}` : ''}: ${imap.responseText ?? imap.message ?? 'authentication failed'}`;
  if (imap.responseText) return `${imap.responseText}${imap.serverResponseCode ? ` [${imap.serverResponseCode}]` : ''}`;
  return imap.message ?? String(error);
}
