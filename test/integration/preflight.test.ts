/**
 * The preflight of `npm test` (test/support/preflight.ts), run as npm runs it but with a PATH
 * that lacks some of what the tests start: it must stop at once with the one install line, and
 * stay silent on a machine that has everything. `.ci/run` must install all it can ask for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/settings.js';
import { chromiumPath, prerequisites } from '../support/prerequisites.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-preflight-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Where `program` is on this machine's PATH (the tests run where everything is installed). */
function which(program: string): string {
  const found = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, program)).find((file) => existsSync(file));
  if (!found) throw new Error(`${program} is not installed here`);
  return found;
}

/** A folder of symlinks to the named programs, to be the whole PATH; node itself is run by its absolute path. */
function pathWith(programs: string[]): string {
  const dir = mkdtempSync(path.join(tmp, 'bin-'));
  for (const program of programs) symlinkSync(which(program), path.join(dir, program));
  return dir;
}

function preflight(env: NodeJS.ProcessEnv, as: { uid?: number; gid?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/preflight.ts'], { cwd: PACKAGE_ROOT, env, encoding: 'utf8', ...as });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const onPath = prerequisites().filter((p) => !path.isAbsolute(p.program)).map((p) => p.program);

describe('the npm test preflight', () => {
  it('is silent and lets npm test go on when nothing is missing', () => {
    const result = preflight({ ...process.env, PATH: pathWith(onPath), CHROMIUM_PATH: chromiumPath() });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('stops at once with the one install line for what a bare PATH lacks', () => {
    const result = preflight({ ...process.env, PATH: pathWith([]), CHROMIUM_PATH: path.join(tmp, 'no-chromium') });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('npm test stopped before running anything');
    const install = result.stderr.split('\n').filter((line) => line.includes('apt-get install'));
    expect(install).toEqual(['Install (Debian/Ubuntu, as root): apt-get install -y redis-server dovecot-imapd chromium docker-compose openssl']);
    expect(result.stderr).toContain('bash .ci/run');
    expect(result.stderr).toContain(`chromium at ${path.join(tmp, 'no-chromium')}:`);
  });

  it('names only what is missing: Dovecot alone', () => {
    const result = preflight({ ...process.env, PATH: pathWith(onPath.filter((p) => p !== 'dovecot' && p !== 'doveadm')), CHROMIUM_PATH: chromiumPath() });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^ {2}dovecot: .*\n {2}doveadm: /m);
    expect(result.stderr).toContain('apt-get install -y dovecot-imapd\n');
    expect(result.stderr).not.toMatch(/redis-server|chromium|docker-compose|openssl/);
  });

  it('says that the mailbox tests need root, run as another user', () => {
    // nobody:nogroup on Debian; the preflight itself runs as root, as the tests do.
    const result = preflight({ ...process.env, HOME: tmp, CHROMIUM_PATH: chromiumPath() }, { uid: 65534, gid: 65534 });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^ {2}root: the mailbox tests start a private Dovecot/m);
    expect(result.stderr).not.toContain('apt-get');
  });

  it('is what npm test runs first', () => {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toMatch(/^npm run preflight && /);
    expect(pkg.scripts.preflight).toContain('test/support/preflight.ts');
  });

  it('asks for no package that .ci/run would not install', () => {
    const ci = readFileSync(path.join(PACKAGE_ROOT, '.ci', 'run'), 'utf8');
    for (const { debianPackage } of prerequisites()) expect(ci, debianPackage).toContain(`need+=(${debianPackage})`);
  });
});
