import { describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors.js';
import { formatSettingsError } from '../../src/settings-loader.js';
import { explainStartFailure, type FailureContext } from '../../src/redis/redis-failures.js';

const sources: Record<string, string> = { 'redis.url': 'environment REDIS_URL', 'redis.password': 'environment REDIS_PASSWORD_FILE (/run/secrets/redis)' };
const one: FailureContext = {
  display: 'redis://10.0.0.1:6379',
  sentinel: false,
  sourceOf: (path) => sources[path],
  credentials: { username: false, password: true, inUrl: false, sentinelPassword: false },
};
const group: FailureContext = { ...one, display: 'Sentinel "hezo" via 10.0.0.5:26379', sentinel: true, sourceOf: () => 'config/local.json' };
const failure = (message: string, code?: string): Error => Object.assign(new Error(message), code ? { code } : {});

function refusal(error: Error, context: FailureContext): string {
  try {
    explainStartFailure(error, context);
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(IntakeError);
    expect((thrown as IntakeError).code).toBe('SETTINGS_INVALID');
    return formatSettingsError(thrown as IntakeError);
  }
  throw new Error('expected a refusal');
}

describe('what a failure to reach Redis at start means', () => {
  it('is one line, not a refusal, when nothing listens: which Redis, what failed, what to check', () => {
    const line = explainStartFailure(failure('connect ECONNREFUSED 10.0.0.1:6379', 'ECONNREFUSED'), one);
    expect(line).toBe(
      'Redis at redis://10.0.0.1:6379 is not reachable (connect ECONNREFUSED 10.0.0.1:6379): nothing listens there: start Redis, or fix redis.url (set in environment REDIS_URL). ' +
        'Until it answers, /healthz is 200, /readyz and requests are 503; the gateway connects by itself when Redis comes.',
    );
    expect(explainStartFailure(failure('getaddrinfo ENOTFOUND redis.internal', 'ENOTFOUND'), one)).toMatch(/the host name does not resolve: check redis\.url/);
    expect(explainStartFailure(failure('no answer within 2500 ms', 'ETIMEDOUT'), one)).toMatch(/no answer: check that Redis runs there and that no firewall is in the way/);
    expect(explainStartFailure(failure('All sentinels are unreachable. Retrying from scratch after 10ms. Last error: connect ECONNREFUSED 10.0.0.5:26379'), group)).toMatch(/check that the Sentinels run and answer there, and redis\.sentinels \(set in config\/local\.json\)/);
  });

  it('refuses a wrong password, naming the setting and where it was set', () => {
    expect(refusal(failure('WRONGPASS invalid username-password pair or user is disabled.'), one)).toContain(
      'environment REDIS_PASSWORD_FILE (/run/secrets/redis): redis.password: Redis refused it (WRONGPASS invalid username-password pair or user is disabled.)',
    );
    const withUser = refusal(failure('WRONGPASS invalid username-password pair or user is disabled.'), { ...one, credentials: { ...one.credentials, username: true } });
    expect(withUser).toMatch(/redis\.username: the ACL user the password was sent for/);
  });

  it('says which setting to fill when Redis asks for a password and none is set, or when the URL carries it', () => {
    const none = { ...one, sourceOf: (path: string) => (path === 'redis.url' ? 'environment REDIS_URL' : undefined), credentials: { username: false, password: false, inUrl: false, sentinelPassword: false } };
    expect(refusal(failure('NOAUTH Authentication required.'), none)).toMatch(/not set: redis\.password: Redis asks for a password and none is set/);
    expect(refusal(failure('WRONGPASS invalid username-password pair'), { ...none, credentials: { ...none.credentials, inUrl: true } })).toMatch(/environment REDIS_URL: redis\.url: Redis refused the credentials in the URL/);
  });

  it('tells the Sentinels’ password and a wrong primary name apart from the data nodes’', () => {
    const sentinelRefused = failure('All sentinels are unreachable. Retrying from scratch after 10ms. Last error: WRONGPASS invalid username-password pair or user is disabled.');
    expect(refusal(sentinelRefused, group)).toMatch(/redis\.sentinelPassword: the Sentinels ask for a password and none is set \(WRONGPASS/);
    expect(refusal(sentinelRefused, { ...group, credentials: { ...group.credentials, sentinelPassword: true } })).toMatch(/redis\.sentinelPassword: the Sentinels refused the password/);
    expect(refusal(failure('All sentinels are unreachable. Retrying from scratch after 10ms. Last error: ERR No such master with that name'), group)).toMatch(/redis\.sentinelName: the Sentinels monitor no primary by this name/);
    expect(refusal(failure('WRONGPASS invalid username-password pair'), group)).toMatch(/redis\.password: Redis refused it/);
  });

  it('refuses an ACL user without the rights, a read-only replica and TLS that cannot work', () => {
    expect(refusal(failure("NOPERM this user has no permissions to run the 'eval' command"), { ...one, credentials: { ...one.credentials, username: true } })).toMatch(/redis\.username: this ACL user may not run what the gateway needs/);
    expect(refusal(failure("READONLY You can't write against a read only replica."), one)).toMatch(/redis\.url: this Redis is a read-only replica/);
    expect(refusal(failure('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), one)).toMatch(/redis\.tls\.caFile: the server's certificate is not accepted \(SELF_SIGNED_CERT_IN_CHAIN/);
    expect(refusal(failure("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), one)).toMatch(/redis\.tls\.servername: the server's certificate is for another name/);
    expect(refusal(failure('write EPROTO 0C0F:error:0A00010B:SSL routines::wrong version number', 'EPROTO'), one)).toMatch(/redis\.url: the TLS handshake failed/);
  });
});
