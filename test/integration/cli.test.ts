import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { COMMANDS, EXIT, main, type Command } from '../../src/cli.js';
import { ROLES } from '../../src/main.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[], stdin = ''): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  input.end(stdin);
  const code = await main(args, { stdout, stderr, stdin: input });
  return { code, stdout: out, stderr: err };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hezo-intake deadline', () => {
  it('prints the deadline and its trace for Wed 2026-12-23 16:30 on 8x5', async () => {
    const result = await run(['deadline', '--window', '8x5', '2026-12-23T16:30:00+01:00']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('deadline: 2026-12-28T08:30:00.000Z (Mon 2026-12-28 09:30 Europe/Warsaw)');
    expect(result.stdout).toMatch(/trace: +sent Wed 2026-12-23 16:30 → 30 min Wed \+ 30 min Mon → due Mon 2026-12-28 09:30/);
  });

  it('answers --json with the UTC deadline', async () => {
    const result = await run(['deadline', '--json', '--window', '24x7', '2026-03-29T01:30:00+01:00']);
    expect(JSON.parse(result.stdout)).toMatchObject({ window: '24x7', deadline: '2026-03-29T01:30:00.000Z' });
  });

  it.each([
    [['deadline', '--window', '8x5', '2026-12-23 16:30'], /offset/i],
    [['deadline', '--window', '8x5', 'yesterday'], /ISO-8601/],
    [['deadline', '--window', '9x5', '2026-12-23T16:30:00Z'], /--window must be 8x5 or 24x7/],
    [['deadline', '--windw', '8x5', '2026-12-23T16:30:00Z'], /Unknown option '--windw'/],
    [['deadline'], /exactly one instant/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['deadline', '--batch', '2026-12-23T16:30:00Z'], /--batch reads/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('answers a batch line by line, in order, with errors on their own lines', async () => {
    const cases = [
      { receivedAt: '2026-11-24T10:15:00+01:00', window: '8x5', expected: '2026-11-24T10:15:00.000Z' },
      { receivedAt: '2026-11-27T16:30:00+01:00', window: '8x5', expected: '2026-11-30T08:30:00.000Z' },
      { receivedAt: '2026-11-28T11:00:00+01:00', window: '8x5', expected: '2026-11-30T09:00:00.000Z' },
      { receivedAt: '2026-12-23T16:30:00+01:00', window: '8x5', expected: '2026-12-28T08:30:00.000Z' },
      { receivedAt: '2024-12-24T10:00:00+01:00', window: '8x5', expected: '2024-12-24T10:00:00.000Z' },
      { receivedAt: '2025-12-24T10:00:00+01:00', window: '8x5', expected: '2025-12-29T09:00:00.000Z' },
      { receivedAt: '2026-04-06T10:00:00+02:00', window: '8x5', expected: '2026-04-07T08:00:00.000Z' },
      { receivedAt: '2026-06-04T10:00:00+02:00', window: '8x5', expected: '2026-06-05T08:00:00.000Z' },
      { receivedAt: '2026-11-11T12:00:00+01:00', window: '8x5', expected: '2026-11-12T09:00:00.000Z' },
      { receivedAt: '2026-03-29T01:30:00+01:00', window: '24x7', expected: '2026-03-29T01:30:00.000Z' },
      { receivedAt: '2026-10-25T02:30:00+02:00', window: '24x7', expected: '2026-10-25T01:30:00.000Z' },
      { receivedAt: '2026-11-26T15:30:00Z', window: '8x5', expected: '2026-11-27T08:30:00.000Z' },
    ];
    const lines = [
      ...cases.slice(0, 3).map(({ receivedAt, window }) => JSON.stringify({ receivedAt, window })),
      'not json',
      '',
      JSON.stringify({ receivedAt: '2026-12-23T16:30', window: '8x5' }),
      JSON.stringify({ receivedAt: '2026-12-23T16:30:00Z', window: '7x7' }),
      ...cases.slice(3).map(({ receivedAt, window }) => JSON.stringify({ receivedAt, window })),
    ];
    const result = await run(['deadline', '--batch'], `${lines.join('\n')}\n`);
    expect(result.code).toBe(EXIT.ok);
    const out = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    expect(out).toHaveLength(cases.length + 3);
    const answers = [...out.slice(0, 3), ...out.slice(6)];
    answers.forEach((answer, i) => {
      const expected = cases[i]!;
      expect(answer, expected.receivedAt).toMatchObject({ receivedAt: expected.receivedAt, window: expected.window, deadline: expected.expected });
      expect(answer.trace).toMatch(/^sent .* → due /);
    });
    expect(out[3]).toMatchObject({ input: 'not json', error: expect.stringMatching(/not a JSON object/) });
    expect(out[4]).toMatchObject({ receivedAt: '2026-12-23T16:30', error: expect.stringMatching(/offset/i) });
    expect(out[5]).toMatchObject({ window: '7x7', error: expect.stringMatching(/"window" must be/) });
  });

  it('runs as a separate process, as the bin does', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'deadline', '--batch'], {
      input: '{"receivedAt":"2026-11-27T16:30:00+01:00","window":"8x5"}\n',
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ deadline: '2026-11-30T08:30:00.000Z' });
  });
});

