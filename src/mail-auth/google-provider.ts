/**
 * Google Workspace: a service account with domain-wide delegation acts as the mailbox's user
 * (google-auth-library's JWT with `subject`), for the scope `https://mail.google.com/` — the
 * only one Gmail's IMAP and SMTP take.
 *
 * The token is asked for at the key file's `token_uri`, as Google's own libraries for other
 * languages do: google-auth-library 10 posts to oauth2.googleapis.com whatever the file says, so
 * a request interceptor on the client's transporter (a documented gaxios feature) sends it to
 * the file's `token_uri` when that differs (a private endpoint, a local token proxy).
 */
import { createHash } from 'node:crypto';
import type { AccessToken, AccessTokenProvider } from './access-token-provider.js';
import type { GoogleAuth } from './auth-settings.js';
import { CredentialsFailure } from './credentials-failure.js';
import { readSecretFile } from './secret-file.js';

export const GMAIL_SCOPE = 'https://mail.google.com/';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The fields of a service account key file this provider reads. */
interface ServiceAccountKey {
  type?: string;
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
  token_uri?: string;
}

export class GoogleTokenProvider implements AccessTokenProvider {
  readonly kind = 'google';
  readonly description: string;
  readonly accountKey: string;

  /** @param user the Workspace user to act as (the subject of the delegation). */
  constructor(
    private readonly auth: GoogleAuth,
    private readonly user: string,
  ) {
    this.description = `Google service account of ${auth.serviceAccountFile} acting as ${user}`;
    // Delegated tokens are per user: the subject is part of the account.
    this.accountKey = `google:${createHash('sha256').update(JSON.stringify([auth.serviceAccountFile, user])).digest('hex')}`;
  }

  async requestToken(): Promise<AccessToken> {
    const key = await this.readKey();
    const tokenUri = key.token_uri ?? GOOGLE_TOKEN_URI;
    // Loaded on first use: a gateway without Google mailboxes does not pay for it at start.
    const { JWT } = await import('google-auth-library');
    const client = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [GMAIL_SCOPE], subject: this.user });
    if (tokenUri !== GOOGLE_TOKEN_URI) {
      client.transporter.interceptors.request.add({
        resolved: async (request) => {
          if (request.url.href === GOOGLE_TOKEN_URI) request.url = new URL(tokenUri);
          return request;
        },
      });
    }
    try {
      const tokens = await client.authorize();
      if (!tokens.access_token) throw new CredentialsFailure('google', 'no-token', `the token endpoint ${tokenUri} answered without a token`);
      return { accessToken: tokens.access_token, expiresAt: tokens.expiry_date ?? Date.now() + 3_600_000 };
    } catch (error) {
      throw failure(error, tokenUri);
    }
  }

  private async readKey(): Promise<ServiceAccountKey> {
    const text = await readSecretFile('google', this.auth.serviceAccountFile, 'serviceAccountFile');
    let key: ServiceAccountKey;
    try {
      key = JSON.parse(text) as ServiceAccountKey;
    } catch {
      throw new CredentialsFailure('google', 'secret-file', `serviceAccountFile ${this.auth.serviceAccountFile} is not JSON: download the service account's key again (JSON)`);
    }
    if (!key.client_email || !key.private_key) {
      throw new CredentialsFailure('google', 'secret-file', `serviceAccountFile ${this.auth.serviceAccountFile} has no client_email or private_key: it is not a service account key (Google Cloud console → IAM & Admin → Service accounts → Keys → Add key → JSON)`);
    }
    if (key.token_uri !== undefined && !isTokenEndpoint(key.token_uri)) {
      throw new CredentialsFailure('google', 'secret-file', `serviceAccountFile ${this.auth.serviceAccountFile} names token_uri ${key.token_uri}, which is not https:// (nor http:// on this machine)`);
    }
    return key;
  }
}

function isTokenEndpoint(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  } catch {
    return false;
  }
}

/**
 * Google's own words (`unauthorized_client: Client is unauthorized to retrieve access tokens…`,
 * `invalid_grant: Invalid JWT Signature.`), or why no answer came. Only the text is kept: the
 * gaxios error holds the request, with the signed assertion in it.
 */
function failure(error: unknown, tokenUri: string): CredentialsFailure {
  if (error instanceof CredentialsFailure) return error;
  const gaxios = error as { response?: { status?: number; data?: unknown }; code?: string | number; message?: string };
  const data = gaxios.response?.data as { error?: unknown; error_description?: unknown } | undefined;
  if (data && typeof data.error === 'string') {
    const description = typeof data.error_description === 'string' ? `: ${data.error_description}` : '';
    return new CredentialsFailure('google', data.error, `${data.error}${description}`);
  }
  if (gaxios.response?.status) {
    return new CredentialsFailure('google', 'unreachable', `the token endpoint ${tokenUri} answered HTTP ${gaxios.response.status} without an OAuth error: it is down or not Google's`);
  }
  return new CredentialsFailure('google', 'unreachable', `the token endpoint ${tokenUri} cannot be reached (${gaxios.code ?? gaxios.message ?? 'no answer'})`);
}
