/**
 * API keys of the portal's back ends. Settings keep only each key's sha256 (a leaked config
 * file leaks no key); a presented key is matched as every bearer token is (util/bearer-token.ts:
 * hashed, compared in constant time against every configured digest).
 */
import { hash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { bearerAuth, type TokenOwner } from '../../util/bearer-token.js';

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

/** The keys in force (whose each is, and its digest): the configured ones, or the demo key alone. */
export function effectiveKeys(apiKeys: Readonly<Record<string, string>>): TokenOwner[] {
  const entries = Object.keys(apiKeys).length > 0 ? Object.entries(apiKeys) : [[DEMO_CLIENT, hashApiKey(DEMO_PORTAL_KEY)] as const];
  return entries.map(([name, hex]) => ({ name, digest: Buffer.from(hex, 'hex') }));
}

/** Middleware: sets the PortalClient on `res.locals.portalClient`; 401 without a valid `Authorization: Bearer <key>`. */
export function portalAuth(apiKeys: Readonly<Record<string, string>>): RequestHandler {
  return bearerAuth({
    owners: effectiveKeys(apiKeys),
    realm: 'myHEZO portal API',
    unauthorized: 'Send "Authorization: Bearer <API key>" with the key issued to your portal back end.',
    local: 'portalClient',
  });
}

/** The client name set by `portalAuth`. */
export function portalClientOf(locals: Record<string, unknown>): string {
  return (locals.portalClient as PortalClient).name;
}
