/**
 * The files the embedded redis-server keeps beside its data: its password, its config file and
 * the record that lets a later start find it (and its owner) again. All 0600 in a 0700 folder.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from '../private-files.js';
import type { ProcessIdentity } from './process-identity.js';

/** What we record beside the data so that a later start can find an orphaned server. */
export interface RedisRecord extends ProcessIdentity {
  port: number;
  /** The process that started the server; absent in records written before owners were kept. */
  owner?: ProcessIdentity;
}

export function recordFile(dir: string): string {
  return path.join(dir, 'embedded-redis.json');
}

export function configFile(dir: string): string {
  return path.join(dir, 'redis.conf');
}

export function passwordFile(dir: string): string {
  return path.join(dir, 'password');
}

export function readRedisRecord(dir: string): RedisRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(recordFile(dir), 'utf8')) as RedisRecord;
    return typeof record.pid === 'number' && typeof record.port === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (a temp file renamed into place): another start may be reading it. */
export function writeRedisRecord(dir: string, record: RedisRecord): void {
  const temp = `${recordFile(dir)}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(record), { mode: PRIVATE_FILE_MODE });
  renameSync(temp, recordFile(dir));
}

export function removeRedisRecord(dir: string): void {
  rmSync(recordFile(dir), { force: true });
}

/**
 * The server's password: made once (256 random bits) and kept in the folder, so that a
 * restarted server and the clients reconnecting to it agree without anyone configuring it.
 */
export function readOrCreatePassword(dir: string): string {
  const file = passwordFile(dir);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing !== '') return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // base64url: nothing a URL, a config file or a shell would need to quote.
  const password = randomBytes(32).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: PRIVATE_FILE_MODE });
  return password;
}

/**
 * The config file the server is started with. Settings go here rather than on the command
 * line because every local user can read a process's arguments (`ps`, /proc/<pid>/cmdline),
 * and the password is among them. Append-only with fsync every second, no RDB snapshots,
 * noeviction (a request must never be evicted to make room): DESIGN.md section 6.
 */
export function writeConfig(dir: string, port: number, password: string): string {
  const lines = [
    `port ${port}`,
    'bind 127.0.0.1',
    'protected-mode yes',
    // `dir` first: Redis changes into it at once, and the log file below is relative to it.
    `dir ${quote(dir)}`,
    'logfile redis.log',
    'daemonize no',
    'appendonly yes',
    'appendfsync everysec',
    'save ""',
    'maxmemory-policy noeviction',
    `requirepass ${quote(password)}`,
  ];
  const file = configFile(dir);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: PRIVATE_FILE_MODE });
  return file;
}

/** A value as redis.conf reads a double-quoted string (backslash escapes). */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
