/**
 * `hezo-intake privacy export|erase` as a child process, as an operator runs it: beside a
 * running gateway on the gateway's own embedded Redis (found through var/redis), on REDIS_URL,
 * and on a data folder no gateway runs on (a private redis-server started and stopped for it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/channels/portal/api-keys.js';
import { recordFile } from '../../src/redis/redis-files.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { tracesInFiles, tracesInRedis } from '../support/trace-scan.js';

const PORTAL_KEY = 'portal-cli-key-0123456789abcdef';
const ENGINEER = 'engineer-cli-token-0123456789';
const PERSON = { name: 'Kazimierz Dąbrowski', email: 'k.dabrowski@example.pl', phone: '+48 602 345 678' };
const NEEDLES = [PERSON.name, PERSON.email, '+48602345678', '602345678', '602 345 678'];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let test: TestGateway;

beforeAll(async () => {
  // No REDIS_URL: the gateway runs its private redis-server in <root>/var/redis.
  test = await startTestGateway(
    { http: { host: '127.0.0.1', port: 0 }, intake: { prefix: 'hezo-cli' }, portal: { apiKeys: { alpha: hashApiKey(PORTAL_KEY) } }, api: { engineerTokens: { eng: ENGINEER } } },
    {},
    { roles: ['web', 'dispatcher', 'notify'] },
  );
}, 60_000);
afterAll(async () => {
  await test?.stop();
});

async function fileRequest(): Promise<string> {
  const response = await fetch(`${test.gateway.url}/api/v1/portal/requests`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${PORTAL_KEY}`, 'Idempotency-Key': crypto.randomUUID(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ reporter: PERSON, contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517', subject: 'Awaria', description: `Dzwonić: ${PERSON.phone}`, language: 'pl' }),
  });
  expect(response.status).toBe(202);
  const { requestNumber } = (await response.json()) as { requestNumber: string };
  await expect.poll(() => test.gateway.store.get(requestNumber), { timeout: 20_000, interval: 50 }).not.toBeNull();
  return requestNumber;
}

describe('hezo-intake privacy, beside a running gateway on its embedded Redis', () => {
  it('exports by phone, refuses to erase an open request, erases it with --force, and leaves no trace', async () => {
    const number = await fileRequest();
    const env = { HEZO_CONFIG_DIR: test.configDir };

    const exported = await cli(['privacy', 'export', '--phone', '602-345-678'], env);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const body = JSON.parse(exported.stdout) as { subject: unknown; requests: Array<{ role: string; request: { number: string; reporter: unknown } }> };
    expect(body.subject).toEqual({ phone: '+48602345678' });
    expect(body.requests).toEqual([expect.objectContaining({ role: 'reporter', request: expect.objectContaining({ number, reporter: PERSON }) })]);

    const refused = await cli(['privacy', 'erase', '--email', PERSON.email], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`open requests ${number}`);
    expect(refused.stderr).toContain('--force');
    expect((await test.gateway.store.get(number))?.reporter).toEqual(PERSON);

    const erased = await cli(['privacy', 'erase', '--email', PERSON.email.toUpperCase(), '--force'], env);
    expect(erased.stderr).toBe('');
    expect(erased.code).toBe(0);
    const report = JSON.parse(erased.stdout) as { requests: Array<{ number: string; whole: boolean }>; appendOnlyFile: string };
    expect(report.requests).toEqual([{ number, status: 'unauthorized-reporter', whole: true }]);
    expect(report.appendOnlyFile).toBe('rewritten');
    expect(erased.stdout).not.toContain(PERSON.email);

    expect(await tracesInRedis(test.gateway.redis, NEEDLES)).toEqual([]);
    expect(tracesInFiles([path.join(test.root, 'var')], NEEDLES)).toEqual([]);
    const history = await test.gateway.store.history(number);
    expect(history.at(-1)).toMatchObject({ type: 'personal-data-removed', actor: 'cli', data: { reason: 'erasure' } });
  }, 120_000);
});

describe('hezo-intake privacy, other ways in', () => {
  let redis: PrivateRedis;
  let root: string;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    root = mkdtempSync(path.join(os.tmpdir(), 'hezo-privacy-cli-'));
    const configDir = path.join(root, 'config');
    mkdirSync(configDir);
    for (const file of ['default.json', 'calendar-extras.json', 'contracts.json']) copyFileSync(path.join(DEFAULT_CONFIG_DIR, file), path.join(configDir, file));
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ intake: { prefix: 'hezo-cli-other' } }));
  }, 60_000);
  afterAll(async () => {
    await redis?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('exports from REDIS_URL (nothing held: empty lists)', async () => {
    const result = await cli(['privacy', 'export', '--email', 'nobody@example.pl'], { HEZO_CONFIG_DIR: path.join(root, 'config'), REDIS_URL: redis.url });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ subject: { email: 'nobody@example.pl' }, requests: [], attachments: [], recordings: [], queuedJobs: [] });
  }, 60_000);

  it('starts the private redis-server of a data folder no gateway runs on, and stops it after', async () => {
    const result = await cli(['privacy', 'export', '--email', 'nobody@example.pl'], { HEZO_CONFIG_DIR: path.join(root, 'config') });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('started its private redis-server for this command');
    expect(JSON.parse(result.stdout)).toMatchObject({ requests: [] });
    // Stopped: its record (written while it runs) is gone.
    expect(existsSync(recordFile(path.join(root, 'var', 'redis')))).toBe(false);
  }, 60_000);

  it('answers usage errors with exit 2 and prints help for each subcommand', async () => {
    const env = { HEZO_CONFIG_DIR: path.join(root, 'config'), REDIS_URL: redis.url };
    const both = await cli(['privacy', 'erase', '--email', 'a@example.pl', '--phone', '600100200'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('exactly one of');
    expect(both.stderr).toContain('hezo-intake privacy erase --help');
    const badPhone = await cli(['privacy', 'export', '--phone', 'abc'], env);
    expect(badPhone.code).toBe(2);
    const exportForce = await cli(['privacy', 'export', '--email', 'a@example.pl', '--force'], env);
    expect(exportForce.code).toBe(2);
    const help = await cli(['privacy', 'erase', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: hezo-intake privacy erase/);
    expect(help.stdout).toContain('--force');
  }, 60_000);
});
