/**
 * Access tokens for hosted mailboxes, from the real SDKs (msal-node, google-auth-library,
 * openid-client) against the local token stand-in, signed in with at a real Dovecot: fetched,
 * shared, cached, refreshed before expiry, forgotten when refused, and every failure told in the
 * provider's own words.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MailAuth } from '../../src/mail-auth/auth-settings.js';
import { CredentialsFailure } from '../../src/mail-auth/credentials-failure.js';
import { MailTokens, type MailCredentials } from '../../src/mail-auth/mail-credentials.js';
import { loadSettings } from '../../src/settings-loader.js';
import { startPrivateDovecot, type PrivateDovecot } from '../support/dovecot.js';
import { startTokenEndpoints, type TokenEndpoints } from '../support/token-endpoints.js';

let endpoints: TokenEndpoints;
let dovecot: PrivateDovecot;
const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-mail-auth-'));

beforeAll(async () => {
  [endpoints, dovecot] = await Promise.all([startTokenEndpoints(), startPrivateDovecot()]);
  await endpoints.onKeysChanged((keys) => dovecot.trustKeys(keys));
});

afterAll(async () => {
  await Promise.all([endpoints?.cleanup(), dovecot?.cleanup()]);
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  endpoints.mode = 'ok';
  endpoints.lifetimeSeconds = 3600;
});

const user = (name: string): string => `${name}@${endpoints.domain}`;

function microsoft(extra: Partial<Extract<MailAuth, { type: 'microsoft365' }>> = {}): MailAuth {
  const { tenantId, clientId, clientSecret } = endpoints.microsoft;
  return { type: 'microsoft365', tenantId, clientId, clientSecret, tokenUrl: endpoints.microsoftTokenUrl, ...extra };
}

function tokenCredentials(auth: MailAuth, address: string, tokens = new MailTokens()): Extract<MailCredentials, { kind: 'token' }> {
  const credentials = tokens.credentials({ user: '', password: '', auth }, address);
  if (credentials.kind !== 'token') throw new Error(`expected token credentials, got ${credentials.kind}`);
  return credentials;
}

async function failureOf(promise: Promise<unknown>): Promise<CredentialsFailure> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CredentialsFailure);
  return error as CredentialsFailure;
}

const countOf = (endpoint: string): number => endpoints.requests.filter((request) => request.endpoint === endpoint).length;

describe('Microsoft 365 (msal-node, client credentials)', () => {
  it('gets a token with the client secret that Dovecot takes for the mailbox, as XOAUTH2 user the mailbox address', async () => {
    const credentials = tokenCredentials(microsoft(), user('pomoc-ms'));
    expect(credentials.user).toBe(user('pomoc-ms'));
    const token = await credentials.token.get();
    expect(token.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
    expect(await dovecot.acceptsToken(credentials.user, token.accessToken)).toBe(true);
    expect(endpoints.requests.at(-1)).toMatchObject({ endpoint: 'microsoft', grant: 'client_credentials', authenticated: true });
  });

  it('signs in with XOAUTH2 where the server offers only it, as Exchange Online does (imapflow prefers OAUTHBEARER)', async () => {
    const exchangeLike = await startPrivateDovecot({ tokenMechanisms: ['xoauth2'] });
    try {
      await exchangeLike.trustKeys(endpoints.trustedKeys());
      const credentials = tokenCredentials(microsoft(), user('pomoc-xo'));
      const { accessToken } = await credentials.token.get();
      expect(await exchangeLike.acceptsToken(credentials.user, accessToken)).toBe(true);
      expect(await exchangeLike.acceptsToken(credentials.user, `${accessToken.slice(0, -4)}AAAA`)).toBe(false);
    } finally {
      await exchangeLike.cleanup();
    }
  });

  it('gets a token with a certificate instead of a secret (msal signs the assertion with the key, the stand-in checks it with the certificate)', async () => {
    const { certificateFile, privateKeyFile } = endpoints.microsoft;
    const credentials = tokenCredentials(microsoft({ clientSecret: undefined, certificateFile, privateKeyFile }), user('pomoc-ms'));
    const token = await credentials.token.get();
    expect(endpoints.requests.at(-1)).toMatchObject({ endpoint: 'microsoft', authenticated: true });
    expect(await dovecot.acceptsToken(credentials.user, token.accessToken)).toBe(true);
  });

  it('asks once for the two mailboxes and the SMTP relay of one app, however many sign in at once', async () => {
    const tokens = new MailTokens();
    const before = countOf('microsoft');
    const accounts = [user('pomoc-a'), user('escalation-a'), user('pomoc-a')].map((address) => tokenCredentials(microsoft(), address, tokens));
    const got = await Promise.all(accounts.flatMap((credentials) => [credentials.token.get(), credentials.token.get()]));
    expect(new Set(got.map((token) => token.accessToken)).size).toBe(1);
    expect(countOf('microsoft') - before).toBe(1);
    // The same token signs in to both mailboxes (one app, FullAccess on each).
    expect(await dovecot.acceptsToken(user('pomoc-a'), got[0]!.accessToken)).toBe(true);
    expect(await dovecot.acceptsToken(user('escalation-a'), got[0]!.accessToken)).toBe(true);
  });

  it('reads clientSecretFile at every request, so a rotated secret needs no restart', async () => {
    const file = path.join(dir, 'client-secret');
    writeFileSync(file, 'an-old-secret\n');
    const credentials = tokenCredentials(microsoft({ clientSecret: undefined, clientSecretFile: file }), user('pomoc-ms'));
    const failure = await failureOf(credentials.token.get());
    expect(failure.reason).toBe('AADSTS7000215');
    writeFileSync(file, `${endpoints.microsoft.clientSecret}\n`);
    await expect(credentials.token.get()).resolves.toMatchObject({ accessToken: expect.any(String) });
  });

  it('says what Entra ID said: a wrong secret is AADSTS7000215 with its text, without the trace lines', async () => {
    const failure = await failureOf(tokenCredentials(microsoft({ clientSecret: 'wrong' }), user('pomoc-ms')).token.get());
    expect(failure).toMatchObject({ kind: 'microsoft365', reason: 'AADSTS7000215', name: 'CredentialsFailure', retryable: true });
    expect(failure.message).toBe(
      `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${endpoints.microsoft.clientId}'.`,
    );
  });

  it('says AADSTS65001 when the app has no consent, and AADSTS90002 for a tenant that does not exist', async () => {
    endpoints.mode = 'no-consent';
    const consent = await failureOf(tokenCredentials(microsoft(), user('pomoc-ms')).token.get());
    expect(consent.reason).toBe('AADSTS65001');
    expect(consent.message).toMatch(/^AADSTS65001: The user or administrator has not consented to use the application/);
    endpoints.mode = 'ok';
    const tenant = await failureOf(tokenCredentials(microsoft({ tenantId: 'no-such-tenant', tokenUrl: `${endpoints.url}/no-such-tenant/oauth2/v2.0/token` }), user('pomoc-ms')).token.get());
    expect(tenant.message).toMatch(/^AADSTS90002: Tenant 'no-such-tenant' not found/);
  });

  it('asks for the scope the settings name (another cloud\'s Exchange), which this tenant does not know', async () => {
    const failure = await failureOf(tokenCredentials(microsoft({ scope: 'https://outlook.office365.us/.default' }), user('pomoc-ms')).token.get());
    expect(failure.reason).toBe('AADSTS70011');
  });

  it('says the endpoint cannot be reached when it is down, or answers something that is not JSON', async () => {
    await endpoints.stop();
    try {
      const down = await failureOf(tokenCredentials(microsoft(), user('pomoc-ms')).token.get());
      expect(down).toMatchObject({ reason: 'unreachable' });
      expect(down.message).toContain(`the token endpoint ${endpoints.microsoftTokenUrl} cannot be reached`);
    } finally {
      await endpoints.start();
    }
    endpoints.mode = 'html-error';
    const html = await failureOf(tokenCredentials(microsoft(), user('pomoc-ms')).token.get());
    expect(html.reason).toBe('unreachable');
    expect(html.message).toContain('did not answer with JSON');
  });
});

describe('Google Workspace (google-auth-library, domain-wide delegation)', () => {
  const google = (): MailAuth => ({ type: 'google', serviceAccountFile: endpoints.google.serviceAccountFile });

  it('asks at the key file\'s token_uri for a token acting as the mailbox\'s user, which Dovecot takes', async () => {
    const credentials = tokenCredentials(google(), user('pomoc-g'));
    const token = await credentials.token.get();
    expect(endpoints.requests.at(-1)).toMatchObject({ endpoint: 'google', grant: 'urn:ietf:params:oauth:grant-type:jwt-bearer', authenticated: true });
    const claims = JSON.parse(Buffer.from(token.accessToken.split('.')[1]!, 'base64url').toString()) as { email: string };
    expect(claims.email).toBe(user('pomoc-g'));
    expect(await dovecot.acceptsToken(credentials.user, token.accessToken)).toBe(true);
  });

  it('keeps one token per delegated user (each is the user\'s own)', async () => {
    const tokens = new MailTokens();
    const before = countOf('google');
    const [pomoc, escalation] = [user('pomoc-g2'), user('escalation-g2')].map((address) => tokenCredentials(google(), address, tokens));
    expect((await pomoc!.token.get()).accessToken).not.toBe((await escalation!.token.get()).accessToken);
    await pomoc!.token.get();
    expect(countOf('google') - before).toBe(2);
  });

  it('says Google\'s words: unauthorized_client without delegation, invalid_grant for a user outside the domain', async () => {
    endpoints.mode = 'unauthorized-client';
    const delegation = await failureOf(tokenCredentials(google(), user('pomoc-g')).token.get());
    expect(delegation).toMatchObject({ kind: 'google', reason: 'unauthorized_client' });
    expect(delegation.message).toBe('unauthorized_client: Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.');
    endpoints.mode = 'ok';
    const outsider = await failureOf(tokenCredentials(google(), 'someone@elsewhere.example').token.get());
    expect(outsider.message).toBe('invalid_grant: Invalid email or User ID');
  });

  it('says a key file that is not a service account key is one, without asking the endpoint', async () => {
    const file = path.join(dir, 'not-a-key.json');
    writeFileSync(file, JSON.stringify({ installed: { client_id: 'x' } }));
    const before = endpoints.requests.length;
    const failure = await failureOf(tokenCredentials({ type: 'google', serviceAccountFile: file }, user('pomoc-g')).token.get());
    expect(failure).toMatchObject({ reason: 'secret-file' });
    expect(failure.message).toContain('has no client_email or private_key');
    expect(endpoints.requests.length).toBe(before);
  });
});

describe('any OAuth2 provider (openid-client)', () => {
  const oauth2 = (extra: Partial<Extract<MailAuth, { type: 'oauth2' }>> = {}): MailAuth => {
    const { tokenUrl, clientId, clientSecret } = endpoints.oauth2;
    return { type: 'oauth2', tokenUrl, clientId, clientSecret, scope: 'imap smtp', ...extra };
  };

  it('uses client credentials (HTTP Basic by default, the body when told)', async () => {
    const basic = await tokenCredentials(oauth2(), user('pomoc-o')).token.get();
    expect(await dovecot.acceptsToken(user('pomoc-o'), basic.accessToken)).toBe(true);
    expect(endpoints.requests.at(-1)).toMatchObject({ endpoint: 'oauth2', grant: 'client_credentials', authenticated: true });
    await tokenCredentials(oauth2({ clientAuthentication: 'client_secret_post' }), user('pomoc-o')).token.get();
    expect(endpoints.requests.at(-1)).toMatchObject({ grant: 'client_credentials', authenticated: true });
  });

  it('uses the refresh token, and the one a rotating provider hands back for the next request', async () => {
    endpoints.lifetimeSeconds = 1;
    const credentials = tokenCredentials(oauth2({ refreshToken: endpoints.oauth2.refreshToken }), user('pomoc-o'));
    const first = await credentials.token.get();
    // Past 80 % of one second: the next get() asks again, presenting the rotated refresh token.
    await new Promise((resolve) => setTimeout(resolve, 900));
    const second = await credentials.token.get();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(endpoints.requests.slice(-2)).toEqual([
      expect.objectContaining({ grant: 'refresh_token', answer: endpoints.currentKid }),
      expect.objectContaining({ grant: 'refresh_token', answer: endpoints.currentKid }),
    ]);
  });

  it('says the provider\'s error: invalid_client for a wrong secret, invalid_grant for a spent refresh token', async () => {
    const secret = await failureOf(tokenCredentials(oauth2({ clientSecret: 'wrong' }), user('pomoc-o')).token.get());
    expect(secret.message).toBe('invalid_client: Client authentication failed.');
    const spent = await failureOf(tokenCredentials(oauth2({ refreshToken: 'refresh-spent' }), user('pomoc-o')).token.get());
    expect(spent).toMatchObject({ reason: 'invalid_grant', message: 'invalid_grant: The refresh token is invalid or expired.' });
  });
});

describe('the token cache', () => {
  it('hands out the cached token until 80 % of its lifetime, then asks for a new one while the old is still valid', async () => {
    endpoints.lifetimeSeconds = 3;
    const credentials = tokenCredentials(microsoft(), user('pomoc-c'));
    const before = countOf('microsoft');
    const first = await credentials.token.get();
    // 80 % of 3 s; msal rounds the request time to the second, so up to 0.5 s more.
    expect(first.refreshAt - Date.now()).toBeGreaterThan(2_000);
    expect(first.refreshAt - Date.now()).toBeLessThanOrEqual(2_800);
    expect((await credentials.token.get()).accessToken).toBe(first.accessToken);
    expect(countOf('microsoft') - before).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, first.refreshAt - Date.now() + 20));
    const second = await credentials.token.get();
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(countOf('microsoft') - before).toBe(2);
    // Refreshed before expiry: the old token was still good when it was replaced.
    expect(first.expiresAt).toBeGreaterThan(Date.now());
    expect(await dovecot.acceptsToken(credentials.user, second.accessToken)).toBe(true);
  });

  it('keeps signing in with a still-valid token when its refresh finds the endpoint down', async () => {
    endpoints.lifetimeSeconds = 4;
    const credentials = tokenCredentials(microsoft(), user('pomoc-c'));
    const first = await credentials.token.get();
    await new Promise((resolve) => setTimeout(resolve, first.refreshAt - Date.now() + 20));
    await endpoints.stop();
    try {
      expect((await credentials.token.get()).accessToken).toBe(first.accessToken);
    } finally {
      await endpoints.start();
    }
  });

  it('forgets a token a server refused, so the next sign-in asks for a new one; a late refusal of an old token keeps the new', async () => {
    const credentials = tokenCredentials(microsoft(), user('pomoc-c'));
    const first = await credentials.token.get();
    credentials.token.invalidate(first.accessToken);
    const second = await credentials.token.get();
    expect(second.accessToken).not.toBe(first.accessToken);
    credentials.token.invalidate(first.accessToken);
    expect((await credentials.token.get()).accessToken).toBe(second.accessToken);
  });

  it('does not hand out a refused token when the endpoint is down: the failure is the endpoint\'s', async () => {
    const credentials = tokenCredentials(microsoft(), user('pomoc-c'));
    const first = await credentials.token.get();
    credentials.token.invalidate(first.accessToken);
    await endpoints.stop();
    try {
      expect((await failureOf(credentials.token.get())).reason).toBe('unreachable');
    } finally {
      await endpoints.start();
    }
  });
});

describe('settings', () => {
  function settingsWith(local: Record<string, unknown>): ReturnType<typeof loadSettings> {
    const configDir = mkdtempSync(path.join(dir, 'config-'));
    writeFileSync(path.join(configDir, 'default.json'), JSON.stringify(JSON.parse(JSON.stringify(loadSettings().settings))));
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify(local));
    return loadSettings({ configDir, env: {} });
  }
  const mailbox = (imap: Record<string, unknown>): Record<string, unknown> => ({
    mailboxes: { list: [{ name: 'pomoc', address: 'pomoc@myhezo.pl', kind: 'service', processedFolder: 'Processed', quarantineFolder: 'Quarantine', imap: { host: 'outlook.office365.com', port: 993, secure: true, rejectUnauthorized: true, ...imap } }] },
  });

  it('keeps the flat user and password of the first release, and takes auth instead of them, with relative files made absolute', () => {
    expect(settingsWith(mailbox({ user: 'pomoc@myhezo.pl', password: 'p' })).settings.mailboxes.list[0]?.imap).toMatchObject({ user: 'pomoc@myhezo.pl', password: 'p' });
    const { settings, configDir } = settingsWith(mailbox({ auth: { type: 'microsoft365', tenantId: 't', clientId: 'c', clientSecretFile: 'secrets/ms' } }));
    expect(settings.mailboxes.list[0]?.imap.auth).toMatchObject({ type: 'microsoft365', clientSecretFile: path.join(path.dirname(configDir), 'secrets/ms') });
  });

  it.each([
    [{ user: 'pomoc@myhezo.pl', password: 'p', auth: { type: 'google', serviceAccountFile: 'sa.json' } }, /give either "auth" or "user" and "password", not both/],
    [{ auth: { type: 'microsoft365', tenantId: 't', clientId: 'c' } }, /missing: give the client secret \(or certificateFile and privateKeyFile\)/],
    [{ auth: { type: 'microsoft365', tenantId: 't', clientId: 'c', clientSecret: 's', certificateFile: 'c.pem', privateKeyFile: 'k.pem' } }, /a client secret or a certificate, not both/],
    [{ auth: { type: 'oauth2', tokenUrl: 'http://idp.example.com/token', clientId: 'c', clientSecret: 's', scope: 'x' } }, /expected an https:\/\/ URL \(plain http:\/\/ only on this machine/],
    [{ auth: { type: 'kerberos' } }, /expected "type": "password", "microsoft365", "google" or "oauth2"/],
    [{}, /missing: give "user" and "password", or "auth"/],
  ])('refuses %j, saying what is wrong', (imap, message) => {
    expect(() => settingsWith(mailbox(imap))).toThrow(expect.objectContaining({ code: 'SETTINGS_INVALID', details: expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(message) })]) }));
  });
});
