/**
 * The data folder holds what customers sent (attachments, call drafts) and the Redis files
 * (requests, ops sessions): readable by the gateway's own user only. Folders are 0700 and
 * files 0600, whatever the umask; folders an earlier version created looser are tightened
 * when the gateway starts. Only the folders the gateway owns are touched: the parent of a
 * configured folder (/srv, a home folder) is the operator's.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_FOLDER_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) 0700, or tightens it to 0700 when it is looser. */
export function ensurePrivateFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  tighten(dir, PRIVATE_FOLDER_MODE);
}

/**
 * `ensurePrivateFolder`, then every folder and file below it tightened too: for folders
 * with few files (the Redis folder), where a walk costs nothing.
 */
export function ensurePrivateTree(dir: string): void {
  ensurePrivateFolder(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) ensurePrivateTree(full);
    else if (entry.isFile()) tighten(full, PRIVATE_FILE_MODE);
  }
}

/** Removes group and other permissions from `file` when it has any. */
export function tighten(file: string, mode: number): void {
  const current = statSync(file).mode & 0o777;
  if ((current & 0o077) !== 0) chmodSync(file, current & mode);
}
