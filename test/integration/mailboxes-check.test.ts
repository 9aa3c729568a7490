/**
 * `hezo-intake mailboxes check` against real servers: a Dovecot and an SMTP relay that take the
 * token stand-in's tokens, a Microsoft 365 app, and each way a first setup goes wrong — one line
 * per step, OK or the exact reason with what to do, exit 0 only when all passed.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { MailAuth, Microsoft365Auth } from '../../src/mail-auth/auth-settings.js';
import { mailboxesCheck } from '../../src/ops/mailboxes-check.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';
import { startPrivateDovecot, type PrivateDovecot } from '../support/dovecot.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { startTokenEndpoints, type TokenEndpoints } from '../support/token-endpoints.js';

let endpoints: TokenEndpoints;
let dovecot: PrivateDovecot;
let smtp: TestSmtpServer;
const root = mkdtempSync(path.join(os.tmpdir(), 'hezo-mailboxes-check-'));

beforeAll(async () => {
  endpoints = await startTokenEndpoints();
  [dovecot, smtp] = await Promise.all([startPrivateDovecot(), startSmtpServer({ acceptsToken: (token, user) => endpoints.accepts(token, user) })]);
  await endpoints.onKeysChanged((keys) => dovecot.trustKeys(keys));
});

afterAll(async () => {
  await Promise.all([dovecot?.cleanup(), smtp?.stop(), endpoints?.cleanup()]);
  rmSync(root, { recursive: true, force: true });
});

beforeEach(() => {
  endpoints.mode = 'ok';
});

function app(extra: Partial<Microsoft365Auth> = {}): Microsoft365Auth {
  const { tenantId, clientId, clientSecret } = endpoints.microsoft;
  return { type: 'microsoft365', tenantId, clientId, clientSecret, tokenUrl: endpoints.microsoftTokenUrl, ...extra };
}

/** A config folder: the defaults, one mailbox pomoc-<tag>@<domain> and the relay, each signing in as told. */
function config(tag: string, imapAuth: MailAuth, smtpAuth: MailAuth | undefined): string {
  const dir = path.join(root, tag, 'config');
  mkdirSync(dir, { recursive: true });
  for (const file of ['default.json', 'calendar-extras.json']) copyFileSync(path.join(DEFAULT_CONFIG_DIR, file), path.join(dir, file));
  writeFileSync(
    path.join(dir, 'local.json'),
    JSON.stringify({
      mail: { from: `myHEZO Pomoc <pomoc@${endpoints.domain}>`, smtp: { host: '127.0.0.1', port: smtp.port, secure: false, user: '', password: '', rejectUnauthorized: false, ...(smtpAuth ? { auth: smtpAuth } : {}) } },
      mailboxes: {
        list: [
          {
            name: 'pomoc',
            address: `pomoc-${tag}@${endpoints.domain}`,
            kind: 'service',
            imap: { host: dovecot.host, port: dovecot.port, secure: false, rejectUnauthorized: false, auth: imapAuth },
            processedFolder: 'Processed',
            quarantineFolder: 'Quarantine',
          },
        ],
      },
    }),
  );
  return dir;
}

async function check(configDir: string): Promise<{ code: number; out: string; lines: string[] }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await mailboxesCheck({ stdout, stderr: new PassThrough(), stdin: new PassThrough() }, { HEZO_CONFIG_DIR: configDir });
  return { code, out, lines: out.trimEnd().split('\n') };
}

/** The line of a step (two spaces, the step, padding, then the verdict). */
const line = (lines: string[], step: string): string | undefined => lines.find((text) => text.startsWith(`  ${step} `));

