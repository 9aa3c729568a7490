/**
 * The production image's files, checked without a Docker engine (none runs here, TESTING.md):
 * docker-compose 1.29 validates the compose file, dockerfilelint (npm) lints the Dockerfile,
 * and the durability and hardening settings that matter are asserted on what they produce.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/settings.js';

const run = promisify(execFile);
const COMPOSE = path.join(PACKAGE_ROOT, 'docker-compose.yml');
const DOCKERFILE = path.join(PACKAGE_ROOT, 'Dockerfile');

describe('docker-compose.yml', () => {
  it('is valid for docker-compose and runs Redis append-only, fsync every second, no eviction', async () => {
    const { stdout } = await run('docker-compose', ['-f', COMPOSE, 'config'], { cwd: PACKAGE_ROOT });
    const redisCommand = /\n {2}redis:\n[\s\S]*?command:\n((?:\s+- .*\n)+)/.exec(stdout)?.[1] ?? '';
    const args = redisCommand.split('\n').map((line) => line.replace(/^\s+- /, '').replace(/^['"]|['"]$/g, '').trim());
    expect(args).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction']));
    expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
    expect(args[args.indexOf('--appendfsync') + 1]).toBe('everysec');
    expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(stdout).toMatch(/REDIS_URL: redis:\/\/redis:6379/);
    expect(stdout).toMatch(/condition: service_healthy/);
  });

  it('is checked for real: an unknown key makes docker-compose fail', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-compose-'));
    try {
      const broken = readFileSync(COMPOSE, 'utf8').replace('    restart: unless-stopped\n', '    restart: unless-stopped\n    restartt: always\n');
      writeFileSync(path.join(dir, 'docker-compose.yml'), broken);
      await expect(run('docker-compose', ['-f', path.join(dir, 'docker-compose.yml'), 'config', '-q'], { cwd: dir })).rejects.toMatchObject({ code: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  it('passes dockerfilelint and is multi-stage, non-root, with a healthcheck and tini', async () => {
    const bin = path.join(PACKAGE_ROOT, 'node_modules', '.bin', 'dockerfilelint');
    const { stdout } = await run(bin, ['-j', DOCKERFILE], { cwd: PACKAGE_ROOT }).catch((error: { stdout: string }) => error);
    const report = JSON.parse(stdout) as { totalIssues: number; files: Array<{ issues: unknown[] }> };
    expect(report.files[0]?.issues).toEqual([]);
    expect(report.totalIssues).toBe(0);

    const text = readFileSync(DOCKERFILE, 'utf8');
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\/healthz/m);
    expect(text).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(text).toMatch(/COPY --from=build \/app\/dist/);
    expect(text).toMatch(/src\/ops\/ops-page\/assets/);
  });
});
