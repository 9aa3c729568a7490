/**
 * `hezo-intake call` as a person runs it, in a process of its own beside a listening gateway:
 * it signs for the public URL the gateway checks (which it asks the gateway for), whatever its
 * own settings say; and `serve` prints the command with the right flags for its run.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli.js';
import { findFreePort } from '../../src/redis/free-port.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';
import { writeTestRegistry } from '../support/registry.js';

/** A keypad call in Polish through to a filed request: language, contract, serial, confirmation. */
const KEYPAD_CALL = ['', '2', '202600123#', '240517', '1'];

let redis: PrivateRedis;
/** On a random port with the shipped publicUrl (http://localhost:8080). */
let plain: TestGateway;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hezo-call-'));

beforeAll(async () => {
  redis = await startPrivateRedis();
  plain = await startTestGateway({ http: { host: '127.0.0.1', port: 0 }, intake: { prefix: 'hezo-call-plain' } }, { REDIS_URL: redis.url });
});
afterAll(async () => {
  await plain?.stop();
  await redis?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a terminal with none of the settings a gateway may have been given. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['PUBLIC_URL', 'TWILIO_AUTH_TOKEN', 'HEZO_CONFIG', 'HEZO_CONFIG_DIR', 'HOST', 'PORT', 'REDIS_URL']) delete env[name];
  return { ...env, ...extra };
}

/** Runs the CLI in a process of its own with `input` as what the caller types. */
async function cli(args: string[], env: NodeJS.ProcessEnv, input: string[] = []): Promise<Exited> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input.map((line) => `${line}\n`).join(''));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, stdout, stderr };
}

describe('hezo-intake call', () => {
  it('completes a call on a gateway on a random port with the default publicUrl, saying which URL it signs for', async () => {
    const result = await cli(['call', '--url', plain.gateway.url], cleanEnv({ HEZO_CONFIG_DIR: plain.configDir }), KEYPAD_CALL);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`through ${plain.gateway.url}, signing for http://localhost:8080 (the gateway's public URL).\n`);
    const number = /Request number: (HZ-\d{4}-\d{6})/.exec(result.stdout)?.[1];
    expect(number, result.stdout).toBeDefined();
    await expect.poll(async () => (await plain.gateway.store.get(number as string))?.status, { timeout: 10_000 }).toBe('accepted');
  });

  it('signs for the public URL the gateway was given, though the settings of its own terminal do not have it', async () => {
    // As a person would run it: PORT=N PUBLIC_URL=http://127.0.0.1:N in the gateway's terminal only.
    const port = await findFreePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const own = await startTestGateway({ http: { host: '127.0.0.1', port, publicUrl }, intake: { prefix: 'hezo-call-own' } }, { REDIS_URL: redis.url });
    try {
      const result = await cli(['call', '--url', own.gateway.url], cleanEnv(), KEYPAD_CALL);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(EXIT.ok);
      expect(result.stdout).toContain(`signing for ${publicUrl} (the gateway's public URL)`);
      expect(result.stdout).toMatch(/Request number: HZ-\d{4}-\d{6}/);
    } finally {
      await own.stop();
    }
  });

  it('signs for http://localhost:<port> when the gateway was given a port and no public URL', async () => {
    // The shipped publicUrl (http://localhost:8080) follows a port set elsewhere (here local.json).
    const port = await findFreePort();
    const own = await startTestGateway({ http: { host: '127.0.0.1', port }, intake: { prefix: 'hezo-call-port' } }, { REDIS_URL: redis.url });
    try {
      expect(own.gateway.settings.http.publicUrl).toBe(`http://localhost:${port}`);
      const result = await cli(['call', '--url', own.gateway.url], cleanEnv(), KEYPAD_CALL);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain(`signing for http://localhost:${port} (the gateway's public URL)`);
      expect(result.stdout).toMatch(/Request number: HZ-\d{4}-\d{6}/);
    } finally {
      await own.stop();
    }
  });

  it('signs for --public-url when given, and reports a refused signature in one plain line', async () => {
    const result = await cli(['call', '--url', plain.gateway.url, '--public-url', 'https://intake.example.pl'], cleanEnv({ HEZO_CONFIG_DIR: plain.configDir }), KEYPAD_CALL);
    expect(result.stdout).toContain('signing for https://intake.example.pl (--public-url).\n');
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toMatch(/^hezo-intake: The IVR refused the signature of \/twilio\/voice \(HTTP 403\): .*TWILIO_AUTH_TOKEN.*\n$/);
  });

  it('tells the Twilio console URLs at GET /twilio', async () => {
    const response = await fetch(`${plain.gateway.url}/twilio`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      publicUrl: 'http://localhost:8080',
      webhooks: {
        hotline: 'http://localhost:8080/twilio/voice',
        escalation: 'http://localhost:8080/twilio/escalation',
        statusCallback: 'http://localhost:8080/twilio/status',
        fallback: 'http://localhost:8080/twilio/fallback',
      },
    });
  });
});

const SERVE_AUTH_TOKEN = 'call-command-serve-token-0123456789';

describe('hezo-intake serve', () => {
  it('prints the call command for its run, and that command completes a call', async () => {
    const dir = mkdtempSync(path.join(tmp, 'serve-'));
    mkdirSync(path.join(dir, 'config'));
    writeTestRegistry(path.join(dir, 'config', 'contracts.json'));
    const config = path.join(dir, 'local.json');
    writeFileSync(
      config,
      JSON.stringify({ http: { host: '0.0.0.0', port: 0 }, intake: { prefix: 'hezo-call-serve' }, attachments: { dir: path.join(dir, 'attachments') }, log: { level: 'silent' } }),
    );
    const serve = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve'], {
      // Listening on every address takes an auth token (an empty one is refused there); the
      // call command signs with the same one from its own environment.
      env: cleanEnv({ REDIS_URL: redis.url, HEZO_CONFIG: config, HEZO_CONTRACTS_FILE: path.join(dir, 'config', 'contracts.json'), TWILIO_AUTH_TOKEN: SERVE_AUTH_TOKEN }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => serve.once('exit', (code) => resolve(code)));
    try {
      let printed = '';
      const command = await new Promise<string>((resolve, reject) => {
        serve.stdout.on('data', (chunk: Buffer) => {
          printed += chunk.toString();
          const match = /in another terminal: npx hezo-intake (call --url \S+)\n/.exec(printed);
          if (match) resolve(match[1] as string);
        });
        serve.once('exit', () => reject(new Error(`serve exited before printing the call command:\n${printed}`)));
      });
      // Listening on every address (0.0.0.0), the command names one a terminal can call.
      expect(command).toMatch(/^call --url http:\/\/127\.0\.0\.1:\d+$/);
      const result = await cli(command.split(' '), cleanEnv({ TWILIO_AUTH_TOKEN: SERVE_AUTH_TOKEN }), KEYPAD_CALL);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/Request number: HZ-\d{4}-\d{6}/);
    } finally {
      serve.kill('SIGTERM');
      expect(await exited).toBe(EXIT.ok);
    }
  });
});
