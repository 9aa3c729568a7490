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
import { parse as parseYaml } from 'yaml';
import { PACKAGE_ROOT } from '../../src/settings.js';

const run = promisify(execFile);
const COMPOSE = path.join(PACKAGE_ROOT, 'docker-compose.yml');
const COMPOSE_HA = path.join(PACKAGE_ROOT, 'docker-compose.ha.yml');
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

/** What `docker-compose config` makes of a service: its command as one shell text, its environment. */
interface ComposeService {
  command?: string[] | string;
  environment?: Record<string, string>;
  secrets?: Array<{ source: string }>;
  volumes?: string[];
  ports?: Array<{ published: number; target: number }>;
  depends_on?: Record<string, { condition: string }>;
}

describe('docker-compose.ha.yml (Sentinel)', () => {
  async function resolved(): Promise<{ services: Record<string, ComposeService>; secrets: Record<string, { file: string }> }> {
    const { stdout } = await run('docker-compose', ['-f', COMPOSE_HA, 'config'], { cwd: PACKAGE_ROOT });
    return parseYaml(stdout) as { services: Record<string, ComposeService>; secrets: Record<string, { file: string }> };
  }
  const commandOf = (service: ComposeService | undefined): string => [service?.command ?? []].flat().join(' ');

  it('is valid for docker-compose: a primary, a replica, three sentinels and two gateways', async () => {
    const { services } = await resolved();
    expect(Object.keys(services).sort()).toEqual(['gateway-1', 'gateway-2', 'redis-1', 'redis-2', 'sentinel-1', 'sentinel-2', 'sentinel-3']);
    expect(commandOf(services['redis-2'])).toMatch(/--replicaof redis-1 6379/);
    expect(commandOf(services['redis-1'])).not.toMatch(/--replicaof/);
    for (const name of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
      const command = commandOf(services[name]);
      // A quorum of two: one sentinel alone cannot fail the primary over.
      expect(command).toMatch(/sentinel monitor hezo redis-1 6379 2/);
      expect(command).toMatch(/--sentinel/);
    }
  });

  it('runs both Redis nodes append-only, fsync every second, no eviction, with a password from a secret', async () => {
    const { services } = await resolved();
    for (const name of ['redis-1', 'redis-2']) {
      const command = commandOf(services[name]);
      expect(command).toMatch(/--appendonly yes --appendfsync everysec/);
      expect(command).toMatch(/--maxmemory-policy noeviction/);
      // masterauth on the primary too: after a failover it comes back as a replica. ($$ is
      // compose's escape: the shell in the container reads the secret, not compose.)
      expect(command).toMatch(/--requirepass "\$\$\(cat \/run\/secrets\/redis_password\)"/);
      expect(command).toMatch(/--masterauth "\$\$\(cat \/run\/secrets\/redis_password\)"/);
      expect(services[name]?.secrets?.map((s) => s.source)).toContain('redis_password');
    }
  });

  it('gives the gateways Sentinel, the passwords as files and minReplicasAcked 1; no secret is written in the file', async () => {
    const { services, secrets } = await resolved();
    expect(Object.keys(secrets).sort()).toEqual(['redis_password', 'redis_sentinel_password']);
    for (const name of ['gateway-1', 'gateway-2']) {
      const env = services[name]?.environment ?? {};
      expect(env).toMatchObject({
        REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379',
        REDIS_SENTINEL_NAME: 'hezo',
        REDIS_PASSWORD_FILE: '/run/secrets/redis_password',
        REDIS_SENTINEL_PASSWORD_FILE: '/run/secrets/redis_sentinel_password',
        REDIS_MIN_REPLICAS_ACKED: '1',
      });
      expect(env).not.toHaveProperty('REDIS_URL');
      expect(env).not.toHaveProperty('REDIS_PASSWORD');
      expect(services[name]?.secrets?.map((s) => s.source).sort()).toEqual(['redis_password', 'redis_sentinel_password']);
      // One attachments volume for both (an upload to one is served by the other).
      expect(services[name]?.volumes).toEqual(expect.arrayContaining([expect.stringMatching(/^attachments:\/app\/var\/attachments/)]));
    }
    expect(readFileSync(COMPOSE_HA, 'utf8')).not.toMatch(/requirepass [A-Za-z0-9+/]{16,}/);
  });

  it('is checked for real: a misspelt key makes docker-compose fail', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-compose-ha-'));
    try {
      const broken = readFileSync(COMPOSE_HA, 'utf8').replace('  stop_grace_period: 30s\n', '  stop_grace_periodd: 30s\n');
      expect(broken).not.toBe(readFileSync(COMPOSE_HA, 'utf8'));
      writeFileSync(path.join(dir, 'docker-compose.ha.yml'), broken);
      await expect(run('docker-compose', ['-f', path.join(dir, 'docker-compose.ha.yml'), 'config', '-q'], { cwd: dir })).rejects.toMatchObject({ code: 1 });
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
