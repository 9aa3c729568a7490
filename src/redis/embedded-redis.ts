/**
 * A private `redis-server` child process: the embedded default when REDIS_URL is unset, and
 * the real Redis every test run starts for itself. Configured as production should be
 * (DESIGN.md section 6): append-only with fsync every second, no RDB snapshots, noeviction —
 * a request must never be evicted to make room.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IntakeError } from '../errors.js';
import { findFreePort } from './free-port.js';

export interface EmbeddedRedisOptions {
  /** Data folder (append-only file, log, pid record). Created when missing. */
  dir: string;
  /** 0 or unset: a free port. Tests restart on the same port to prove what survives. */
  port?: number;
  /** Path of the executable; default `redis-server` from PATH. */
  executable?: string;
  startTimeoutMs?: number;
}

/** What we record beside the data so that a later start can find an orphaned server. */
interface PidRecord {
  pid: number;
  port: number;
}

const INSTALL_HINT =
  'redis-server is not installed. Install it (Debian/Ubuntu: `apt-get install -y redis-server`; ' +
  'macOS: `brew install redis`) or point the gateway at an existing Redis with REDIS_URL=redis://host:6379.';

export class EmbeddedRedis {
  readonly dir: string;
  readonly port: number;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts a server and resolves once it accepts connections. */
  static async start(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
    mkdirSync(options.dir, { recursive: true });
    stopOrphan(options.dir);
    const port = options.port && options.port > 0 ? options.port : await findFreePort();
    const redis = new EmbeddedRedis(path.resolve(options.dir), port);
    await redis.launch(options.executable ?? 'redis-server', options.startTimeoutMs ?? 10_000);
    return redis;
  }

  /** Starts the server again on the same folder and port (after `stop()` or `kill()`). */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.launch('redis-server', 10_000);
  }

  /** Graceful stop: SIGTERM makes Redis fsync the append-only file before it exits. */
  async stop(): Promise<void> {
    if (this.running) this.child?.kill('SIGTERM');
    await this.exited;
    rmSync(pidFile(this.dir), { force: true });
  }

  /** Abrupt stop (kill -9), for fault tests: whatever was fsynced survives. */
  async kill(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    await this.exited;
  }

  private async launch(executable: string, startTimeoutMs: number): Promise<void> {
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      '--logfile', 'redis.log',
    ];
    const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    const spawned = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (error) => resolve(error));
    });
    if (spawned) {
      this.child = undefined;
      if (spawned.code === 'ENOENT') throw new IntakeError('REDIS_MISSING', INSTALL_HINT, { cause: spawned });
      throw new IntakeError('REDIS_UNAVAILABLE', `redis-server could not be started: ${spawned.message}`, { cause: spawned });
    }
    writeFileSync(pidFile(this.dir), JSON.stringify({ pid: child.pid ?? 0, port: this.port } satisfies PidRecord));

    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new IntakeError('REDIS_UNAVAILABLE', `redis-server exited at start: ${stderr.trim() || tailLog(this.dir)}`);
      }
      // Our server, not just a server: another one already on the port would answer too,
      // while ours fails to bind and exits.
      if ((await serverPid(this.port)) === child.pid) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.kill();
    throw new IntakeError('REDIS_UNAVAILABLE', `redis-server did not answer within ${startTimeoutMs} ms: ${tailLog(this.dir)}`);
  }
}

function pidFile(dir: string): string {
  return path.join(dir, 'embedded-redis.json');
}

/**
 * A gateway killed with -9 leaves its redis-server running on the data folder. Two servers
 * on one append-only file would corrupt it, so a start first stops the one recorded there.
 */
function stopOrphan(dir: string): void {
  let record: PidRecord;
  try {
    record = JSON.parse(readFileSync(pidFile(dir), 'utf8')) as PidRecord;
  } catch {
    return;
  }
  try {
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
    if (cmdline.includes('redis-server')) process.kill(record.pid, 'SIGTERM');
  } catch {
    // Not running any more (or not ours to read): nothing to stop.
  }
  waitForExit(record.pid, 5_000);
  rmSync(pidFile(dir), { force: true });
}

function waitForExit(pid: number, timeoutMs: number): void {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      // A zombie (exited, not yet reaped by its parent) no longer holds the files.
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return;
    } catch {
      return;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

/** The process id of the Redis server answering on `port` (INFO server), or undefined. */
async function serverPid(port: number): Promise<number | undefined> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (pid: number | undefined): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(500, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (data: Buffer) => {
      answer += data.toString();
      if (answer.startsWith('-')) done(undefined);
      const found = /process_id:(\d+)\r\n/.exec(answer);
      if (found) done(Number(found[1]));
    });
  });
}

function tailLog(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'redis.log'), 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return 'no log written';
  }
}