/** Every command of the map and every subcommand, as the words that name it. */
function commandPaths(commands: Readonly<Record<string, Command>> = COMMANDS, prefix: string[] = []): string[][] {
  return Object.entries(commands).flatMap(([name, command]) => [[...prefix, name], ...commandPaths(command.subcommands ?? {}, [...prefix, name])]);
}

describe('help', () => {
  it.each(commandPaths().map((words) => [words.join(' '), words] as const))('"%s" answers --help, -h and help <command> with its own usage', async (name, words) => {
    for (const args of [[...words, '--help'], [...words, '-h'], ['help', ...words]]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(EXIT.ok);
      expect(result.stderr).toBe('');
      expect(result.stdout.startsWith(`Usage: hezo-intake ${name}`), `${args.join(' ')} printed:\n${result.stdout}`).toBe(true);
    }
  });

  it('lists every command with what it does, with no command, --help or help', async () => {
    for (const args of [[], ['--help'], ['-h'], ['help']]) {
      const result = await run(args);
      expect(result.code).toBe(EXIT.ok);
      for (const [name, command] of Object.entries(COMMANDS)) expect(result.stdout).toMatch(new RegExp(`\\n  ${name} +${command.summary.replace(/[()]/g, '\\$&')}\\n`));
    }
  });

  it('names every role in the help of serve', async () => {
    const { stdout } = await run(['serve', '--help']);
    for (const role of ROLES) expect(stdout).toContain(role);
  });

  it('answers --help after other flags, and without reading the settings', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve', '--port', '1', '--help'], {
      env: { ...process.env, HEZO_CONFIG: path.join(tmp, 'no-such-config.json') },
      encoding: 'utf8',
    });
    expect(result.status).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^Usage: hezo-intake serve /);
  });

  it('exits 2 for help on an unknown command, and points a usage error at its command\'s help', async () => {
    const unknown = await run(['help', 'frobnicate']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('no command "frobnicate"');
    const missing = await run(['contracts', 'check']);
    expect(missing.stderr).toContain('Run "hezo-intake contracts check --help" for usage.');
  });
});

