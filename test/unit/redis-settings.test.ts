import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';
import { formatSettingsError, loadSettings } from '../../src/settings-loader.js';

let root: string;
let configDir: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'hezo-redis-settings-'));
  configDir = path.join(root, 'config');
  mkdirSync(configDir);
  copyFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.json'), path.join(configDir, 'default.json'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function local(settings: Record<string, unknown>): void {
  writeFileSync(path.join(configDir, 'local.json'), JSON.stringify(settings));
}

function secret(name: string, content: string): string {
  const file = path.join(root, name);
  writeFileSync(file, content);
  return file;
}

function loadError(env: NodeJS.ProcessEnv = {}): IntakeError {
  try {
    loadSettings({ configDir, env });
  } catch (error) {
    if (error instanceof IntakeError) return error;
    throw error;
  }
  throw new Error('expected loadSettings to fail');
}

describe('redis settings', () => {
  it('default to the private redis-server: no URL, no Sentinel, minReplicasAcked automatic', () => {
    const { settings } = loadSettings({ configDir, env: {} });
    expect(settings.redis).toMatchObject({ url: '', sentinels: [], sentinelName: '', username: '', password: '', minReplicasAcked: null, waitTimeoutMs: 1000 });
  });

  it('take a Sentinel group, its password and the replica count from the environment', () => {
    const { settings, sourceOf } = loadSettings({
      configDir,
      env: { REDIS_SENTINELS: '10.0.0.5:26379, 10.0.0.6:26379,10.0.0.7:26379', REDIS_SENTINEL_NAME: 'hezo', REDIS_SENTINEL_PASSWORD: 'sentinel-secret', REDIS_MIN_REPLICAS_ACKED: '2', REDIS_USERNAME: 'gateway' },
    });
    expect(settings.redis.sentinels).toEqual(['10.0.0.5:26379', '10.0.0.6:26379', '10.0.0.7:26379']);
    expect(settings.redis).toMatchObject({ sentinelName: 'hezo', sentinelPassword: 'sentinel-secret', minReplicasAcked: 2, username: 'gateway' });
    expect(sourceOf('redis.sentinelPassword')).toBe('environment REDIS_SENTINEL_PASSWORD');
    expect(sourceOf('redis.password')).toMatch(/default\.json$/);
  });

  it('refuses Sentinels without the name of the primary they monitor, naming both settings', () => {
    local({ redis: { sentinels: ['10.0.0.5:26379'] } });
    const error = loadError();
    expect(error.code).toBe('SETTINGS_INVALID');
    expect(formatSettingsError(error)).toMatch(/local\.json(?::\d+)?: redis\.sentinels: redis\.sentinels is set but redis\.sentinelName is empty: name the primary/);
  });

  it('refuses a Sentinel written without its port, and a URL beside Sentinels', () => {
    local({ redis: { sentinels: ['10.0.0.5'], sentinelName: 'hezo', url: 'redis://10.0.0.1:6379' } });
    const text = formatSettingsError(loadError());
    expect(text).toMatch(/redis\.sentinels\.0: expected host:port/);
    expect(text).toMatch(/redis\.url: set either redis\.url \(one node\) or redis\.sentinels/);
  });

  it('refuses TLS settings with a plain-text redis:// URL, and a replica count the private redis-server cannot meet', () => {
    local({ redis: { url: 'redis://10.0.0.1:6379', tls: { caFile: 'ca.pem', certFile: '', keyFile: '', servername: '' } } });
    expect(formatSettingsError(loadError())).toMatch(/redis\.url: redis\.tls is set but the URL is redis:\/\/ \(plain text\): use rediss:\/\//);
    local({});
    expect(formatSettingsError(loadError({ REDIS_MIN_REPLICAS_ACKED: '1' }))).toMatch(/environment REDIS_MIN_REPLICAS_ACKED: redis\.minReplicasAcked: the private redis-server .* has no replicas/);
  });

  it('resolves TLS files against the project folder, as other paths', () => {
    local({ redis: { url: 'rediss://redis.internal:6380', tls: { caFile: 'config/redis-ca.pem', certFile: '', keyFile: '', servername: '' } } });
    expect(loadSettings({ configDir, env: {} }).settings.redis.tls.caFile).toBe(path.join(root, 'config', 'redis-ca.pem'));
  });
});

describe('<NAME>_FILE variables (Docker secrets)', () => {
  it('read the value from the file, without its one trailing newline, and say where it came from', () => {
    const file = secret('redis-password', 'pa ss\n');
    const { settings, sourceOf } = loadSettings({ configDir, env: { REDIS_PASSWORD_FILE: file } });
    expect(settings.redis.password).toBe('pa ss');
    expect(sourceOf('redis.password')).toBe(`environment REDIS_PASSWORD_FILE (${file})`);
  });

  it('drop only one trailing newline', () => {
    const file = secret('token', 'token-with-newline\n\n');
    expect(loadSettings({ configDir, env: { TWILIO_AUTH_TOKEN_FILE: file } }).settings.twilio.authToken).toBe('token-with-newline\n');
  });

  it('work for every string variable of the table (SMTP_PASSWORD_FILE, REDIS_SENTINEL_PASSWORD_FILE)', () => {
    const { settings } = loadSettings({
      configDir,
      env: { SMTP_PASSWORD_FILE: secret('smtp', 'relay-secret\r\n'), REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'hezo', REDIS_SENTINEL_PASSWORD_FILE: secret('sentinel', 'sentinel-secret') },
    });
    expect(settings.mail.smtp.password).toBe('relay-secret');
    expect(settings.redis.sentinelPassword).toBe('sentinel-secret');
  });

  it('refuse NAME and NAME_FILE set together, naming the variable', () => {
    const error = loadError({ REDIS_PASSWORD: 'inline', REDIS_PASSWORD_FILE: secret('redis-password', 'from-file') });
    expect(formatSettingsError(error)).toContain('environment REDIS_PASSWORD_FILE: redis.password: both REDIS_PASSWORD and REDIS_PASSWORD_FILE are set: keep one');
  });

  it('refuse a file that does not exist or cannot be read, naming the variable and the file', () => {
    const missing = path.join(root, 'nope');
    expect(formatSettingsError(loadError({ SMTP_PASSWORD_FILE: missing }))).toContain(`environment SMTP_PASSWORD_FILE: mail.smtp.password: cannot read ${missing}: no such file`);
    if (process.getuid?.() !== 0) {
      const locked = secret('locked', 'x');
      chmodSync(locked, 0o000);
      expect(formatSettingsError(loadError({ SMTP_PASSWORD_FILE: locked }))).toContain('permission denied');
    }
  });
});
