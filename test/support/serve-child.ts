/**
 * `hezo-intake serve` as a child process (test/support/cli-entry.ts, as bin/ runs dist/), on a
 * temp config folder with the test registry, a free port, and its output kept — for the tests
 * of what a person starting the gateway sees: the lines it prints, its exit code, how long a
 * SIGTERM takes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/redis/free-port.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';
import { writeTestRegistry } from './registry.js';

export interface ServeProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  root: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Resolves once the process prints that it listens (rejects when it exits first). */
  listening(timeoutMs?: number): Promise<void>;
  /** SIGKILL if still running, and removes the temp folder. */
  cleanup(): Promise<void>;
}

/** `settings` becomes config/local.json; `env` is added to this process's environment. */
export async function startServeProcess(settings: Record<string, unknown>, env: Record<string, string>): Promise<ServeProcess> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hezo-serve-'));
  const configDir = path.join(root, 'config');
  mkdirSync(configDir);
  for (const file of ['default.json', 'calendar-extras.json']) copyFileSync(path.join(DEFAULT_CONFIG_DIR, file), path.join(configDir, file));
  writeTestRegistry(path.join(configDir, 'contracts.json'));
  writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ attachments: { dir: path.join(root, 'attachments'), maxBytes: 1048576 }, ...settings }));
  const port = await findFreePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/cli-entry.ts', 'serve'], {
    env: { ...process.env, HEZO_CONFIG_DIR: configDir, HEZO_CONFIG: '', HOST: '127.0.0.1', PORT: String(port), HEZO_REDIS_DIR: path.join(root, 'redis'), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    root,
    stdout: () => out,
    stderr: () => err,
    exited,
    async listening(timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      while (!/hezo-intake listening on/.test(out)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`serve exited (${child.exitCode ?? child.signalCode}) before listening:\n${out}\n${err}`);
        if (Date.now() > until) throw new Error(`serve did not listen within ${timeoutMs} ms:\n${out}\n${err}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(root, { recursive: true, force: true });
    },
  };
}
