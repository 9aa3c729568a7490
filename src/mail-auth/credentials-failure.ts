/**
 * Credentials that could not be had: a token endpoint unreachable or refusing with its own
 * reason (`AADSTS7000215: Invalid client secret provided...`, `unauthorized_client: ...`), or a
 * secret file that cannot be read. The message is the provider's own text (or the file's
 * problem), for /readyz, the engineer alert and `mailboxes check`; nothing of the request is kept
 * (no secret, no signed assertion), so the failure can be logged whole.
 */
import { InternalFailure } from '../errors.js';
import type { MailAuth } from './auth-settings.js';

export class CredentialsFailure extends InternalFailure {
  /**
   * @param kind the auth form whose credentials failed.
   * @param reason the provider's code when it gave one (`AADSTS7000215`, `invalid_grant`,
   *   `unauthorized_client`); `unreachable` when no answer came; `secret-file` when a file named
   *   in the settings cannot be read.
   */
  constructor(
    readonly kind: MailAuth['type'],
    readonly reason: string,
    message: string,
  ) {
    super('CredentialsFailure', message);
  }
}
