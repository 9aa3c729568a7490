/**
 * A private `redis-server` child process: the embedded default when REDIS_URL is unset, and
 * the real Redis every test run starts for itself. Configured as production should be
 * (DESIGN.md section 6, redis-files.ts), with a generated password and on 127.0.0.1 only: on
 * a shared machine any local user could otherwise write an ops session key.
 *
 * Supervised when asked (the embedded default): a server that exits on its own — a crash, an
 * OOM kill, kill -9 — is started again on the same folder and port with backoff, so the
 * gateway's clients reconnect and /readyz recovers without anyone acting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { IntakeError } from '../errors.js';
import { ensurePrivateTree } from '../private-files.js';
import { stopAtExit, signal } from './exit-guard.js';
import { findFreePort } from './free-port.js';
import { commandLineOf, identityOf, isRunning, ownIdentity, parentOf, waitForExitSync, type ProcessIdentity } from './process-identity.js';
import { readOrCreatePassword, readRedisRecord, removeRedisRecord, writeConfig, writeRedisRecord, type RedisRecord } from './redis-files.js';

export interface EmbeddedRedisOptions {
  /** Data folder (append-only file, log, password, pid record). Created 0700 when missing. */
  dir: string;
  /** 0 or unset: a free port. Tests restart on the same port to prove what survives. */
  port?: number;
  /** Path of the executable; default `redis-server` from PATH. */
  executable?: string;
  startTimeoutMs?: number;
  /**
   * Set: the server is restarted whenever it exits on its own, and each try is reported here
   * (one report per try). Unset: an exit stays an exit — tests stop Redis on purpose.
   */
  onRestart?: (report: RestartReport) => void;
  /**
   * A process group of its own (the gateway): Ctrl-C in a terminal then reaches the gateway
   * alone, which drains before it stops Redis (exit-guard.ts stops it if Node dies). Unset
   * (tests): in the caller's group, so that Ctrl-C of a test run takes its servers down too.
   */
  ownProcessGroup?: boolean;
}

/** One try at restarting a server that exited on its own. */
export interface RestartReport {
  port: number;
  /** 1 for the first try after an exit; it counts on while tries fail, and across quick crashes. */
  attempt: number;
  /** How the server ended, e.g. "killed by SIGKILL", "exited with code 1". */
  exit: string;
  /** Why this try failed; undefined when the server is back. */
  failure?: string;
  /** When the next try comes, when this one failed. */
  nextTryMs?: number;
}

const INSTALL_HINT =
  'redis-server is not installed. Install it (Debian/Ubuntu: `apt-get install -y redis-server`; ' +
  'macOS: `brew install redis`) or point the gateway at an existing Redis with REDIS_URL=redis://host:6379.';

