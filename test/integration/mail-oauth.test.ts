/**
 * Hosted mailboxes end to end: a mailbox and an SMTP relay that take only OAuth2 tokens (the
 * private Dovecot validates JWTs locally, the SMTP capture checks XOAUTH2 tokens), a Microsoft
 * 365 app at the token stand-in, and the whole mail channel — filing, acknowledging, and what
 * happens when a token is revoked, expires during IDLE, or cannot be had at all.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { Microsoft365Auth } from '../../src/mail-auth/auth-settings.js';
import type { CachedAccessToken } from '../../src/mail-auth/cached-access-token.js';
import { MailTokens } from '../../src/mail-auth/mail-credentials.js';
import type { Settings } from '../../src/settings.js';
import { buildMail, startMailBench, type MailBench } from '../support/mail-gateway.js';
import { startTokenEndpoints, type TokenEndpoints } from '../support/token-endpoints.js';

let endpoints: TokenEndpoints;
let bench: MailBench;
/** Every log line of the gateway and the watchers, at debug level: no token or secret may be in one. */
const logLines: string[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-mail-oauth-'));

beforeAll(async () => {
  endpoints = await startTokenEndpoints();
  const sender = `pomoc@${endpoints.domain}`;
  bench = await startMailBench(
    {},
    {
      smtp: { acceptsToken: (token, user) => endpoints.accepts(token, user) },
      smtpAuth: { ...microsoftApp(), user: sender },
      logger: createLogger('debug', { write: (line: string) => void logLines.push(line) }),
    },
  );
  await endpoints.onKeysChanged((keys) => bench.dovecot.trustKeys(keys));
});

afterAll(async () => {
  await bench?.stop();
  await endpoints?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const eventually = <T>(check: () => T | Promise<T>, timeout = 15_000): Promise<T> => vi.waitFor(check, { timeout, interval: 50 });
const REPORT = 'Dzień dobry,\nrobot stoi.\nNumer umowy: HZ-2026-00123\nS/N: XLS812-240517\n\nPozdrawiam';
const microsoftRequests = (): number => endpoints.requests.filter((request) => request.endpoint === 'microsoft').length;

function microsoftApp(extra: Partial<Microsoft365Auth> = {}): Microsoft365Auth {
  const { tenantId, clientId, clientSecret } = endpoints.microsoft;
  return { type: 'microsoft365', tenantId, clientId, clientSecret, tokenUrl: endpoints.microsoftTokenUrl, ...extra };
}

/** pomoc@ of the tenant as a Microsoft 365 mailbox: the Dovecot user `pomoc-<tag>@<domain>` signs in with the app's token only. */
function hostedMailbox(tag: string, auth: Partial<Microsoft365Auth> = {}): { mailbox: Settings['mailboxes']['list'][number]; user: string } {
  const user = `pomoc-${tag}@${endpoints.domain}`;
  return {
    user,
    mailbox: {
      name: `pomoc-${tag}`,
      address: 'pomoc@myhezo.pl',
      kind: 'service',
      processedFolder: 'Processed',
      quarantineFolder: 'Quarantine',
      imap: { host: bench.dovecot.host, port: bench.dovecot.port, secure: false, rejectUnauthorized: false, user: '', password: '', auth: microsoftApp({ user, ...auth }) },
    },
  };
}

/**
 * A token cache of the mailbox's own, and its token: its request count is this watcher's alone
 * (the relay's renewals go to the same token endpoint).
 */
function ownTokens(mailbox: Settings['mailboxes']['list'][number]): { tokens: MailTokens; token: CachedAccessToken } {
  const tokens = new MailTokens();
  const credentials = tokens.credentials(mailbox.imap, mailbox.address);
  if (credentials.kind !== 'token') throw new Error('expected token credentials');
  return { tokens, token: credentials.token };
}

/** Withdraws the key that signs tokens now (a new one signs from now on), and waits until Dovecot refuses its tokens. */
async function revokeCurrentKey(user: string): Promise<void> {
  const revokedKid = endpoints.currentKid;
  const probe = endpoints.sign({ email: `probe@${endpoints.domain}`, sub: 'probe', exp: Math.floor(Date.now() / 1000) + 600 }, revokedKid);
  await endpoints.rotateKey();
  await endpoints.revoke(revokedKid);
  await bench.dovecot.trustKeys(endpoints.trustedKeys(), { user, token: probe });
}

function ackFor(messageId: string): NonNullable<ReturnType<MailBench['smtp']['messages']['find']>> {
  const ack = bench.smtp.messages.find((message) => message.header('in-reply-to') === messageId);
  if (!ack) throw new Error(`no acknowledgment of ${messageId} yet`);
  return ack;
}

describe('a Microsoft 365 mailbox and relay, signed in with the app\'s token', () => {
  it('files a mail and acknowledges it over XOAUTH2, with one token request for the mailbox and the relay', async () => {
    const before = microsoftRequests();
    const { mailbox, user } = hostedMailbox('xoauth');
    const supervisor = await bench.supervise([mailbox]);
    expect(supervisor.readinessChecks()[0]?.check()).toMatchObject({ ok: true });
    const mail = buildMail({ subject: 'Awaria robota', body: REPORT, from: 'Anna Nowak <anna.nowak@example.pl>' });
    await bench.dovecot.append(user, mail.raw);
    const request = await bench.requestFor(mail.messageId);
    const ack = await eventually(() => ackFor(mail.messageId));
    expect(ack.subject).toContain(request.number);
    expect(ack.auth).toEqual({ method: 'XOAUTH2', user: `pomoc@${endpoints.domain}` });
    await eventually(async () => expect(await bench.dovecot.uids(user, 'Processed')).toHaveLength(1));
    // The watcher's sign-in and the relay's share the app's token: asked for once.
    expect(microsoftRequests() - before).toBe(1);
    await supervisor.stop();
  });

  it('replaces a revoked token: Dovecot refuses it, a fresh one is asked for, the watcher signs in again and files what came meanwhile once', async () => {
    // Its own secret file: a token of its own, which only this watcher holds.
    const secretFile = path.join(dir, 'revoked-secret');
    writeFileSync(secretFile, endpoints.microsoft.clientSecret);
    const { mailbox, user } = hostedMailbox('revoked', { clientSecret: undefined, clientSecretFile: secretFile });
    const { tokens, token } = ownTokens(mailbox);
    const supervisor = await bench.supervise([mailbox], {}, { tokens });
    const first = buildMail({ subject: 'Przed odwołaniem', body: REPORT, from: 'Jan Kowal <jan.kowal@example.pl>' });
    await bench.dovecot.append(user, first.raw);
    await eventually(async () => expect(await bench.dovecot.uids(user, 'Processed')).toHaveLength(1));

    // The key the watcher's token was signed with is withdrawn (as a revoked grant), and the
    // session ends: the next sign-in offers the cached token, which Dovecot now refuses.
    await revokeCurrentKey(user);
    const before = token.requests;
    await bench.dovecot.kick(user);

    const second = buildMail({ subject: 'Po odwołaniu', body: REPORT, from: 'Ewa Lis <ewa.lis@example.pl>' });
    await bench.dovecot.append(user, second.raw);
    await eventually(async () => expect(await bench.dovecot.uids(user, 'Processed')).toHaveLength(2));
    await eventually(() => expect(supervisor.status()[0]).toMatchObject({ connected: true }));
    // One new token, signed with the new key; not one per attempt.
    expect(token.requests - before).toBe(1);
    const { accessToken } = await token.get();
    expect(JSON.parse(Buffer.from(accessToken.split('.')[0]!, 'base64url').toString())).toMatchObject({ kid: endpoints.currentKid });
    const numbers = await Promise.all([first, second].map((mail) => bench.numberFor(mail.messageId)));
    expect(new Set(numbers).size).toBe(2);
    expect(await bench.dovecot.uids(user, 'INBOX')).toEqual([]);
    await supervisor.stop();
  });

  it('retries an acknowledgment whose token the relay refuses with a fresh token', async () => {
    const { mailbox, user } = hostedMailbox('relay');
    const supervisor = await bench.supervise([mailbox]);
    const first = buildMail({ subject: 'Pierwsze', body: REPORT, from: 'Jan Wrona <jan.wrona@example.pl>' });
    await bench.dovecot.append(user, first.raw);
    await eventually(() => ackFor(first.messageId));
    // The relay's token is revoked; the watcher's session, signed in before, goes on. (Counted
    // from here: an engineers' alert about the first mail may meet the revocation first.)
    const signInsBefore = bench.smtp.signIns.length;
    await revokeCurrentKey(user);
    const second = buildMail({ subject: 'Drugie', body: REPORT, from: 'Ewa Sowa <ewa.sowa@example.pl>' });
    await bench.dovecot.append(user, second.raw);
    await eventually(() => ackFor(second.messageId));
    // nodemailer still held the old token: each connection's sign-in with it was refused, then
    // retried with the fresh one (two when the acknowledgment and an engineers' alert left at
    // once).
    const signIns = bench.smtp.signIns.slice(signInsBefore);
    const refused = signIns.filter((signIn) => !signIn.accepted).length;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(signIns.length - refused).toBeGreaterThanOrEqual(refused);
    expect(signIns.at(-1)?.accepted).toBe(true);
    await supervisor.stop();
  });

  it('signs in again with a fresh token when the token expires during IDLE and the server drops the session, losing and doubling nothing', async () => {
    endpoints.lifetimeSeconds = 3;
    try {
      // Its own secret file: a token of its own (3 s), not the hour-long one the others share.
      const secretFile = path.join(dir, 'expiry-secret');
      writeFileSync(secretFile, endpoints.microsoft.clientSecret);
      const { mailbox, user } = hostedMailbox('expiry', { clientSecret: undefined, clientSecretFile: secretFile });
      const { tokens, token } = ownTokens(mailbox);
      const supervisor = await bench.supervise([mailbox], {}, { tokens });
      const before = token.requests;
      const issuedBefore = endpoints.issued.length;
      const mails = [1, 2, 3].map((n) => buildMail({ subject: `Zgłoszenie ${n}`, body: REPORT, from: `Piotr ${n} <piotr${n}@example.pl>` }));
      await bench.dovecot.append(user, mails[0]!.raw);
      await eventually(async () => expect(await bench.dovecot.uids(user, 'Processed')).toHaveLength(1));
      // The session's token runs out while the watcher idles; Exchange then ends the session.
      await new Promise((resolve) => setTimeout(resolve, 3_200));
      await bench.dovecot.append(user, mails[1]!.raw);
      await bench.dovecot.kick(user);
      await bench.dovecot.append(user, mails[2]!.raw);
      await eventually(async () => expect(await bench.dovecot.uids(user, 'Processed')).toHaveLength(3));
      expect(await bench.dovecot.uids(user, 'INBOX')).toEqual([]);
      const numbers = await Promise.all(mails.map((mail) => bench.numberFor(mail.messageId)));
      expect(new Set(numbers).size).toBe(3);
      // The reconnect asked for a new token at once (the old one was past 80 % of its life), so
      // Dovecot never had to refuse an expired one.
      expect(token.requests - before).toBe(1);
      expect(supervisor.status()[0]?.error).toBeUndefined();
      const sessionToken = endpoints.issued[issuedBefore - 1]!;
      expect(await bench.dovecot.acceptsToken(user, sessionToken)).toBe(false);
      await supervisor.stop();
    } finally {
      endpoints.lifetimeSeconds = 3600;
    }
  });
});

describe('a token that cannot be had', () => {
  it('while the token endpoint is down: /readyz names it, engineers get one alert, the mail waits in INBOX and is filed once the endpoint is back', async () => {
    // Its own secret file: a token of its own, not the one the other mailboxes share.
    const secretFile = path.join(dir, 'down-secret');
    writeFileSync(secretFile, endpoints.microsoft.clientSecret);
    const { mailbox, user } = hostedMailbox('down', { clientSecret: undefined, clientSecretFile: secretFile });
    const mail = buildMail({ subject: 'W czasie awarii', body: REPORT, from: 'Olga Zaręba <olga.zareba@example.pl>' });
    await bench.dovecot.append(user, mail.raw);
    await endpoints.stop();
    const alerts: Array<{ mailbox: string; reason: string | undefined }> = [];
    try {
      const supervisor = await bench.supervise([mailbox], { unreachableAlertMs: 300 }, { onUnreachable: (name, _since, reason) => alerts.push({ mailbox: name, reason }) }, { waitConnected: false });
      const readiness = supervisor.readinessChecks()[0]!;
      await eventually(() => expect(readiness.check()).toMatchObject({ ok: false, detail: expect.stringContaining(`not connected: the token endpoint ${endpoints.microsoftTokenUrl} cannot be reached`) }));
      await eventually(() => expect(alerts).toHaveLength(1));
      // Retries go on with backoff (250 ms doubling); the alert is not repeated.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect(alerts).toEqual([{ mailbox: mailbox.name, reason: expect.stringContaining('cannot be reached') }]);
      expect(await bench.dovecot.uids(user, 'INBOX')).toHaveLength(1);
      expect(await bench.numberFor(mail.messageId)).toBeNull();

      await endpoints.start();
      await eventually(async () => expect(await bench.dovecot.uids(user, 'Processed')).toHaveLength(1), 20_000);
      expect(await bench.dovecot.uids(user, 'INBOX')).toEqual([]);
      expect(await bench.numberFor(mail.messageId)).not.toBeNull();
      expect(readiness.check().ok).toBe(true);
      await supervisor.stop();
    } finally {
      await endpoints.start();
    }
  });

  it('with a wrong client secret: /readyz and the alert carry Entra ID\'s AADSTS7000215, retries are paced, and a corrected secret file is picked up', async () => {
    const secretFile = path.join(dir, 'wrong-secret');
    writeFileSync(secretFile, 'not-the-secret\n');
    const { mailbox, user } = hostedMailbox('wrong', { clientSecret: undefined, clientSecretFile: secretFile });
    const alerts: Array<string | undefined> = [];
    const { tokens, token } = ownTokens(mailbox);
    const supervisor = await bench.supervise([mailbox], { unreachableAlertMs: 300 }, { tokens, onUnreachable: (_name, _since, reason) => alerts.push(reason) }, { waitConnected: false });
    const readiness = supervisor.readinessChecks()[0]!;
    await eventually(() => expect(readiness.check().detail).toBe('not connected: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app \'11111111-2222-3333-4444-555555555555\'.'));
    await eventually(() => expect(alerts).toHaveLength(1));
    expect(alerts[0]).toMatch(/^AADSTS7000215: Invalid client secret provided\./);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Backoff 250, 500, 1000, 2000 ms…: a handful of requests in ~2.5 s, not hundreds.
    expect(token.requests).toBeLessThanOrEqual(6);
    expect(alerts).toHaveLength(1);

    const mail = buildMail({ subject: 'Po naprawie', body: REPORT, from: 'Adam Nowy <adam.nowy@example.pl>' });
    await bench.dovecot.append(user, mail.raw);
    writeFileSync(secretFile, `${endpoints.microsoft.clientSecret}\n`);
    await eventually(async () => expect(await bench.dovecot.uids(user, 'Processed')).toHaveLength(1), 20_000);
    expect(readiness.check().ok).toBe(true);
    await supervisor.stop();
  });
});

describe('logs', () => {
  it('never carry an access token, a client secret or a private key', () => {
    expect(logLines.length).toBeGreaterThan(20);
    expect(endpoints.issued.length).toBeGreaterThan(3);
    const text = logLines.join('');
    const leaks = [
      ...endpoints.issued.map((token) => ({ what: 'an access token', needle: token.split('.')[2]! })),
      { what: 'the client secret', needle: endpoints.microsoft.clientSecret },
      { what: 'a private key', needle: 'PRIVATE KEY' },
    ].filter(({ needle }) => text.includes(needle));
    expect(leaks.map((leak) => leak.what)).toEqual([]);
    // The failures themselves were logged, in the provider's words.
    expect(text).toContain('AADSTS7000215');
  });
});
