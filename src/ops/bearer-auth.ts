/**
 * Bearer-token authentication for the engineer API. Tokens are compared as SHA-256 digests
 * with timingSafeEqual against every configured token, so neither a wrong token's length nor
 * its position in the list shows in the answer time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { IntakeError } from '../errors.js';

/** The authenticated caller, set on `res.locals.principal`. */
export interface Principal {
  name: string;
}

export function bearerAuth(tokens: Readonly<Record<string, string>>): RequestHandler {
  const digests = Object.entries(tokens).map(([name, token]) => ({ name, digest: sha256(token) }));
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match?.[1]) {
      const presented = sha256(match[1]);
      let found: string | undefined;
      for (const { name, digest } of digests) {
        if (timingSafeEqual(presented, digest) && found === undefined) found = name;
      }
      if (found !== undefined) {
        res.locals.principal = { name: found } satisfies Principal;
        next();
        return;
      }
    }
    res.set('WWW-Authenticate', 'Bearer realm="hezo-intake"');
    next(new IntakeError('UNAUTHORIZED', 'Send "Authorization: Bearer <token>" with an engineer API token.'));
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