/** Backoff of restarts: 0.2 s doubling to 5 s. */
const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 5_000;
/** A server that ran this long before exiting starts its restarts from the first delay again. */
const STABLE_AFTER_MS = 30_000;
/** How long stop() lets Redis write its append-only file after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

export class EmbeddedRedis {
  readonly dir: string;
  readonly port: number;
  readonly password: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Set by stop(): an exit is then expected, never restarted. */
  private stopping = false;
  private supervisionEnded = false;
  private supervision: Promise<void> | undefined;
  private wakeSupervision: (() => void) | undefined;
  private attempt = 0;
  private startedAt = 0;

  private constructor(
    dir: string,
    port: number,
    password: string,
    private readonly options: EmbeddedRedisOptions,
  ) {
    this.dir = dir;
    this.port = port;
    this.password = password;
  }

  /** Where the server listens, without credentials (safe to log). */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** `url` with the password, for clients that take a URL alone. Never log it. */
  get connectionUrl(): string {
    return `redis://:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts a server and resolves once it accepts connections. */
  static async start(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
    const dir = path.resolve(options.dir);
    ensurePrivateTree(dir);
    stopOrphan(dir);
    const password = readOrCreatePassword(dir);
    const port = options.port && options.port > 0 ? options.port : await findFreePort();
    const redis = new EmbeddedRedis(dir, port, password, options);
    await redis.launch();
    return redis;
  }

  /** Starts the server again on the same folder and port (after `stop()` or `kill()`). */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    this.stopping = false;
    await this.launch();
  }

  /**
   * Graceful stop: SIGTERM makes Redis fsync the append-only file before it exits; one that
   * does not go within 5 s (stalled, SIGSTOPped) is killed. Never followed by a restart.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSupervision?.();
    await this.terminate();
    await this.supervision;
    await this.terminate();
    removeRedisRecord(this.dir);
  }

  /**
   * No more restarts from now on, the server left running: the process is going down (a stop
   * signal) and stop() follows. Under systemd the signal reaches the whole service, Redis too:
   * starting it again during the drain would only make work for the stop.
   */
  endSupervision(): void {
    this.supervisionEnded = true;
  }

  /** Abrupt stop (kill -9), for fault tests: whatever was fsynced survives. */
  async kill(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    await this.exited;
  }

  private async terminate(): Promise<void> {
    const child = this.child;
    if (!this.running || child?.pid === undefined) return this.exited;
    signal(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
    if ((await Promise.race([this.exited, grace])) === 'late') signal(child.pid, 'SIGKILL');
    clearTimeout(timer);
    await this.exited;
  }

  private async launch(): Promise<void> {
    const config = writeConfig(this.dir, this.port, this.password);
    if (this.stopping) throw new IntakeError('REDIS_UNAVAILABLE', 'the private redis-server is being stopped');
    // redis-server creates its append-only files with the umask it inherits, and Node's is
    // usually 022 (files 0644: readable by every local user). A shell sets 077 for the child
    // alone and execs it (same pid); process.umask() would change it for this whole process
    // for a moment, and throws inside worker threads.
    const child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', this.options.executable ?? 'redis-server', config], {
      cwd: this.dir,
      detached: this.options.ownProcessGroup === true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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
    if (spawned || child.pid === undefined) {
      this.child = undefined;
      throw new IntakeError('REDIS_UNAVAILABLE', `redis-server could not be started: ${spawned?.message ?? 'no process id'}`, { cause: spawned });
    }
    stopAtExit(child);
    const pid = child.pid;
    writeRedisRecord(this.dir, { ...(identityOf(pid) ?? { pid }), port: this.port, owner: ownIdentity() } satisfies RedisRecord);

    const startTimeoutMs = this.options.startTimeoutMs ?? 10_000;
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        await this.exited;
        // 127: the shell found no such command.
        if (child.exitCode === 127) throw new IntakeError('REDIS_MISSING', INSTALL_HINT);
        throw new IntakeError('REDIS_UNAVAILABLE', `redis-server exited at start: ${stderr.trim() || tailLog(this.dir)}`);
      }
      // Our server, not just a server: another one already on the port would answer too,
      // while ours fails to bind and exits.
      if ((await serverPid(this.port, this.password)) === pid) {
        this.startedAt = Date.now();
        this.superviseExit(child);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.kill();
    throw new IntakeError('REDIS_UNAVAILABLE', `redis-server did not answer within ${startTimeoutMs} ms: ${tailLog(this.dir)}`);
  }

  private superviseExit(child: ChildProcess): void {
    const onRestart = this.options.onRestart;
    if (!onRestart) return;
    child.once('exit', (code, signalName) => {
      if (this.stopping || this.supervisionEnded || this.child !== child) return;
      const exit = signalName ? `killed by ${signalName}` : `exited with code ${code}`;
      this.supervision = this.restartAfterExit(exit, onRestart);
    });
  }

  private async restartAfterExit(exit: string, report: (report: RestartReport) => void): Promise<void> {
    // A server that dies soon after each start keeps counting up, so its tries stay spaced out.
    if (Date.now() - this.startedAt >= STABLE_AFTER_MS) this.attempt = 0;
    for (;;) {
      this.attempt += 1;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryDelay(this.attempt));
        this.wakeSupervision = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeSupervision = undefined;
      if (this.stopping || this.supervisionEnded) return;
      try {
        await this.launch();
        report({ port: this.port, attempt: this.attempt, exit });
        return;
      } catch (error) {
        if (this.stopping) return;
        report({ port: this.port, attempt: this.attempt, exit, failure: (error as Error).message, nextTryMs: retryDelay(this.attempt + 1) });
      }
    }
  }
}

function retryDelay(attempt: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1), MAX_RETRY_MS);
}

/**
 * A gateway killed with -9 leaves its redis-server running on the data folder. Two servers on
 * one append-only file would corrupt it, so a start stops the one recorded there — but only
 * when the process that started it is dead: a running gateway's server is never touched.
 */
function stopOrphan(dir: string): void {
  const record = readRedisRecord(dir);
  if (!record) return;
  const server: ProcessIdentity = { pid: record.pid, ...(record.startTime ? { startTime: record.startTime } : {}) };
  // A record without a start time (an older version's) names a redis-server only if the
  // process on its pid says so.
  if (!isRunning(server) || (record.startTime === undefined && !commandLineOf(record.pid).includes('redis-server'))) {
    removeRedisRecord(dir);
    return;
  }
  const owner = record.owner ?? legacyOwner(record.pid);
  if (owner && isRunning(owner)) {
    throw new IntakeError(
      'ALREADY_RUNNING',
      `the redis-server on ${dir} (pid ${record.pid}, port ${record.port}) belongs to a running process (pid ${owner.pid}): stop it first, or use another folder`,
    );
  }
  signal(record.pid, 'SIGTERM');
  if (!waitForExitSync([record.pid], STOP_GRACE_MS)) {
    signal(record.pid, 'SIGKILL');
    waitForExitSync([record.pid], 1_000);
  }
  removeRedisRecord(dir);
}

/** Records of older versions name no owner: then the server's parent, if it is a Node process. */
function legacyOwner(pid: number): ProcessIdentity | undefined {
  const parent = parentOf(pid);
  if (parent === undefined || parent <= 1 || !commandLineOf(parent).includes('node')) return undefined;
  return identityOf(parent);
}

/**
 * The process id of the Redis server answering on `port` with this password (INFO server), or
 * undefined — also when a server is there that does not take the password (not ours).
 */
async function serverPid(port: number, password: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (pid: number | undefined): void => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(500, () => done(undefined));
    socket.once('error', () => done(undefined));
    // Closed by whatever holds the port, without a word: not ours (idle timers stop on close).
    socket.once('close', () => done(undefined));
    socket.once('connect', () => socket.write(`AUTH ${password}\r\nINFO server\r\n`));
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
