/**
 * API keys of the portal's back ends. Settings keep only each key's sha256 (a leaked config
 * file leaks no key); a presented key is hashed and compared with timingSafeEqual against
 * every configured digest, so an unknown key and a wrong one take the same time and the
 * position of a key in the list does not show either.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { IntakeError } from '../../errors.js';

/**
 * The demo key of the embedded default: it exists only while `settings.portal.apiKeys` is
 * empty, so that the /portal form page can be tried without editing config. A configured
 * deployment never accepts it.
 */
export const DEMO_PORTAL_KEY = 'hezo-portal-demo-key';
/** The client name requests filed with the demo key carry. */
export const DEMO_CLIENT = 'demo';

/** The key the /portal form page uses, or null when keys are configured (no demo key then). */
export function demoPortalKey(apiKeys: Readonly<Record<string, string>>): string | null {
  return Object.keys(apiKeys).length === 0 ? DEMO_PORTAL_KEY : null;
}

/** The sha256 (hex) of a key: what goes into `settings.portal.apiKeys`. */
export function hashApiKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The portal client a request came from, set on `res.locals.portalClient`. */
export interface PortalClient {
  name: string;
}

/** The keys in force: the configured ones, or the demo key alone. */
export function effectiveKeys(apiKeys: Readonly<Record<string, string>>): Array<{ name: string; digest: Buffer }> {
  const entries = Object.keys(apiKeys).length > 0 ? Object.entries(apiKeys) : [[DEMO_CLIENT, hashApiKey(DEMO_PORTAL_KEY)] as const];
  return entries.map(([name, hex]) => ({ name, digest: Buffer.from(hex, 'hex') }));
}

/** Finds the client of a presented key; null for none. Constant work whatever the key. */
export function clientOfKey(presented: string, keys: ReadonlyArray<{ name: string; digest: Buffer }>): string | null {
  const digest = hash('sha256', presented, 'buffer');
  let found: string | null = null;
  for (const key of keys) {
    // No early exit: every digest is compared, matched or not.
    if (timingSafeEqual(digest, key.digest) && found === null) found = key.name;
  }
  return found;
}

/** Middleware: 401 without a valid `Authorization: Bearer <key>`. */
export function portalAuth(apiKeys: Readonly<Record<string, string>>): RequestHandler {
  const keys = effectiveKeys(apiKeys);
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    const client = clientOfKey(match?.[1] ?? '', keys);
    if (client !== null) {
      res.locals.portalClient = { name: client } satisfies PortalClient;
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer realm="myHEZO portal API"');
    next(new IntakeError('UNAUTHORIZED', 'Send "Authorization: Bearer <API key>" with the key issued to your portal back end.'));
  };
}

/** The client name set by `portalAuth`. */
export function portalClientOf(locals: Record<string, unknown>): string {
  return (locals.portalClient as PortalClient).name;
}
