/**
 * Secrets given in the settings or in a file the settings name. A file is read at every use,
 * so that a secret rotated by whoever mounts it (a Kubernetes or Docker secret) needs no restart.
 */
import { readFile } from 'node:fs/promises';
import type { MailAuth } from './auth-settings.js';
import { CredentialsFailure } from './credentials-failure.js';

/** The value, or the content of `file` without its trailing line end; `field` names the file setting in messages. */
export async function readSecret(kind: MailAuth['type'], value: string | undefined, file: string | undefined, field: string): Promise<string> {
  if (value !== undefined) return value;
  if (file === undefined) return '';
  return (await readSecretFile(kind, file, field)).replace(/\r?\n$/, '');
}

/** A file named in the settings (a key, a certificate, a service account), whole. */
export async function readSecretFile(kind: MailAuth['type'], file: string, field: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'this user may not read it' : (error as Error).message;
    throw new CredentialsFailure(kind, 'secret-file', `cannot read ${field} ${file}: ${why}`);
  }
}
