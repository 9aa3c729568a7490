import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IntakeError } from '../../src/errors.js';
import { EmbeddedRedis, type RestartReport } from '../../src/redis/embedded-redis.js';

const dirs: string[] = [];
const servers: EmbeddedRedis[] = [];
const owners: ChildProcess[] = [];
const strayPids: number[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  for (const owner of owners.splice(0)) owner.kill('SIGKILL');
  for (const pid of strayPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-embedded-'));
  dirs.push(dir);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

/** Every file and folder below `dir`, with its mode. */
function modesBelow(dir: string): Array<{ file: string; mode: number; folder: boolean }> {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).map((entry) => {
    const file = path.join(entry.parentPath, entry.name);
    return { file, mode: mode(file), folder: entry.isDirectory() };
  });
}

/** What a client that knows no password is told (raw RESP: ioredis would hide it behind its ready check). */
async function askWithoutPassword(port: number, command: string): Promise<string> {
  const socket = connect({ port, host: '127.0.0.1' });
  try {
    socket.write(`${command}\r\n`);
    return await new Promise<string>((resolve, reject) => {
      socket.once('data', (data: Buffer) => resolve(data.toString()));
      socket.once('error', reject);
    });
  } finally {
    socket.destroy();
  }
}

/** A redis-server started by another process (test/support/embedded-redis-owner.ts). */
async function serverOfAnotherProcess(dir: string): Promise<{ owner: ChildProcess; pid: number; port: number }> {
  const owner = spawn(process.execPath, ['--import', 'tsx', 'test/support/embedded-redis-owner.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  owners.push(owner);
  const lines = createInterface({ input: owner.stdout! });
  const [line] = await Promise.race([new Promise<string[]>((resolve) => lines.once('line', (l) => resolve([l]))), new Promise<never>((_, reject) => owner.once('exit', () => reject(new Error('owner exited'))))]);
  const { pid, port } = JSON.parse(line as string) as { pid: number; port: number };
  strayPids.push(pid);
  return { owner, pid, port };
}

describe('the private redis-server', () => {
  it('runs append-only with everysec fsync and noeviction, as production must', async () => {
    const server = await EmbeddedRedis.start({ dir: tempDir() });
    servers.push(server);
    const client = new Redis(server.connectionUrl);
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    } finally {
      client.disconnect();
    }
  });

  it('keeps what was written across a stop and a restart on the same dir and port', async () => {
    const server = await EmbeddedRedis.start({ dir: tempDir() });
    servers.push(server);
    const client = new Redis(server.connectionUrl, { maxRetriesPerRequest: null });
    try {
      await client.set('hezo:test', 'survives');
      const port = server.port;
      await server.stop();
      expect(server.running).toBe(false);
      await server.restart();
      expect(server.port).toBe(port);
      expect(await client.get('hezo:test')).toBe('survives');
    } finally {
      client.disconnect();
    }
  });

  it('answers only clients with its generated password, which stays off its command line and is kept for the next start', async () => {
    const dir = tempDir();
    const server = await EmbeddedRedis.start({ dir });
    servers.push(server);
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await askWithoutPassword(server.port, 'GET hezo:any')).toMatch(/^-NOAUTH/);
    const passwordFile = path.join(dir, 'password');
    expect(readFileSync(passwordFile, 'utf8').trim()).toBe(server.password);
    expect(server.password.length).toBeGreaterThanOrEqual(40);
    expect(mode(passwordFile)).toBe(0o600);
    expect(mode(path.join(dir, 'redis.conf'))).toBe(0o600);
    expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8')).not.toContain(server.password);

    await server.stop();
    const again = await EmbeddedRedis.start({ dir });
    servers.push(again);
    expect(again.password).toBe(server.password);
  });

  it('keeps its folder 0700 and every file in it 0600, the append-only files redis-server writes included', async () => {
    const dir = tempDir();
    const server = await EmbeddedRedis.start({ dir: path.join(dir, 'var', 'redis') });
    servers.push(server);
    const client = new Redis(server.connectionUrl);
    try {
      await client.set('hezo:test', 'x');
      await client.bgrewriteaof();
      await vi.waitFor(async () => expect(await client.info('persistence')).toMatch(/aof_rewrite_in_progress:0/), { timeout: 10_000 });
    } finally {
      client.disconnect();
    }
    expect(mode(path.join(dir, 'var'))).toBe(0o700);
    expect(mode(server.dir)).toBe(0o700);
    const below = modesBelow(server.dir);
    expect(below.map((entry) => path.relative(server.dir, entry.file))).toEqual(expect.arrayContaining(['appendonlydir', 'redis.log', 'password']));
    for (const entry of below) expect({ file: entry.file, mode: entry.mode }).toEqual({ file: entry.file, mode: entry.folder ? 0o700 : 0o600 });
  });

  it('tightens a folder an earlier version left readable to everyone', async () => {
    const dir = path.join(tempDir(), 'redis');
    mkdirSync(path.join(dir, 'appendonlydir'), { recursive: true });
    writeFileSync(path.join(dir, 'redis.log'), 'old\n');
    for (const [file, loose] of [[dir, 0o755], [path.join(dir, 'appendonlydir'), 0o755], [path.join(dir, 'redis.log'), 0o644]] as const) chmodSync(file, loose);
    const server = await EmbeddedRedis.start({ dir });
    servers.push(server);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, 'appendonlydir'))).toBe(0o700);
    expect(mode(path.join(dir, 'redis.log'))).toBe(0o600);
  });

  it('never touches the redis-server of a running process on the same folder: the start is refused', async () => {
    const dir = tempDir();
    const first = await serverOfAnotherProcess(dir);
    const error = await EmbeddedRedis.start({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).code).toBe('ALREADY_RUNNING');
    expect((error as IntakeError).message).toContain(`pid ${first.pid}, port ${first.port}`);
    expect(alive(first.pid)).toBe(true);
  });

  it('stops an orphaned server whose owner was killed with -9, then starts its own', async () => {
    const dir = tempDir();
    const orphan = await serverOfAnotherProcess(dir);
    orphan.owner.kill('SIGKILL');
    await new Promise((resolve) => orphan.owner.once('exit', resolve));
    expect(alive(orphan.pid)).toBe(true);
    const second = await EmbeddedRedis.start({ dir });
    servers.push(second);
    expect(alive(orphan.pid)).toBe(false);
    expect(second.running).toBe(true);
    expect(existsSync(path.join(dir, 'embedded-redis.json'))).toBe(true);
  });

  it('refuses to start on a port another Redis holds, instead of taking that server for its own', async () => {
    const other = await EmbeddedRedis.start({ dir: tempDir() });
    servers.push(other);
    const error = await EmbeddedRedis.start({ dir: tempDir(), port: other.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).message).toMatch(/exited at start/);
  });

  it('says exactly what to install when redis-server is missing', async () => {
    const error = await EmbeddedRedis.start({ dir: tempDir(), executable: 'redis-server-not-installed' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).code).toBe('REDIS_MISSING');
    expect((error as IntakeError).message).toContain('apt-get install -y redis-server');
  });
});

