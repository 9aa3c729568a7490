/**
 * One gateway per data folder. The embedded default keeps its Redis files in
 * `redis.embeddedDir`; a second gateway started on the same folder (a second terminal, a
 * restart script) must not touch them: it used to stop the first one's redis-server and leave
 * that gateway answering 503 for good. So `serve` takes this lock before it starts the
 * embedded Redis, and a second one is refused with the first one's pid and port.
 *
 * The lock is a file (`gateway.lock`) holding its owner's identity (pid + start time, see
 * process-identity.ts). It appears whole and at once: the record is written to a temp file that
 * is then hard-linked into place, and link() fails when the lock exists, so of two starts only
 * one can win. A lock whose owner is dead (kill -9, a power cut) is taken over — but only by one
 * taker at a time, holding a small `gateway.lock.takeover` folder (mkdir is atomic as well) and
 * checking again under it, so that two starts finding the same stale lock cannot both win.
 *
 * The lock lives in the Redis folder itself, not in its parent: that folder is what two
 * servers must never share (one append-only file), HEZO_REDIS_DIR names exactly it (so "give
 * this one its own folder" works), and a parent such as /srv or $HOME is not ours to lock.
 * With REDIS_URL set no lock is taken: several processes on one Redis is a supported layout.
 */
import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IntakeError } from '../errors.js';
import { PRIVATE_FILE_MODE, ensurePrivateFolder } from '../private-files.js';
import { isRunning, ownIdentity, type ProcessIdentity } from './process-identity.js';

/** What the lock file says about its owner; shown to a second start. */
export interface LockRecord extends ProcessIdentity {
  startedAt: string;
  /** The owner's HTTP address once it listens. */
  httpUrl?: string;
}

/** A takeover folder older than this was left by a taker that died mid-way (it takes microseconds). */
const TAKEOVER_STALE_MS = 5_000;

export class DataFolderLock {
  private held = true;
  private readonly releaseAtExit = (): void => this.release();

  private constructor(
    readonly file: string,
    private record: LockRecord,
  ) {
    // A gateway dying of an uncaught exception leaves no lock behind (kill -9 does: stale).
    process.on('exit', this.releaseAtExit);
  }

  static fileIn(dir: string): string {
    return path.join(dir, 'gateway.lock');
  }

  /**
   * Takes the lock on `dir` (created 0700 when missing). Throws ALREADY_RUNNING, naming the
   * owner, when a running process holds it; `describeOwner` adds what else is known of it
   * (its Redis port) to that message.
   */
  static async acquire(dir: string, describeOwner: (owner: LockRecord) => string = describeHttp): Promise<DataFolderLock> {
    ensurePrivateFolder(dir);
    const file = DataFolderLock.fileIn(dir);
    const record: LockRecord = { ...ownIdentity(), startedAt: new Date().toISOString() };
    const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temp, JSON.stringify(record), { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    try {
      for (let attempt = 0; attempt < 200; attempt++) {
        try {
          linkSync(temp, file);
          return new DataFolderLock(file, record);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const owner = readRecord(file);
        if (owner && isRunning(owner)) {
          throw new IntakeError('ALREADY_RUNNING', `hezo-intake is already running on this data folder (${describeOwner(owner)}): stop it first, or give this one its own folder with HEZO_REDIS_DIR (this folder: ${dir})`);
        }
        if (!takeOverStale(file, owner)) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new IntakeError('ALREADY_RUNNING', `the lock ${file} keeps changing hands: another start is racing this one; try again`);
    } finally {
      unlinkSync(temp);
    }
  }

  /** Adds the HTTP address to the record, for the message a second start prints. */
  recordHttpUrl(httpUrl: string): void {
    if (!this.held) return;
    this.record = { ...this.record, httpUrl };
    // Replaced whole (rename), so a reader never sees half a record.
    const temp = `${this.file}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temp, JSON.stringify(this.record), { mode: PRIVATE_FILE_MODE });
    renameSync(temp, this.file);
  }

  /** Removes the lock if it is still ours. Synchronous: it also runs from process.on('exit'). */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.releaseAtExit);
    const current = readRecord(this.file);
    if (current && current.pid === this.record.pid && current.startTime === this.record.startTime) {
      try {
        unlinkSync(this.file);
      } catch {
        // Already gone: nothing to release.
      }
    }
  }
}

/** The record in a lock file, or undefined when there is none or it cannot be read. */
export function readRecord(file: string): LockRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as LockRecord;
    return typeof record.pid === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}

function describeHttp(owner: LockRecord): string {
  return owner.httpUrl ? `pid ${owner.pid}, ${owner.httpUrl}` : `pid ${owner.pid}`;
}

/**
 * Removes a lock whose owner is dead, if this start gets to be the one taker. Returns false
 * when another taker is at it (the caller waits and looks again).
 */
function takeOverStale(file: string, stale: LockRecord | undefined): boolean {
  const takeover = `${file}.takeover`;
  try {
    mkdirSync(takeover);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(takeover).mtimeMs > TAKEOVER_STALE_MS) rmdirSync(takeover);
    } catch {
      // Removed by its taker meanwhile.
    }
    return false;
  }
  try {
    // Looked at again under the takeover folder: another taker may have replaced the stale
    // lock by its own (alive) one between our first look and now — that one stays.
    const now = readRecord(file);
    const same = now === undefined || stale === undefined ? now === stale : now.pid === stale.pid && now.startTime === stale.startTime;
    if (same) {
      try {
        unlinkSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return true;
  } finally {
    rmdirSync(takeover);
  }
}