describe('hezo-intake mailboxes check', () => {
  it('passes every step for a Microsoft 365 mailbox and relay set up right, and exits 0', async () => {
    await dovecot.append(`pomoc-ok@${endpoints.domain}`, 'Subject: x\r\n\r\nx\r\n');
    const { code, lines } = await check(config('ok', app(), app()));
    expect(lines[0]).toBe(`Mailbox pomoc (pomoc-ok@${endpoints.domain}) at 127.0.0.1:${dovecot.port}, Microsoft 365 app ${endpoints.microsoft.clientId} in tenant ${endpoints.microsoft.tenantId}`);
    expect(lines.slice(1, 6)).toEqual([
      expect.stringMatching(/^ {2}token +OK, valid for 60 min$/),
      expect.stringMatching(new RegExp(`^ {2}sign in +OK, as pomoc-ok@${endpoints.domain}$`)),
      expect.stringMatching(/^ {2}INBOX +OK, 1 mail waiting$/),
      expect.stringMatching(/^ {2}folder Processed +OK, created$/),
      expect.stringMatching(/^ {2}folder Quarantine +OK, created$/),
    ]);
    expect(lines[6]).toMatch(/^SMTP relay 127\.0\.0\.1:\d+, Microsoft 365 app/);
    expect(lines.slice(7, 9)).toEqual([expect.stringMatching(/^ {2}token +OK/), expect.stringMatching(new RegExp(`^ {2}sign in +OK, as pomoc@${endpoints.domain}$`))]);
    expect(lines.at(-1)).toBe('All 7 checks passed.');
    expect(code).toBe(0);
    // The folders were really made, and a second run finds them.
    expect(line((await check(config('ok', app(), app()))).lines, 'folder Processed')).toMatch(/OK, exists$/);
  });

  it('says AADSTS7000215 and where to make a new secret when the client secret is wrong, skips what needs the token, and exits 1', async () => {
    const { code, lines } = await check(config('secret', app({ clientSecret: 'wrong' }), undefined));
    const mailboxLines = lines.slice(0, lines.findIndex((text) => text.startsWith('SMTP relay')));
    expect(line(mailboxLines, 'token')).toMatch(
      /^ {2}token +FAILED: AADSTS7000215: Invalid client secret provided\. .* → the client secret is wrong: in Microsoft Entra admin center → App registrations → your app → Certificates & secrets, add a new client secret and copy its Value \(not its Secret ID\)/,
    );
    expect(line(mailboxLines, 'sign in')).toBeUndefined();
    expect(lines.at(-1)).toBe('1 of 2 checks failed.');
    expect(code).toBe(1);
  });

  it('says AADSTS65001 and how to grant admin consent when the app has none', async () => {
    endpoints.mode = 'no-consent';
    const { code, lines } = await check(config('consent', app(), undefined));
    expect(line(lines, 'token')).toMatch(/FAILED: AADSTS65001: The user or administrator has not consented .* → the app has no admin consent: .*API permissions: add Office 365 Exchange Online → Application permissions → IMAP\.AccessAsApp and SMTP\.SendAsApp, then "Grant admin consent for <your organisation>"$/);
    expect(code).toBe(1);
  });

  it('says a token without the IMAP.AccessAsApp role has no consented permission, before Exchange would just refuse it', async () => {
    endpoints.mode = 'no-roles';
    const { lines } = await check(config('roles', app(), undefined));
    expect(line(lines, 'token')).toMatch(/FAILED: the token has the roles \[\], not IMAP\.AccessAsApp → the token carries no IMAP\.AccessAsApp role: .*Grant admin consent/);
  });

  it('says the token endpoint cannot be reached when it is down', async () => {
    await endpoints.stop();
    try {
      const { code, lines } = await check(config('down', app(), undefined));
      expect(line(lines, 'token')).toMatch(new RegExp(`FAILED: the token endpoint ${endpoints.microsoftTokenUrl.replace(/[.]/g, '\\.')} cannot be reached .* → check that this machine reaches the token endpoint over HTTPS`));
      expect(code).toBe(1);
    } finally {
      await endpoints.start();
    }
  });

  it('says the IMAP server refused the sign-in and what Exchange needs (service principal, FullAccess, IMAP on)', async () => {
    // A mailbox the app's token does not open (another domain: no FullAccess there).
    const { code, lines } = await check(config('refused', app({ user: 'pomoc@elsewhere.example' }), undefined));
    expect(line(lines, 'token')).toMatch(/OK/);
    expect(line(lines, 'sign in')).toMatch(
      /^ {2}sign in +FAILED: the IMAP server refused the sign-in of pomoc@elsewhere\.example: Authentication failed\. → Exchange Online took no app token for this mailbox: register the app in Exchange \(New-ServicePrincipal -AppId <Application \(client\) ID> -ObjectId <Object ID of the Enterprise application>\), give it the mailbox \(Add-MailboxPermission -Identity <mailbox> -User <service principal> -AccessRights FullAccess\)/,
    );
    expect(line(lines, 'INBOX')).toBeUndefined();
    expect(code).toBe(1);
  });

  it('says which folder cannot be made, and what to do, when the server will not let it be made', async () => {
    const user = `pomoc-nofolders@${endpoints.domain}`;
    await dovecot.append(user, 'Subject: x\r\n\r\nx\r\n');
    // The maildir belongs to root now: Dovecot (as nobody) reads it but cannot add a folder.
    const maildir = path.join(dovecot.home(user), 'Maildir');
    chownSync(maildir, 0, 0);
    chmodSync(maildir, 0o755);
    const { code, lines } = await check(config('nofolders', app(), undefined));
    expect(line(lines, 'INBOX')).toMatch(/OK, 1 mail waiting/);
    expect(line(lines, 'folder Processed')).toMatch(/^ {2}folder Processed +FAILED: cannot be made: .+ → make the folder in a mail client signed in as this mailbox \(or give the account the right to make folders\), or name an existing folder in processedFolder$/);
    expect(line(lines, 'folder Quarantine')).toMatch(/FAILED: cannot be made: .+ quarantineFolder$/);
    expect(code).toBe(1);
  });

  it('says the relay refused the sign-in and what Exchange needs for sending (SMTP AUTH on, SMTP.SendAsApp, FullAccess)', async () => {
    const { code, lines } = await check(config('smtp', app(), app({ user: 'pomoc@elsewhere.example' })));
    const smtpLines = lines.slice(lines.findIndex((text) => text.startsWith('SMTP relay')));
    expect(line(smtpLines, 'token')).toMatch(/OK/);
    expect(line(smtpLines, 'sign in')).toMatch(/^ {2}sign in +FAILED: 535 .* → Exchange Online refused the app's token for sending: turn SMTP AUTH on for the sender's mailbox \(Set-CASMailbox <mailbox> -SmtpClientAuthenticationDisabled \$false\)/);
    expect(lines.at(-1)).toBe('1 of 7 checks failed.');
    expect(code).toBe(1);
  });

  it('checks a password mailbox and an open relay too', async () => {
    const { code, lines } = await check(config('password', { type: 'password', user: 'pomoc-password', password: dovecot.password }, undefined));
    expect(lines[0]).toMatch(/, password$/);
    expect(line(lines, 'token')).toBeUndefined();
    expect(line(lines, 'sign in')).toMatch(/OK, as pomoc-password$/);
    expect(lines).toContain(`SMTP relay 127.0.0.1:${smtp.port}, no sign-in`);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}sign in +OK, connected \(no sign-in configured\)$/));
    expect(code).toBe(0);
  });

  it('is a command of the CLI with its help, and runs from the command line with the settings of HEZO_CONFIG_DIR', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await main(['mailboxes', 'check', '--help'], { stdout, stderr: new PassThrough(), stdin: new PassThrough() })).toBe(0);
    expect(out).toMatch(/^Usage: hezo-intake mailboxes check\n/);
    expect(out).toContain('Exit codes: 0 every step passed, 1 a step failed');

    const configDir = config('cli', app(), app());
    const env: NodeJS.ProcessEnv = { ...process.env, HEZO_CONFIG_DIR: configDir };
    for (const name of ['HEZO_CONFIG', 'SMTP_HOST', 'SMTP_PORT', 'SMTP_USER', 'SMTP_PASSWORD']) delete env[name];
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'mailboxes', 'check'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let childOut = '';
    child.stdout.on('data', (chunk: Buffer) => (childOut += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(childOut).toContain('All 7 checks passed.');
    expect(code).toBe(0);
  });
});