/** Listens on `port` as soon as it is free (tried again until it is, for up to 5 s). */
async function squat(port: number): Promise<Server> {
  const until = Date.now() + 5_000;
  for (;;) {
    // Whoever knocks is turned away at once: a connection left unread would keep close() waiting.
    const server = createServer((socket) => socket.destroy());
    const error = await new Promise<Error | undefined>((resolve) => {
      server.once('error', resolve);
      server.listen(port, '127.0.0.1', () => resolve(undefined));
    });
    if (!error) return server;
    if (Date.now() > until) throw error;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('the supervised redis-server', () => {
  it('is started again on the same port when it dies, with what was written, and each restart is reported once', async () => {
    const reports: RestartReport[] = [];
    const server = await EmbeddedRedis.start({ dir: tempDir(), onRestart: (report) => reports.push(report) });
    servers.push(server);
    const client = new Redis(server.connectionUrl, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    // Refused connections while the server is down are expected here; they are retried.
    client.on('error', () => undefined);
    try {
      await client.set('hezo:test', 'survives');
      const first = server.pid as number;
      process.kill(first, 'SIGKILL');
      await vi.waitFor(() => expect(reports).toHaveLength(1), { timeout: 10_000, interval: 20 });
      expect(reports[0]).toEqual({ port: server.port, attempt: 1, exit: 'killed by SIGKILL' });
      expect(server.pid).not.toBe(first);
      expect(alive(server.pid as number)).toBe(true);
      expect(await client.get('hezo:test')).toBe('survives');

      // Dying again soon after: the count goes on (the tries stay spaced out).
      process.kill(server.pid as number, 'SIGKILL');
      await vi.waitFor(() => expect(reports).toHaveLength(2), { timeout: 10_000, interval: 20 });
      expect(reports[1]).toMatchObject({ attempt: 2, exit: 'killed by SIGKILL' });
      expect(await client.get('hezo:test')).toBe('survives');
    } finally {
      client.disconnect();
    }
  });

  it('is not started again after stop()', async () => {
    const reports: RestartReport[] = [];
    const server = await EmbeddedRedis.start({ dir: tempDir(), onRestart: (report) => reports.push(report) });
    const pid = server.pid as number;
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(reports).toEqual([]);
    expect(server.running).toBe(false);
    expect(alive(pid)).toBe(false);
  });

  it('keeps trying while its port is taken, saying so on every try, and comes back when the port is free', async () => {
    const reports: RestartReport[] = [];
    const server = await EmbeddedRedis.start({ dir: tempDir(), onRestart: (report) => reports.push(report) });
    servers.push(server);
    process.kill(server.pid as number, 'SIGKILL');
    // Taken the moment the dead server lets go of it, well before the first try (0.2 s).
    const squatter = await squat(server.port);
    try {
      await vi.waitFor(() => expect(reports.length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 20 });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    expect(reports[0]).toMatchObject({ attempt: 1, exit: 'killed by SIGKILL', nextTryMs: 400 });
    expect(reports[0]?.failure).toMatch(/exited at start/);
    expect(reports[1]).toMatchObject({ attempt: 2, nextTryMs: 800 });
    await vi.waitFor(() => expect(reports.at(-1)?.failure).toBeUndefined(), { timeout: 15_000, interval: 20 });
    expect(server.running).toBe(true);
  });
});
