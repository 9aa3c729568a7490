import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors.js';
import { DataFolderLock, readRecord } from '../../src/redis/data-folder-lock.js';
import { identityOf, ownIdentity } from '../../src/redis/process-identity.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'hezo-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;
const folder = (): string => path.join(root, `var-${++folders}`, 'redis');

/** A pid no process has: one of a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid as number;
}

describe('the data folder lock', () => {
  it('is held by one owner: a second taker is refused with the owner named, and nothing is changed', async () => {
    const dir = folder();
    const lock = await DataFolderLock.acquire(dir);
    lock.recordHttpUrl('http://127.0.0.1:8080');
    const before = readFileSync(lock.file, 'utf8');
    const error = await DataFolderLock.acquire(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).code).toBe('ALREADY_RUNNING');
    expect((error as IntakeError).message).toMatch(new RegExp(`^hezo-intake is already running on this data folder \\(pid ${process.pid}, http://127.0.0.1:8080\\)`));
    expect(readFileSync(lock.file, 'utf8')).toBe(before);
    expect(statSync(lock.file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it('is taken over from an owner that is dead', async () => {
    const dir = folder();
    const first = await DataFolderLock.acquire(dir);
    first.release();
    writeFileSync(DataFolderLock.fileIn(dir), JSON.stringify({ pid: await deadPid(), startedAt: new Date().toISOString() }));
    const lock = await DataFolderLock.acquire(dir);
    expect(readRecord(lock.file)).toMatchObject(ownIdentity());
    lock.release();
  });

  it('is taken over from a record whose pid now belongs to another process (pid reuse: another start time)', async () => {
    const dir = folder();
    (await DataFolderLock.acquire(dir)).release();
    writeFileSync(DataFolderLock.fileIn(dir), JSON.stringify({ pid: process.pid, startTime: '1', startedAt: new Date().toISOString() }));
    const lock = await DataFolderLock.acquire(dir);
    expect(readRecord(lock.file)?.startTime).toBe(ownIdentity().startTime);
    lock.release();
  });

  it('is not released by a process that no longer holds it', async () => {
    const dir = folder();
    const lock = await DataFolderLock.acquire(dir);
    const other = JSON.stringify({ pid: 1, startedAt: new Date().toISOString() });
    writeFileSync(lock.file, other);
    lock.release();
    expect(readFileSync(lock.file, 'utf8')).toBe(other);
  });

  it('waits while another start is taking over a stale lock, and yields to what that one put in its place', async () => {
    const dir = folder();
    (await DataFolderLock.acquire(dir)).release();
    const file = DataFolderLock.fileIn(dir);
    writeFileSync(file, JSON.stringify({ pid: await deadPid(), startedAt: new Date().toISOString() }));
    // Another start found the same stale lock first and is replacing it (it holds the takeover folder).
    mkdirSync(`${file}.takeover`);
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const taking = DataFolderLock.acquire(dir).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 200));
      writeFileSync(file, JSON.stringify({ ...identityOf(other.pid as number), startedAt: new Date().toISOString() }));
      rmdirSync(`${file}.takeover`);
      const error = await taking;
      expect(error).toBeInstanceOf(IntakeError);
      expect((error as IntakeError).message).toContain(`(pid ${other.pid})`);
      expect(readRecord(file)?.pid).toBe(other.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });
});
