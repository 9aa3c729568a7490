/**
 * Any other OAuth2 provider: a token endpoint, a client, a scope — the client_credentials grant,
 * or the refresh_token grant when a refresh token is given (RFC 6749 §4.4 and §6), with
 * openid-client. A provider that rotates refresh tokens hands a new one with each answer; it
 * is kept (in memory: a restart starts again from the configured one).
 */
import { createHash } from 'node:crypto';
import type * as OpenIdClient from 'openid-client';
import type { AccessToken, AccessTokenProvider } from './access-token-provider.js';
import type { OAuth2Auth } from './auth-settings.js';
import { CredentialsFailure } from './credentials-failure.js';
import { readSecret } from './secret-file.js';

/** When the endpoint does not say how long a token lasts (expires_in is only RECOMMENDED). */
const DEFAULT_LIFETIME_MS = 3_600_000;

export class OAuth2TokenProvider implements AccessTokenProvider {
  readonly kind = 'oauth2';
  readonly description: string;
  readonly accountKey: string;
  private rotatedRefreshToken: string | undefined;

  constructor(private readonly auth: OAuth2Auth) {
    this.description = `OAuth2 client ${auth.clientId} at ${auth.tokenUrl}`;
    const { user: _user, ...request } = auth;
    this.accountKey = `oauth2:${createHash('sha256').update(JSON.stringify(request)).digest('hex')}`;
  }

  async requestToken(): Promise<AccessToken> {
    const { auth } = this;
    // Loaded on first use: a gateway without such mailboxes does not pay for it at start.
    const client = await import('openid-client');
    const secret = await readSecret('oauth2', auth.clientSecret, auth.clientSecretFile, 'clientSecretFile');
    const refreshToken = this.rotatedRefreshToken ?? ((await readSecret('oauth2', auth.refreshToken, auth.refreshTokenFile, 'refreshTokenFile')) || undefined);
    const endpoint = new URL(auth.tokenUrl);
    const clientAuthentication = auth.clientAuthentication === 'client_secret_post' ? client.ClientSecretPost(secret) : client.ClientSecretBasic(secret);
    const config = new client.Configuration({ issuer: endpoint.origin, token_endpoint: auth.tokenUrl }, auth.clientId, undefined, clientAuthentication);
    // The settings take plain HTTP only for an endpoint on this machine (auth-settings.ts).
    if (endpoint.protocol === 'http:') client.allowInsecureRequests(config);
    try {
      const parameters = { scope: auth.scope };
      const tokens = refreshToken ? await client.refreshTokenGrant(config, refreshToken, parameters) : await client.clientCredentialsGrant(config, parameters);
      if (tokens.refresh_token) this.rotatedRefreshToken = tokens.refresh_token;
      const expiresIn = tokens.expiresIn();
      return { accessToken: tokens.access_token, expiresAt: Date.now() + (expiresIn === undefined ? DEFAULT_LIFETIME_MS : expiresIn * 1000) };
    } catch (error) {
      throw failure(error, auth.tokenUrl, client.ResponseBodyError);
    }
  }
}

/** The endpoint's own `error: error_description`, or why no usable answer came. */
function failure(error: unknown, tokenUrl: string, ResponseBodyError: typeof OpenIdClient.ResponseBodyError): CredentialsFailure {
  if (error instanceof ResponseBodyError) {
    return new CredentialsFailure('oauth2', error.error, `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`);
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (error instanceof TypeError && cause) {
    return new CredentialsFailure('oauth2', 'unreachable', `the token endpoint ${tokenUrl} cannot be reached (${cause.code ?? cause.message ?? 'no answer'})`);
  }
  return new CredentialsFailure('oauth2', 'unreachable', `the token endpoint ${tokenUrl} gave no usable answer: ${(error as Error).message}`);
}
