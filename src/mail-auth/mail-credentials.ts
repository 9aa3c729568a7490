/**
 * What the IMAP watchers and the SMTP sender sign in with, from an account's settings: nothing
 * (an open relay), a password, or an access token from a cached provider. The providers are
 * listed here, explicitly, in one factory.
 *
 * This module sits apart from channels/ and notify/ because both need it and neither may import
 * the other (STYLE.md).
 */
import type { AccessTokenProvider } from './access-token-provider.js';
import type { MailAuth } from './auth-settings.js';
import { CachedAccessToken } from './cached-access-token.js';
import { GoogleTokenProvider } from './google-provider.js';
import { Microsoft365TokenProvider } from './microsoft365-provider.js';
import { OAuth2TokenProvider } from './oauth2-provider.js';
import { readSecret } from './secret-file.js';

/** An IMAP or SMTP account as the settings give it: the flat password form, or `auth`. */
export interface AccountSettings {
  user: string;
  password: string;
  auth?: MailAuth | undefined;
}

export type MailCredentials =
  | { kind: 'none' }
  | {
      kind: 'password';
      user: string;
      /** Read at every sign-in (a passwordFile may be rotated). */
      password(): Promise<string>;
    }
  | {
      kind: 'token';
      /** The XOAUTH2 user: the mailbox (or sender) address unless the settings name another. */
      user: string;
      token: CachedAccessToken;
    };

/**
 * The access tokens of one process, one cache per account: the two mailboxes and the SMTP relay
 * of one Microsoft 365 app share a single token, asked for once.
 */
export class MailTokens {
  private readonly byAccount = new Map<string, CachedAccessToken>();

  /**
   * @param defaultUser who signs in when the settings name no user: the mailbox's address for
   *   IMAP, the address of mail.from for SMTP.
   */
  credentials(account: AccountSettings, defaultUser: string): MailCredentials {
    const { auth } = account;
    if (!auth) return account.user === '' ? { kind: 'none' } : { kind: 'password', user: account.user, password: async () => account.password };
    if (auth.type === 'password') return { kind: 'password', user: auth.user, password: () => readSecret('password', auth.password, auth.passwordFile, 'passwordFile') };
    const user = auth.user ?? defaultUser;
    return { kind: 'token', user, token: this.cached(tokenProvider(auth, user)) };
  }

  private cached(provider: AccessTokenProvider): CachedAccessToken {
    let cached = this.byAccount.get(provider.accountKey);
    if (!cached) {
      cached = new CachedAccessToken(provider);
      this.byAccount.set(provider.accountKey, cached);
    }
    return cached;
  }
}

/** Every kind of token endpoint, by its `auth.type`. */
function tokenProvider(auth: Exclude<MailAuth, { type: 'password' }>, user: string): AccessTokenProvider {
  switch (auth.type) {
    case 'microsoft365':
      return new Microsoft365TokenProvider(auth);
    case 'google':
      return new GoogleTokenProvider(auth, user);
    case 'oauth2':
      return new OAuth2TokenProvider(auth);
  }
}

/**
 * The process's tokens. One registry for the whole process rather than one per component: the
 * watchers (channels/mail) and the sender (notify) are built in different places, and a token
 * asked for twice is a request Microsoft and Google count against the app.
 */
export const processMailTokens = new MailTokens();

/** How a credentials kind is named to an administrator. */
export function describeCredentials(credentials: MailCredentials): string {
  if (credentials.kind === 'none') return 'no sign-in';
  if (credentials.kind === 'password') return 'password';
  return credentials.token.provider.description;
}
