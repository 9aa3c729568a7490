/**
 * The steps `hezo-intake mailboxes check` reports, and the first of them for a token account:
 * get a token, and for Microsoft 365 see that it carries the role the protocol needs (an app
 * whose permission was never consented gets a token all the same, without the role, and
 * Exchange then only says "AUTHENTICATE failed").
 */
import { credentialsAdvice, missingRoleAdvice } from './advice.js';
import { CredentialsFailure } from './credentials-failure.js';
import type { MailCredentials } from './mail-credentials.js';

/** One line of the check: what was tried, OK or not, the detail (or the exact reason) and what to do. */
export interface CheckStep {
  step: string;
  ok: boolean;
  detail: string;
  advice?: string;
}

/** The token step, for credentials that sign in with a token; `role` is what Exchange wants for the protocol. */
export async function tokenCheck(credentials: Extract<MailCredentials, { kind: 'token' }>, role: 'IMAP.AccessAsApp' | 'SMTP.SendAsApp'): Promise<CheckStep> {
  try {
    const token = await credentials.token.get();
    const minutes = Math.max(0, Math.round((token.expiresAt - Date.now()) / 60_000));
    if (credentials.token.provider.kind === 'microsoft365') {
      const roles = tokenRoles(token.accessToken);
      if (roles && !roles.includes(role)) return { step: 'token', ok: false, detail: `the token has the roles [${roles.join(', ')}], not ${role}`, advice: missingRoleAdvice(role) };
    }
    return { step: 'token', ok: true, detail: `valid for ${minutes} min` };
  } catch (error) {
    if (error instanceof CredentialsFailure) return { step: 'token', ok: false, detail: error.message, advice: credentialsAdvice(error) };
    throw error;
  }
}

/**
 * The `roles` claim of an Entra ID access token, read without verifying it (it is only a
 * diagnosis; Exchange verifies). Undefined when the token is not a JWT one can read.
 */
function tokenRoles(accessToken: string): string[] | undefined {
  const payload = accessToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [];
  } catch {
    return undefined;
  }
}
