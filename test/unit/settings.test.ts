import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';
import { formatSettingsError, loadCalendarExtras, loadSettings, type SettingOverride } from '../../src/settings-loader.js';

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

function loadError(env: NodeJS.ProcessEnv = {}, overrides: SettingOverride[] = []): IntakeError {
  try {
    loadSettings({ configDir, env, overrides });
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

  it('names the file and line, the field and what is expected for a wrong value in config/local.json', () => {
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ log: { level: 'info' }, http: { host: '127.0.0.1', port: 'eighty' } }, null, 2));
    const error = loadError();
    expect(error.code).toBe('SETTINGS_INVALID');
    expect(error.details).toEqual([
      expect.objectContaining({ path: 'http.port', file: expect.stringContaining('local.json'), line: 7, message: expect.stringMatching(/expected number/i) }),
    ]);
    const text = formatSettingsError(error);
    expect(text).toMatch(/local\.json:7: http\.port: .*expected number/i);
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

  it('refuses unknown settings (a typo must not be ignored), each against its line in local.json, and reports every problem at once', () => {
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ http: { prot: 1, host: '' }, log: { level: 'loud' } }, null, 2));
    const error = loadError();
    const paths = error.details.map((d) => d.path).sort();
    expect(paths).toEqual(['http.host', 'http.prot', 'log.level']);
    const text = formatSettingsError(error);
    expect(text).toMatch(/local\.json:3: http\.prot: unknown setting "prot" \(did you mean "port"\?\)/);
    expect(text).toMatch(/local\.json:4: http\.host: /);
    expect(text).toMatch(/local\.json:7: log\.level: /);
    expect(text).not.toContain('default.json');
  });

  it('reports an unknown section and an unknown key without a near match against local.json', () => {
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ htp: { port: 1 }, redis: { flavour: 'x', commandTimeoutMs: 100 } }, null, 2));
    const text = formatSettingsError(loadError());
    expect(text).toMatch(/local\.json:2: htp: unknown setting "htp" \(did you mean "http"\?\)/);
    expect(text).toMatch(/local\.json:6: redis\.flavour: unknown setting "flavour"$/);
  });

  it('reports broken JSON in local.json with its line and column, and a missing file by name', () => {
    writeFileSync(path.join(configDir, 'local.json'), '{\n  "http": {\n    "port": 9000\n    "host": "0.0.0.0"\n  }\n}\n');
    expect(formatSettingsError(loadError())).toMatch(/local\.json:4: \(file\): JSON syntax error at line 4, column 5: expected a comma/);
    writeFileSync(path.join(configDir, 'local.json'), '{ "http": ');
    expect(formatSettingsError(loadError())).toMatch(/local\.json:1: \(file\): JSON syntax error at line 1, column 11: expected a value/);
    writeFileSync(path.join(configDir, 'local.json'), '{ "log": { "level": "warn" }, } // trailing');
    expect(formatSettingsError(loadError())).toMatch(/local\.json:1: \(file\): JSON syntax error at line 1, column \d+: expected a key/);
    expect(formatSettingsError(loadError({ HEZO_CONFIG: path.join(root, 'nope.json') }))).toMatch(/nope\.json: \(file\): file not found/);
  });

  it('reads a local.json saved with a byte order mark', () => {
    writeFileSync(path.join(configDir, 'local.json'), `\uFEFF${JSON.stringify({ http: { port: 9001 } })}`);
    expect(loadSettings({ configDir, env: {} }).settings.http.port).toBe(9001);
  });

  it('names the file given by HEZO_CONFIG, and default.json for a wrong default', () => {
    const own = path.join(root, 'site.json');
    writeFileSync(own, JSON.stringify({ mail: { smtp: { port: -1 } } }, null, 2));
    expect(formatSettingsError(loadError({ HEZO_CONFIG: own }))).toMatch(/site\.json:4: mail\.smtp\.port: /);
    const defaults = JSON.parse(readFileSync(path.join(configDir, 'default.json'), 'utf8')) as { log: { level: string } };
    defaults.log.level = 'chatty';
    writeFileSync(path.join(configDir, 'default.json'), JSON.stringify(defaults, null, 2));
    expect(formatSettingsError(loadError())).toMatch(/default\.json:\d+: log\.level: /);
  });

  it('names the flag for a wrong command-line value, not the environment variable of the same setting', () => {
    const port = (value: string): SettingOverride[] => [{ path: 'http.port', value, type: 'number', source: '--port' }];
    const text = (env: NodeJS.ProcessEnv, overrides: SettingOverride[]): string => formatSettingsError(loadError(env, overrides));
    expect(text({}, port('abc'))).toContain('\n  --port: http.port: expected a number, got "abc"');
    expect(text({ PORT: '9000' }, port('abc'))).not.toContain('PORT');
    expect(text({}, port(''))).toContain('--port: http.port: expected a number, got ""');
    expect(text({}, port('0x1F90'))).toContain('--port: http.port: expected a number, got "0x1F90"');
    expect(text({}, port('70000'))).toMatch(/--port: http\.port: .*65535/);
    expect(text({}, port('80.5'))).toMatch(/--port: http\.port: .*int/i);
  });

  it('lets a command-line flag win over the environment and the files', () => {
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ http: { port: 9000 } }));
    const overrides: SettingOverride[] = [{ path: 'http.port', value: '9002', type: 'number', source: '--port' }];
    expect(loadSettings({ configDir, env: { PORT: '9001' }, overrides }).settings.http.port).toBe(9002);
    expect(loadSettings({ configDir, env: { PORT: '9001' } }).settings.http.port).toBe(9001);
  });

  it('refuses a blank or non-decimal number variable instead of reading it as 0 (PORT=" " is not "any free port")', () => {
    expect(formatSettingsError(loadError({ PORT: ' ' }))).toContain('environment PORT: http.port: expected a number, got " "');
    expect(formatSettingsError(loadError({ PORT: '0x1F90' }))).toContain('environment PORT: http.port: expected a number, got "0x1F90"');
    expect(formatSettingsError(loadError({ REDIS_MIN_REPLICAS_ACKED: '\t' }))).toContain('environment REDIS_MIN_REPLICAS_ACKED: redis.minReplicasAcked: expected a number');
    // Empty is unset, as before (`PORT=` in a compose file).
    expect(loadSettings({ configDir, env: { PORT: '' } }).settings.http.port).toBe(8080);
    expect(loadSettings({ configDir, env: { PORT: ' 9001 ' } }).settings.http.port).toBe(9001);
  });

  it('makes the shipped public URL follow a port set elsewhere, and leaves a public URL someone set alone', () => {
    const publicUrl = (env: NodeJS.ProcessEnv, overrides: SettingOverride[] = []): string => loadSettings({ configDir, env, overrides }).settings.http.publicUrl;
    const flag: SettingOverride[] = [{ path: 'http.port', value: '4101', type: 'number', source: '--port' }];
    expect(publicUrl({})).toBe('http://localhost:8080');
    expect(publicUrl({}, flag)).toBe('http://localhost:4101');
    expect(publicUrl({ PORT: '9001' })).toBe('http://localhost:9001');
    expect(publicUrl({ PORT: '9001', PUBLIC_URL: 'https://intake.myhezo.pl' }, flag)).toBe('https://intake.myhezo.pl');
    // Port 0 (any free port): no port to put in it; the shipped default stays.
    expect(publicUrl({ PORT: '0' })).toBe('http://localhost:8080');
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ http: { port: 9000 } }));
    expect(publicUrl({})).toBe('http://localhost:9000');
    writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ http: { port: 9000, publicUrl: 'https://intake.example.pl' } }));
    expect(publicUrl({ PORT: '9001' })).toBe('https://intake.example.pl');
  });

  it('validates the calendar extras file', () => {
    const file = path.join(root, 'extras.json');
    writeFileSync(file, JSON.stringify({ closures: [{ date: '2026-12-31', reason: 'stocktaking' }] }));
    expect(loadCalendarExtras(file).closures[0]?.date).toBe('2026-12-31');
    writeFileSync(file, JSON.stringify({ closures: [{ date: '31.12.2026', reason: 'stocktaking' }] }, null, 2));
    try {
      loadCalendarExtras(file);
      expect.unreachable();
    } catch (error) {
      expect(formatSettingsError(error as IntakeError)).toMatch(/extras\.json:4: closures\.0\.date: expected a date YYYY-MM-DD/);
    }
  });
});
