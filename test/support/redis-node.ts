/**
 * One redis-server process as deployments run them — with a password, as a replica, with TLS,
 * or as a Sentinel — for the tests of src/redis/ (the plain private Redis of most tests is
 * ./redis.ts). Every node lives in its own temp folder with a config file (a Sentinel must be
 * able to rewrite its own), on a free port, and can be killed (-9), stalled (SIGSTOP),
 * resumed and started again on the same folder and port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePort } from '../../src/redis/free-port.js';

export interface RedisNodeOptions {
  /** Extra config lines (`requirepass x`, `replicaof 127.0.0.1 6380`, `sentinel monitor ...`). */
  config?: string[];
  /** Run as a Sentinel (`redis-server <conf> --sentinel`). */
  sentinel?: boolean;
  /** Listen with TLS only on this port (the plain port is 0): the config must carry the tls-* lines. */
  tls?: boolean;
  /** The password clients must send (for the node's own readiness probe). */
  password?: string;
  /** The folder; a new temp folder by default. */
  dir?: string;
  /** The port; a free one by default. */
  port?: number;
}

export class RedisNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly options: RedisNodeOptions,
  ) {}

  /** Starts a node and resolves once it answers PING (with its password). */
  static async start(options: RedisNodeOptions = {}): Promise<RedisNode> {
    const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), options.sentinel ? 'hezo-sentinel-' : 'hezo-redis-node-'));
    mkdirSync(dir, { recursive: true });
    const node = new RedisNode(dir, options.port ?? (await findFreePort()), options);
    await node.launch(true);
    return node;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** redis://[:password@]127.0.0.1:port (rediss:// for a TLS node). */
  url(withPassword = false): string {
    const credentials = withPassword && this.options.password ? `:${encodeURIComponent(this.options.password)}@` : '';
    return `${this.options.tls ? 'rediss' : 'redis'}://${credentials}127.0.0.1:${this.port}`;
  }

  /** kill -9: whatever was fsynced survives. */
  async kill(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process stays, its sockets stay open, nothing answers (a stalled Redis). */
  pause(): void {
    if (this.pid) process.kill(this.pid, 'SIGSTOP');
  }

  resume(): void {
    if (this.pid) process.kill(this.pid, 'SIGCONT');
  }

  /** Graceful stop (SIGTERM; resumed first if it was stalled). */
  async stop(): Promise<void> {
    if (this.running) {
      this.resume();
      this.child?.kill('SIGTERM');
    }
    await this.exited;
  }

  /** Starts it again on the same folder, port and config (a Sentinel keeps what it rewrote). */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.launch(false);
  }

  /** Stops the node and removes its folder. */
  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private configFile(): string {
    return path.join(this.dir, this.options.sentinel ? 'sentinel.conf' : 'redis.conf');
  }

  private async launch(writeConfig: boolean): Promise<void> {
    if (writeConfig) {
      const lines = [
        this.options.tls ? `tls-port ${this.port}` : `port ${this.port}`,
        ...(this.options.tls ? ['port 0'] : []),
        'bind 127.0.0.1',
        `dir ${this.dir}`,
        'logfile redis.log',
        ...(this.options.sentinel ? [] : ['appendonly yes', 'appendfsync everysec', 'save ""', 'maxmemory-policy noeviction']),
        ...(this.options.config ?? []),
      ];
      writeFileSync(this.configFile(), `${lines.join('\n')}\n`);
    }
    const args = [this.configFile(), ...(this.options.sentinel ? ['--sentinel'] : [])];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      if (!this.running) throw new Error(`redis-server exited at start: ${stderr.trim() || this.logTail()}`);
      if (await this.answers()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.kill();
    throw new Error(`redis-server did not answer within 10 s: ${this.logTail()}`);
  }

  /** Whether the node's log says it is ready (TLS nodes cannot be probed with a plain socket). */
  private async answers(): Promise<boolean> {
    // Only what this start wrote: a restart appends to the same log.
    const current = this.logText().split(/Redis is starting/).pop() ?? '';
    return this.options.sentinel ? /Sentinel ID is/.test(current) : /Ready to accept connections/.test(current);
  }

  private logText(): string {
    try {
      return readFileSync(path.join(this.dir, 'redis.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** The last lines of the node's log, for failure messages. */
  logTail(lines = 5): string {
    return this.logText().trim().split('\n').slice(-lines).join(' | ') || 'no log written';
  }
}
