/**
 * The one contract every token endpoint kind (Microsoft 365, Google, any OAuth2 provider) is
 * put behind: ask for a fresh access token. Caching, refreshing before expiry and forgetting a
 * refused token are the cache's (cached-access-token.ts), once for all kinds.
 */

/** An access token and until when the endpoint said it is valid. */
export interface AccessToken {
  /** The bearer token itself: a secret, never logged or shown. */
  accessToken: string;
  /** When it expires (ms since epoch). */
  expiresAt: number;
}

export interface AccessTokenProvider {
  /** Which kind of endpoint, for messages and advice. */
  readonly kind: 'microsoft365' | 'google' | 'oauth2';
  /** What the token is for, in words for an administrator: "Microsoft 365 app 1b2c… in tenant contoso.onmicrosoft.com". Holds no secret. */
  readonly description: string;
  /**
   * Which account the token belongs to: providers with equal keys get one token between them
   * (an app's client-credentials token serves every mailbox the app may open). A hash, no secret.
   */
  readonly accountKey: string;
  /** Asks the endpoint for a new token, never a cached one. Rejects with a TokenRequestFailure. */
  requestToken(): Promise<AccessToken>;
}
