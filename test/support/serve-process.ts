/**
 * `hezo-intake serve` as an operator runs it: a child process on the embedded default
 * (REDIS_URL unset) with its own data folder `<root>/var` (the private Redis in `var/redis`,
 * attachments in `var/attachments`), so tests can start a second one on the same folder,
 * kill -9 it, signal it, and look at what it leaves behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';

export interface ServeProcess {
  child: ChildProcess;
  /** The HTTP address, from the line `serve` prints once it listens. */
  url: string;
  /** What the process wrote so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** The log lines (pino JSON) on stdout, parsed. */
  logLines(): Array<Record<string, unknown>>;
  /** Exit code, or the signal's name; resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  readonly alive: boolean;
}

export interface ServeFolders {
  root: string;
  /** `<root>/var`: the data folder. */
  data: string;
  redisDir: string;
  attachmentsDir: string;
  config: string;
}

/** The folders of a gateway whose data lives under `root` (written once: its config). */
export function serveFolders(root: string): ServeFolders {
  const data = path.join(root, 'var');
  const folders = { root, data, redisDir: path.join(data, 'redis'), attachmentsDir: path.join(data, 'attachments'), config: path.join(root, 'local.json') };
  mkdirSync(root, { recursive: true });
  writeFileSync(folders.config, JSON.stringify({ http: { host: '127.0.0.1', port: 0 }, attachments: { dir: folders.attachmentsDir }, log: { level: 'warn' } }));
  return folders;
}

/**
 * Spawns `serve` on the folders. With `ready` (default) resolves once /readyz answers 200;
 * else as soon as the process runs. `preload`: extra `--import` modules (fault injectors).
 */
export async function spawnServe(folders: ServeFolders, options: { ready?: boolean; preload?: string[] } = {}): Promise<ServeProcess> {
  const imports = ['tsx', ...(options.preload ?? [])].flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, [...imports, 'test/support/cli-entry.ts', 'serve'], {
    env: { ...process.env, REDIS_URL: '', HEZO_CONFIG: folders.config, HEZO_REDIS_DIR: folders.redisDir, LOG_LEVEL: 'warn', PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const serve: ServeProcess = {
    child,
    url: '',
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    exited,
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
  };
  if (options.ready === false) return serve;
  await vi.waitFor(
    async () => {
      if (!serve.alive) throw Object.assign(new Error(`serve exited at start: ${stderr}`), { stop: true });
      const listening = /listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (!listening?.[1]) throw new Error('not listening yet');
      serve.url = listening[1];
      expect200((await fetch(`${serve.url}/readyz`)).status);
    },
    { timeout: 60_000, interval: 100 },
  );
  return serve;
}

function expect200(status: number): void {
  if (status !== 200) throw new Error(`/readyz answered ${status}`);
}

/** The private redis-server a gateway recorded in its folder: pid and port. */
export function redisRecordOf(folders: ServeFolders): { pid: number; port: number } {
  return JSON.parse(readFileSync(path.join(folders.redisDir, 'embedded-redis.json'), 'utf8')) as { pid: number; port: number };
}

/** Whether a process runs (a zombie does not: it has exited and holds nothing). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

/** SIGKILL for whatever a test left running (by pid; never by name). */
export function killIfRunning(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone.
  }
}

/** The demo portal key of the embedded default. */
export const DEMO_KEY = 'hezo-portal-demo-key';

/** Files a service request through the portal API; resolves the request number. */
export async function fileRequest(url: string, subject = 'Awaria biblioteki taśmowej'): Promise<string> {
  const response = await fetch(`${url}/api/v1/portal/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      kind: 'service',
      reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
      contractNumber: 'HZ-2026-00123',
      serialNumber: 'XLS812-240517',
      subject,
      description: 'Robot nie chwyta taśmy, błąd 0x42.',
      language: 'pl',
    }),
  });
  const body = (await response.json()) as { requestNumber?: string };
  if (response.status !== 202 || !body.requestNumber) throw new Error(`filing answered ${response.status}: ${JSON.stringify(body)}`);
  return body.requestNumber;
}

/** The status a portal client reads back for a request number (HTTP status). */
export async function requestStatus(url: string, requestNumber: string): Promise<number> {
  return (await fetch(`${url}/api/v1/portal/requests/${requestNumber}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } })).status;
}
