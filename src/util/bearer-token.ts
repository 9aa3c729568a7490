/**
 * `Authorization: Bearer <token>` against configured tokens, for the engineer API and the
 * portal API alike. Tokens are compared as SHA-256 digests with timingSafeEqual against every
 * configured one, with no early exit: neither a wrong token's length nor the position of a
 * right one in the list shows in the answer time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { IntakeError } from '../errors.js';

/** A configured token: whose it is, and its SHA-256 (settings may keep only the digest). */
export interface TokenOwner {
  name: string;
  digest: Buffer;
}

/** The SHA-256 of a token, as compared. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Whose token was presented, or null; an empty token is nobody's. The same work for every non-empty token. */
export function ownerOfToken(presented: string, owners: readonly TokenOwner[]): string | null {
  if (presented === '') return null;
  const digest = tokenDigest(presented);
  let found: string | null = null;
  for (const owner of owners) {
    // No early exit: every digest is compared, matched or not.
    if (timingSafeEqual(digest, owner.digest) && found === null) found = owner.name;
  }
  return found;
}

/** The token of an `Authorization: Bearer <token>` header; '' when there is none. */
export function bearerTokenOf(header: string | undefined): string {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '';
}

export interface BearerAuthOptions {
  owners: readonly TokenOwner[];
  /** The realm named in `WWW-Authenticate` on a 401. */
  realm: string;
  /** What the 401 tells the caller to send. */
  unauthorized: string;
  /** Where the owner goes: `res.locals[local] = { name }`. */
  local: string;
}

/** Middleware: sets `res.locals[local]` to the token's owner, or answers 401 UNAUTHORIZED. */
export function bearerAuth(options: BearerAuthOptions): RequestHandler {
  return (req, res, next) => {
    const name = ownerOfToken(bearerTokenOf(req.get('authorization')), options.owners);
    if (name !== null) {
      res.locals[options.local] = { name };
      next();
      return;
    }
    res.set('WWW-Authenticate', `Bearer realm="${options.realm}"`);
    next(new IntakeError('UNAUTHORIZED', options.unauthorized));
  };
}
