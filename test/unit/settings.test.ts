import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors.js';
import { DEFAULT_CONFIG_DIR, formatSettingsError, loadCalendarExtras, loadSettings } from '../../src/settings.js';

let root: string;
let configDir: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'hezo-settings-'));
  configDir = path.join(root, 'config');
  mkdirp(configDir);
  copyFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.json'), path.join(configDir, 'default.json'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function mkdirp(dir: string): void {
  mkdirSync(dir, { recursive: true });
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

describe('settings', () => {
  it('loads the shipped defaults, resolves paths against the project folder and freezes them', () => {
    const { settings } = loadSettings({ configDir, env: {} });
    expect(settings.http.port).toBe(8080);
    expect(settings.redis.url).toBe('');
    expect(settings.contracts.file).toBe(path.join(root, 'config', 'contracts.json'));
    expect(Object.isFrozen(settings.http)).toBe(true);
    expect(() => {
      (settings.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('lets config/local.json and then the environment override the defaults', () => {
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ http: { port: 9000 }, log: { level: 'warn' } }));
    const { settings, sources } = loadSettings({ configDir, env: { LOG_LEVEL: 'debug', REDIS_URL: 'redis://10.0.0.1:6379' } });
    expect(settings.http.port).toBe(9000);
    expect(settings.http.host).toBe('127.0.0.1');
    expect(settings.log.level).toBe('debug');
    expect(settings.redis.url).toBe('redis://10.0.0.1:6379');
    expect(sources).toHaveLength(2);
  });

  it('names the file, the field and what is expected for a wrong value', () => {
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ http: { port: 'eighty' } }));
    const error = loadError();
    expect(error.code).toBe('SETTINGS_INVALID');
    expect(error.details).toEqual([
      expect.objectContaining({ path: 'http.port', file: expect.stringContaining('local.json'), message: expect.stringMatching(/expected number/i) }),
    ]);
    const text = formatSettingsError(error);
    expect(text).toMatch(/local\.json: http\.port: .*expected number/i);
    expect(text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses a portal client name that could pass for another client in a source key', () => {
    const sha = 'a'.repeat(64);
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ portal: { apiKeys: { 'myhezo-pl': sha, 'myhezo-pl:x': sha } } }));
    const error = loadError();
    expect(error.details).toEqual([expect.objectContaining({ path: expect.stringContaining('portal.apiKeys'), message: expect.stringContaining('client name') })]);
  });

  it('names the environment variable when an override is wrong', () => {
    expect(formatSettingsError(loadError({ PORT: 'abc' }))).toContain('environment PORT: http.port: expected a number, got "abc"');
    expect(formatSettingsError(loadError({ PORT: '70000' }))).toMatch(/environment PORT: http\.port: .*65535/);
    expect(formatSettingsError(loadError({ PUBLIC_URL: 'not a url' }))).toMatch(/environment PUBLIC_URL: http\.publicUrl: expected an absolute URL/);
  });

  it('refuses unknown settings (a typo must not be ignored) and reports every problem at once', () => {
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ http: { prot: 1, host: '' }, log: { level: 'loud' } }));
    const error = loadError();
    const paths = error.details.map((d) => d.path).sort();
    expect(paths).toEqual(['http', 'http.host', 'log.level']);
    expect(formatSettingsError(error)).toContain('unknown setting(s) "prot"');
  });

  it('reports a broken JSON file and a missing file by name', () => {
    writeFileSync(path.join(configDir, 'local.json'), '{ "http": ');
    expect(formatSettingsError(loadError())).toMatch(/local\.json: \(file\): not valid JSON/);
    expect(formatSettingsError(loadError({ HEZO_CONFIG: path.join(root, 'nope.json') }))).toMatch(/nope\.json: \(file\): file not found/);
  });

  it('validates the calendar extras file', () => {
    const file = path.join(root, 'extras.json');
    writeFileSync(file, JSON.stringify({ closures: [{ date: '2026-12-31', reason: 'stocktaking' }] }));
    expect(loadCalendarExtras(file).closures[0]?.date).toBe('2026-12-31');
    writeFileSync(file, JSON.stringify({ closures: [{ date: '31.12.2026', reason: 'stocktaking' }] }));
    try {
      loadCalendarExtras(file);
      expect.unreachable();
    } catch (error) {
      expect(formatSettingsError(error as IntakeError)).toMatch(/extras\.json: closures\.0\.date: expected a date YYYY-MM-DD/);
    }
  });
});
