/**
 * What `npm test` needs from the machine beyond Node and node_modules, in one list: the
 * preflight (./preflight.ts) checks it before anything runs, the support files find the programs
 * the same way, and a test checks that `.ci/run` installs every package named here.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** Debian's Chromium, or the one CHROMIUM_PATH names (test/dated/run.sh names a shim). */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export interface Prerequisite {
  /** A program looked up on PATH, as the support files spawn it; or an absolute path. */
  program: string;
  /** The Debian package that brings it. */
  debianPackage: string;
  /** Which tests need it. */
  neededBy: string;
}

export function prerequisites(env: NodeJS.ProcessEnv = process.env): Prerequisite[] {
  return [
    { program: 'redis-server', debianPackage: 'redis-server', neededBy: 'a private Redis for every integration test (test/support/redis.ts)' },
    { program: 'dovecot', debianPackage: 'dovecot-imapd', neededBy: 'a private IMAP server for the mailbox tests (test/support/dovecot.ts)' },
    { program: 'doveadm', debianPackage: 'dovecot-imapd', neededBy: 'stopping that IMAP server' },
    { program: chromiumPath(env), debianPackage: 'chromium', neededBy: 'the browser tests (test/e2e; CHROMIUM_PATH names another binary)' },
    { program: 'docker-compose', debianPackage: 'docker-compose', neededBy: 'checking the compose files without a Docker engine (test/integration/ops-image.test.ts)' },
    { program: 'openssl', debianPackage: 'openssl', neededBy: 'a test CA and certificates for the TLS tests of Redis' },
  ];
}

/** The prerequisites that `env` (its PATH and CHROMIUM_PATH) does not provide. */
export function missingPrerequisites(env: NodeJS.ProcessEnv = process.env): Prerequisite[] {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return prerequisites(env).filter(({ program }) =>
    path.isAbsolute(program) ? !isExecutable(program) : !dirs.some((dir) => isExecutable(path.join(dir, program))),
  );
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
