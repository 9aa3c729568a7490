/**
 * The attachment store: device logs and other files from mail and the portal, streamed to
 * disk (never held whole in memory) and kept by their sha256, so the same log sent twice is
 * stored once and every copy can be checked against its checksum. File names from senders
 * are only ever shown or offered as download names — never used as paths.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, type ReadStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Attachment } from '../domain/request.js';
import { IntakeError } from '../errors.js';
import { PRIVATE_FILE_MODE, PRIVATE_FOLDER_MODE, ensurePrivateFolder } from '../private-files.js';

export class AttachmentStore {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    // What customers sent (device logs with hostnames, serials, configs): the gateway's user only.
    ensurePrivateFolder(dir);
    ensurePrivateFolder(path.join(dir, 'tmp'));
  }

  /**
   * Streams `content` into the store. Over `maxBytes` the partial file is removed and a
   * PAYLOAD_TOO_LARGE error is thrown (the caller answers 413 or quarantines the mail).
   */
  async save(content: Readable, meta: { name: string; type: string }): Promise<Attachment> {
    const hash = createHash('sha256');
    let size = 0;
    const maxBytes = this.maxBytes;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) {
          done(new IntakeError('PAYLOAD_TOO_LARGE', `The attachment "${sanitizeFileName(meta.name)}" is larger than ${maxBytes} bytes.`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const temporary = path.join(this.dir, 'tmp', randomUUID());
    const file = createWriteStream(temporary, { flags: 'wx', mode: PRIVATE_FILE_MODE });
    try {
      await pipeline(content, counter, file);
    } catch (error) {
      // pipeline() rejects before the file is closed, and its open may still be pending:
      // removing it then could run before the open creates it and leave it behind for good.
      if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
      await rm(temporary, { force: true });
      throw error;
    }
    const sha256 = hash.digest('hex');
    const storageKey = `sha256/${sha256.slice(0, 2)}/${sha256}`;
    const target = this.pathOf(storageKey);
    mkdirSync(path.dirname(target), { recursive: true, mode: PRIVATE_FOLDER_MODE });
    // Same content, same key: a second copy simply replaces the first.
    await rename(temporary, target);
    return { name: sanitizeFileName(meta.name), type: safeContentType(meta.type), size, sha256, storageKey };
  }

  /** Reads a stored attachment back. */
  open(storageKey: string): ReadStream {
    return createReadStream(this.pathOf(storageKey));
  }

  async exists(storageKey: string): Promise<boolean> {
    return stat(this.pathOf(storageKey)).then(
      () => true,
      () => false,
    );
  }

  /** The file of a storage key; keys are ours (`sha256/ab/<hex>`), anything else is refused. */
  pathOf(storageKey: string): string {
    if (!/^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(storageKey)) {
      throw new IntakeError('INPUT_INVALID', `"${storageKey}" is not an attachment key.`);
    }
    return path.join(this.dir, storageKey);
  }
}

/**
 * A file name safe to show and to offer as a download name: no directories (`../../etc/passwd`
 * → `passwd`), no control or reserved characters, no leading dots, at most 200 characters.
 * Polish letters stay.
 */
export function sanitizeFileName(name: string): string {
  const base = name.replace(/\\/g, '/').split('/').pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '')
    .slice(0, 200);
  return cleaned || 'attachment';
}

/** Content types as labels only; anything odd becomes application/octet-stream. */
export function safeContentType(type: string): string {
  const lowered = type.toLowerCase().split(';')[0]?.trim() ?? '';
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(lowered) ? lowered : 'application/octet-stream';
}
