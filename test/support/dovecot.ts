/**
 * A private Dovecot (IMAP) for one test file, as TESTING.md describes it: a temp folder with
 * its own config, a free port on 127.0.0.1, a static passdb/userdb (any user, one password),
 * maildirs owned by nobody. It can be stopped and started again on the same port, to prove
 * that the mailbox watchers reconnect and miss nothing.
 *
 * It also signs in with OAuth2 access tokens (XOAUTH2, OAUTHBEARER): an oauth2 passdb validates
 * JWTs locally (Dovecot 2.3 `introspection_mode = local`) against the public keys in a key
 * dictionary, `<root>/oauth2-keys/<azp>/<alg>/<kid>` (`default` for a token without azp), which
 * trustKeys() keeps in step with a token stand-in (./token-endpoints.ts). Only the domain of the
 * token's `email` must match the user's (`username_format = %d`): one app token for every mailbox
 * of the domain, as Exchange Online takes it.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { findFreePort } from '../../src/redis/free-port.js';

const run = promisify(execFile);
/** Debian's ids for nobody:nogroup, the owner the static userdb runs mail processes as. */
const NOBODY_UID = 65534;
const NOGROUP_GID = 65534;

export interface PrivateDovecot {
  host: string;
  port: number;
  /** The one password every user has. */
  password: string;
  running: boolean;
  /** An imapflow client logged in as `user` (connected); the caller logs out. */
  client(user: string): Promise<ImapFlow>;
  /** Puts a mail into a user's folder with IMAP APPEND, as a mail server delivering it would. */
  append(user: string, raw: string | Buffer, options?: { folder?: string; internalDate?: Date }): Promise<number>;
  /** Appends many mails over one connection (a busy mail server's burst); resolves with how many went in before any error, which it throws with `appended` set. */
  appendMany(user: string, raws: Array<string | Buffer>, folder?: string): Promise<number>;
  /** Moves every mail of `from` into `to` with one UID MOVE: a backlog that arrives all at once. */
  moveAll(user: string, from: string, to: string): Promise<void>;
  /** UIDs in a user's folder ([] when the folder does not exist). */
  uids(user: string, folder: string): Promise<number[]>;
  /** Drops every IMAP session of `user` (as a server restart or a network cut would), leaving the server up; none is no error. */
  kick(user: string): Promise<void>;
  /**
   * Trusts exactly these token signing keys (kid → public key PEM) from now on. When one is
   * withdrawn, Dovecot is reloaded (its auth process caches keys); `probe`, a token signed with a
   * withdrawn key, is then tried until Dovecot refuses it, so that the change is in force on return.
   */
  trustKeys(keys: Map<string, string>, probe?: { user: string; token: string }): Promise<void>;
  /** A user's home folder (its maildir is `Maildir` in it), owned by nobody. */
  home(user: string): string;
  /** Signs in with an access token: resolves true when Dovecot takes it. */
  acceptsToken(user: string, accessToken: string): Promise<boolean>;
  stop(): Promise<void>;
  /** Starts again on the same port and maildirs. */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface PrivateDovecotOptions {
  /** The token mechanisms offered; default both. Exchange Online offers only XOAUTH2. */
  tokenMechanisms?: ReadonlyArray<'xoauth2' | 'oauthbearer'>;
}

export async function startPrivateDovecot(options: PrivateDovecotOptions = {}): Promise<PrivateDovecot> {
  const tokenMechanisms = (options.tokenMechanisms ?? ['xoauth2', 'oauthbearer']).join(' ');
  const root = mkdtempSync(path.join(os.tmpdir(), 'hezo-dovecot-'));
  // mkdtemp makes it 0700; mail processes run as nobody and must pass through it.
  chmodSync(root, 0o711);
  const port = await findFreePort();
  const password = 'test-password';
  const mailRoot = path.join(root, 'mail');
  mkdirSync(mailRoot);
  chownSync(mailRoot, NOBODY_UID, NOGROUP_GID);
  const keyDir = path.join(root, 'oauth2-keys');
  const keyFolder = path.join(keyDir, 'default', 'RS256');
  mkdirSync(keyFolder, { recursive: true });
  chmodSync(keyDir, 0o755);
  const oauth2Config = path.join(root, 'dovecot-oauth2.conf.ext');
  writeFileSync(
    oauth2Config,
    ['introspection_mode = local', `local_validation_key_dict = fs:posix:prefix=${keyDir}/`, 'username_attribute = email', 'username_format = %d', ''].join('\n'),
  );
  const config = path.join(root, 'dovecot.conf');
  writeFileSync(
    config,
    [
      `base_dir = ${root}/run`,
      `state_dir = ${root}/state`,
      `log_path = ${root}/dovecot.log`,
      'protocols = imap',
      'listen = 127.0.0.1',
      'ssl = no',
      'disable_plaintext_auth = no',
      `auth_mechanisms = plain login ${tokenMechanisms}`,
      // Tests refuse sign-ins on purpose: no 2 s delay per failure, and no growing penalty for
      // 127.0.0.1 (anvil's, off without its socket) slowing every later sign-in of the file.
      'auth_failure_delay = 0',
      'service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}',
      'default_login_user = dovenull',
      'default_internal_user = dovecot',
      'mail_location = maildir:~/Maildir',
      'mail_max_userip_connections = 1000',
      'service imap-login {',
      `  inet_listener imap {\n    address = 127.0.0.1\n    port = ${port}\n  }`,
      '  inet_listener imaps {\n    port = 0\n  }',
      '}',
      `passdb {\n  driver = oauth2\n  mechanisms = ${tokenMechanisms}\n  args = ${oauth2Config}\n}`,
      `passdb {\n  driver = static\n  mechanisms = plain login\n  args = password=${password}\n}`,
      `userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=${mailRoot}/%u\n}`,
      '',
    ].join('\n'),
  );

  const dovecot: PrivateDovecot = {
    host: '127.0.0.1',
    port,
    password,
    running: false,
    async client(user) {
      const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass: password }, logger: false });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    async append(user, raw, options = {}) {
      const client = await dovecot.client(user);
      try {
        const folder = options.folder ?? 'INBOX';
        if (folder !== 'INBOX') await client.mailboxCreate(folder).catch(() => undefined);
        const result = await client.append(folder, raw, [], options.internalDate ?? new Date());
        return result ? result.uid ?? 0 : 0;
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
    async appendMany(user, raws, folder = 'INBOX') {
      const client = await dovecot.client(user);
      let appended = 0;
      try {
        if (folder !== 'INBOX') await client.mailboxCreate(folder).catch(() => undefined);
        for (const raw of raws) {
          await client.append(folder, raw, [], new Date());
          appended += 1;
        }
        return appended;
      } catch (error) {
        throw Object.assign(error as Error, { appended });
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
    async moveAll(user, from, to) {
      const client = await dovecot.client(user);
      try {
        await client.mailboxOpen(from);
        await client.messageMove('1:*', to, { uid: true });
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
    async uids(user, folder) {
      const client = await dovecot.client(user);
      try {
        const exists = (await client.list()).some((entry) => entry.path === folder);
        if (!exists) return [];
        const lock = await client.getMailboxLock(folder);
        try {
          const found = await client.search({ all: true }, { uid: true });
          return found || [];
        } finally {
          lock.release();
        }
      } finally {
        await client.logout().catch(() => client.close());
      }
    },
    async kick(user) {
      // Exit 68, "no users kicked": no session to drop (the client was between connections,
      // e.g. reconnecting after its lease lapsed under load) — what a kick wants already holds.
      await run('doveadm', ['-c', config, 'kick', user]).catch((error: { code?: number }) => {
        if (error.code !== 68) throw error;
      });
    },
    async trustKeys(keys, probe) {
      let withdrawn = false;
      for (const kid of readdirSync(keyFolder)) {
        if (keys.has(kid)) continue;
        rmSync(path.join(keyFolder, kid));
        withdrawn = true;
      }
      for (const [kid, pem] of keys) {
        if (!existsSync(path.join(keyFolder, kid))) writeFileSync(path.join(keyFolder, kid), pem, { mode: 0o644 });
      }
      if (!withdrawn || !dovecot.running) return;
      await run('doveadm', ['-c', config, 'reload']);
      if (!probe) return;
      const deadline = Date.now() + 10_000;
      while (await dovecot.acceptsToken(probe.user, probe.token)) {
        if (Date.now() > deadline) throw new Error('Dovecot still takes a token of a withdrawn key 10 s after its reload');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    home: (user) => path.join(mailRoot, user),
    async acceptsToken(user, accessToken) {
      const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, accessToken }, logger: false });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.logout().catch(() => client.close());
        return true;
      } catch (error) {
        client.close();
        if ((error as { authenticationFailed?: boolean }).authenticationFailed) return false;
        throw error;
      }
    },
    async start() {
      const child = spawn('dovecot', ['-c', config], { stdio: 'ignore' });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      if (code !== 0) throw new Error(`dovecot did not start (exit ${code}); see ${root}/dovecot.log`);
      await waitForPort(port, true);
      dovecot.running = true;
    },
    async stop() {
      if (!dovecot.running) return;
      dovecot.running = false;
      // Kicking the sessions first makes the stop prompt (an IDLE session otherwise lingers for seconds).
      await run('doveadm', ['-c', config, 'kick', '*']).catch(() => undefined);
      await run('doveadm', ['-c', config, 'stop']).catch(() => undefined);
      await waitForPort(port, false);
    },
    async cleanup() {
      await dovecot.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  await dovecot.start();
  return dovecot;
}

/** Polls until the port accepts (or refuses) connections: Dovecot forks into the background. */
async function waitForPort(port: number, open: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const accepting = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepting === open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`dovecot port ${port} did not ${open ? 'open' : 'close'} within 10 s`);
}
