/**
 * Bearer-token authentication for the engineer API: the configured tokens matched as every
 * bearer token is (util/bearer-token.ts: SHA-256 digests compared in constant time against
 * every configured one).
 */
import type { RequestHandler } from 'express';
import { bearerAuth as bearerTokenAuth, tokenDigest } from '../util/bearer-token.js';

/** The authenticated caller, set on `res.locals.principal`. */
export interface Principal {
  name: string;
}

export function bearerAuth(tokens: Readonly<Record<string, string>>, unauthorized = 'Send "Authorization: Bearer <token>" with an engineer API token.'): RequestHandler {
  return bearerTokenAuth({
    owners: Object.entries(tokens).map(([name, token]) => ({ name, digest: tokenDigest(token) })),
    realm: 'hezo-intake',
    unauthorized,
    local: 'principal',
  });
}
