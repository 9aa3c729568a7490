/**
 * One account's access token, cached: asked for once and shared by every connection that signs
 * in with it (both mailboxes and the SMTP relay, when one app serves them), asked for again once
 * 80 % of its lifetime has passed, and forgotten as soon as a server refuses it.
 */
import type { AccessToken, AccessTokenProvider } from './access-token-provider.js';
import { CredentialsFailure } from './credentials-failure.js';

/**
 * After this fraction of a token's lifetime the next sign-in asks for a new one: 48 min of
 * Microsoft's and Google's hour, so a connection made just before still has 12 min to sign in,
 * and a token endpoint that is briefly down is not noticed at all.
 */
const REFRESH_AT_FRACTION = 0.8;
/** While this fraction of its lifetime is left, a token is still handed out when its refresh fails. */
const STILL_USABLE_FRACTION = 0.1;
/**
 * How long a token request may take. msal-node's POST has no timeout of its own, and a watcher
 * waiting for ever on a silent endpoint would never reconnect nor show why.
 */
const REQUEST_TIMEOUT_MS = 30_000;

/** A token as the cache hands it out: also when the cache will ask for the next one. */
export interface CachedToken extends AccessToken {
  /** After this (ms since epoch) get() asks the endpoint again. */
  refreshAt: number;
}

export class CachedAccessToken {
  private current: (CachedToken & { obtainedAt: number }) | undefined;
  /** Single flight: callers arriving during a request wait for it instead of making their own. */
  private inFlight: Promise<CachedToken> | undefined;
  private requestCount = 0;

  constructor(
    readonly provider: AccessTokenProvider,
    private readonly requestTimeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  /** How many times the endpoint was asked (successfully or not). */
  get requests(): number {
    return this.requestCount;
  }

  /** A token to sign in with: the cached one until 80 % of its lifetime, else a new one. Rejects with a CredentialsFailure. */
  async get(): Promise<CachedToken> {
    const current = this.current;
    if (current && Date.now() < current.refreshAt) return current;
    this.inFlight ??= this.request(current).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * A server refused `accessToken` (revoked, consent withdrawn, expired early): the next get()
   * asks for a new one. A token already replaced is left alone, so a late refusal of an old
   * token does not throw away the fresh one.
   */
  invalidate(accessToken: string): void {
    if (this.current?.accessToken === accessToken) this.current = undefined;
  }

  private async request(previous: (CachedToken & { obtainedAt: number }) | undefined): Promise<CachedToken> {
    this.requestCount += 1;
    const obtainedAt = Date.now();
    try {
      const token = await withTimeout(this.provider.requestToken(), this.requestTimeoutMs, this.provider);
      const lifetime = Math.max(0, token.expiresAt - obtainedAt);
      const cached = { ...token, obtainedAt, refreshAt: obtainedAt + Math.floor(lifetime * REFRESH_AT_FRACTION) };
      this.current = cached;
      return cached;
    } catch (error) {
      // The endpoint failed, but the token in hand has a while to go: sign in with it, and ask
      // again at the next sign-in. A refused (invalidated) token is no longer `current`.
      if (previous && this.current === previous && stillUsable(previous)) return previous;
      throw error;
    }
  }
}

function stillUsable(token: CachedToken & { obtainedAt: number }): boolean {
  return token.expiresAt - Date.now() > (token.expiresAt - token.obtainedAt) * STILL_USABLE_FRACTION;
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, provider: AccessTokenProvider): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CredentialsFailure(provider.kind, 'unreachable', `no answer from the token endpoint of ${provider.description} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
