/**
 * What a failure to reach Redis at start means for the person starting the gateway. Two kinds,
 * handled differently (issue 16):
 * - Redis is not there yet (refused, no answer, no such host): the gateway starts anyway,
 *   serves /healthz, answers 503, and takes requests by itself once Redis answers. The person
 *   gets one plain line: which Redis, what failed, what to check.
 * - Redis is there but refuses us (a wrong password or ACL user, a certificate our CA does not
 *   accept, a replica where a primary was meant): waiting cannot help, so the start fails with
 *   a settings error (exit 78) naming the setting at fault and where it was set.
 */
import { IntakeError, type IntakeErrorDetail } from '../errors.js';

export interface FailureContext {
  /** Where Redis is, without credentials (RedisConnections.display). */
  display: string;
  /** A Sentinel group is configured (the failure may be the Sentinels'). */
  sentinel: boolean;
  /** Where a setting was set (LoadedSettings.sourceOf); undefined when nobody set it. */
  sourceOf: (fieldPath: string) => string | undefined;
  /** Which settings hold the credentials that were sent. */
  credentials: { username: boolean; password: boolean; inUrl: boolean; sentinelPassword: boolean };
}

/** Certificate checks that fail because our CA (redis.tls.caFile) does not vouch for the server. */
const CA_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

/**
 * Throws the settings error when `error` is a refusal that waiting cannot mend; returns the one
 * plain line to print when Redis is merely not there (yet).
 */
export function explainStartFailure(error: Error, context: FailureContext): string {
  const refusal = refusalOf(error, context);
  if (refusal) {
    throw new IntakeError('SETTINGS_INVALID', `Redis at ${context.display} refused the gateway; it did not start. Fix:`, { details: refusal });
  }
  return unreachableLine(error, context);
}

function refusalOf(error: Error, context: FailureContext): IntakeErrorDetail[] | undefined {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const message = error.message;
  const detail = (path: string, text: string, alternatives = ''): IntakeErrorDetail => ({
    path,
    file: context.sourceOf(path) ?? 'not set',
    message: `${text}${alternatives ? `; ${alternatives}` : ''}`,
  });

  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
    const reason = firstLine(lastErrorOf(message));
    // ioredis words a Sentinel's refusal as "All sentinels are unreachable ... Last error: ...".
    if (context.sentinel && /sentinel/i.test(message)) {
      const what = context.credentials.sentinelPassword ? 'the Sentinels refused the password' : 'the Sentinels ask for a password and none is set';
      return [detail('redis.sentinelPassword', `${what} (${reason})`, 'it can also be set with REDIS_SENTINEL_PASSWORD or REDIS_SENTINEL_PASSWORD_FILE')];
    }
    if (!context.credentials.password && !context.credentials.inUrl) {
      return [detail('redis.password', `Redis asks for a password and none is set (${reason})`, 'set it in config/local.json, or with REDIS_PASSWORD or REDIS_PASSWORD_FILE')];
    }
    if (context.credentials.inUrl && !context.credentials.password) {
      return [detail('redis.url', `Redis refused the credentials in the URL (${reason})`)];
    }
    const details = [detail('redis.password', `Redis refused it (${reason})`, 'it can also be set with REDIS_PASSWORD or REDIS_PASSWORD_FILE')];
    if (context.credentials.username) details.push(detail('redis.username', 'the ACL user the password was sent for', 'or REDIS_USERNAME'));
    return details;
  }
  if (context.sentinel && /No such master/i.test(message)) {
    return [detail('redis.sentinelName', `the Sentinels monitor no primary by this name (${firstLine(lastErrorOf(message))})`, 'or REDIS_SENTINEL_NAME')];
  }
  if (/NOPERM/.test(message)) {
    return [detail(context.credentials.username ? 'redis.username' : 'redis.password', `this ACL user may not run what the gateway needs (${firstLine(message)}): it needs its key prefix and the commands of BullMQ's scripts`)];
  }
  if (/^READONLY/.test(message)) {
    return [detail('redis.url', `this Redis is a read-only replica (${firstLine(message)}): point the gateway at the primary, or use redis.sentinels`)];
  }
  if (CA_CODES.has(code)) {
    return [detail('redis.tls.caFile', `the server's certificate is not accepted (${code}: ${firstLine(message)})`, 'name the PEM file of the CA that signed it (or REDIS_TLS_CA_FILE)')];
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return [detail('redis.tls.servername', `the server's certificate is for another name (${firstLine(message)})`, 'set the name it carries, or connect by that name')];
  }
  if (code === 'EPROTO' || /wrong version number|SSL routines/i.test(message)) {
    return [detail('redis.url', `the TLS handshake failed (${firstLine(message)}): rediss:// needs a port where Redis speaks TLS (tls-port)`)];
  }
  return undefined;
}

function unreachableLine(error: Error, context: FailureContext): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const reason = firstLine(error.message);
  const where = context.sentinel ? 'redis.sentinels' : 'redis.url';
  const setIn = context.sourceOf(where);
  const setting = `${where}${setIn ? ` (set in ${setIn})` : ''}`;
  let check: string;
  if (context.sentinel) {
    check = `check that the Sentinels run and answer there, and ${setting}`;
  } else if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(reason)) {
    check = `nothing listens there: start Redis, or fix ${setting}`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(reason)) {
    check = `the host name does not resolve: check ${setting}`;
  } else {
    check = `no answer: check that Redis runs there and that no firewall is in the way, and ${setting}`;
  }
  return `Redis at ${context.display} is not reachable (${reason}): ${check}. Until it answers, /healthz is 200, /readyz and requests are 503; the gateway connects by itself when Redis comes.`;
}

function lastErrorOf(message: string): string {
  const at = message.lastIndexOf('Last error: ');
  return at === -1 ? message : message.slice(at + 'Last error: '.length);
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}