describe('hezo-intake serve', () => {
  it('reports a wrong --port against --port (not PORT) and exits 78 before starting anything', async () => {
    const result = await run(['serve', '--port', 'abc']);
    expect(result.code).toBe(EXIT.settings);
    expect(result.stderr).toContain('\n  --port: http.port: expected a number, got "abc"\n');
    expect(result.stderr).not.toMatch(/PORT|\n\s+at /);
    expect((await run(['serve', '--port', '70000'])).stderr).toMatch(/--port: http\.port: .*65535/);
  });

  it('refuses to start (78) with signature checking on and no Twilio auth token when reachable from outside', () => {
    // Issue 20: an empty auth token is a key anyone can sign webhooks with, and it started anyway.
    const dir = mkdtempSync(path.join(tmp, 'forgeable-'));
    const config = path.join(dir, 'local.json');
    writeFileSync(config, JSON.stringify({ attachments: { dir: path.join(dir, 'attachments') }, log: { level: 'silent' } }));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve', '--port', '0'], {
      env: { ...process.env, REDIS_URL: '', HEZO_CONFIG: config, HEZO_REDIS_DIR: path.join(dir, 'redis'), HOST: '0.0.0.0', PUBLIC_URL: 'https://intake.example.test', TWILIO_AUTH_TOKEN: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(EXIT.settings);
    expect(result.stderr).toContain('twilio.authToken: is empty while phone.validateSignature is on');
    expect(result.stderr).toContain('TWILIO_AUTH_TOKEN');
    // Nothing was started: no private Redis folder.
    expect(existsSync(path.join(dir, 'redis'))).toBe(false);
  }, 90_000);

  it('says in one line that a taken port is taken and how to choose another, and exits 69', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const dir = mkdtempSync(path.join(tmp, 'taken-'));
    const config = path.join(dir, 'local.json');
    writeFileSync(config, JSON.stringify({ http: { host: '127.0.0.1' }, attachments: { dir: path.join(dir, 'attachments') }, log: { level: 'silent' } }));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve', '--port', String(port)], {
        env: { ...process.env, REDIS_URL: '', HEZO_CONFIG: config, HEZO_REDIS_DIR: path.join(dir, 'redis') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
      expect(stderr).toBe(`hezo-intake: port ${port} on 127.0.0.1 is in use by another program; choose another with --port N (or PORT=N)\n`);
      expect(stdout).toBe('');
      expect(code).toBe(EXIT.unavailable);
    } finally {
      blocker.close();
    }
  });

  it('stops the redis-server it started when a SIGTERM comes while it is still starting', async () => {
    const dir = mkdtempSync(path.join(tmp, 'serve-'));
    const config = path.join(dir, 'local.json');
    writeFileSync(config, JSON.stringify({ http: { host: '127.0.0.1', port: 0 }, attachments: { dir: path.join(dir, 'attachments') }, log: { level: 'silent' } }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve'], {
      env: { ...process.env, REDIS_URL: '', HEZO_CONFIG: config, HEZO_REDIS_DIR: path.join(dir, 'redis') },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The moment the private redis-server has been spawned, before the gateway is up.
    const record = path.join(dir, 'redis', 'embedded-redis.json');
    await vi.waitFor(() => expect(existsSync(record)).toBe(true), { timeout: 20_000, interval: 5 });
    const { pid } = JSON.parse(readFileSync(record, 'utf8')) as { pid: number };
    child.kill('SIGTERM');
    expect(await exited).toBe(EXIT.ok);
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await vi.waitFor(() => expect(alive()).toBe(false), { timeout: 10_000, interval: 50 });
  });
});

describe('hezo-intake contracts check', () => {
  it('accepts the demo registry', async () => {
    const result = await run(['contracts', 'check', 'config/contracts.json']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/OK — 5 contracts, .*; 1 with system care/);
  });

  it('lists every problem with file, line and field, and exits 1', async () => {
    const file = path.join(tmp, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify(
        {
          version: 1,
          contracts: [
            { number: 'HZ-2026-00001', customer: 'A', package: 'SOS', window: '9x5', onsite: '8h', validFrom: '2026-01-01', validTo: '2026-12-31', devices: [{ serial: 'S1', model: 'Q24' }], representatives: [{ name: 'X', email: 'x@example.pl', phone: '+48600100200' }] },
          ],
        },
        null,
        2,
      ),
    );
    const result = await run(['contracts', 'check', file]);
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toMatch(/bad\.json:\d+: contracts\[0\]\.window: .*8x5/);
  });

  it('exits 2 without a file', async () => {
    expect((await run(['contracts', 'check'])).code).toBe(EXIT.usage);
    expect((await run(['contracts'])).code).toBe(EXIT.usage);
  });
});
