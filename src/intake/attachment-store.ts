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

/** An attachment written to the temp folder, not yet in the store (AttachmentStore.stage). */
export interface StagedAttachment {
  attachment: Attachment;
  stagedPath: string;
}

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
    return this.commit(await this.write(content, meta));
  }

  /** Streams `content` into the temp folder, counting, hashing and limiting it. */
  private async write(content: Readable, meta: { name: string; type: string }): Promise<StagedAttachment> {
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
    return { stagedPath: temporary, attachment: { name: sanitizeFileName(meta.name), type: safeContentType(meta.type), size, sha256, storageKey } };
  }

  /**
   * Like `save`, but the content stays in the store's temp folder until `commit`: an upload of
   * several files that fails half-way (the 21st file refused) `discard`s what it staged, and
   * leaves nothing on disk — content-addressed files may be shared, so a committed one could
   * not be taken back.
   */
  async stage(content: Readable, meta: { name: string; type: string }): Promise<StagedAttachment> {
    return this.write(content, meta);
  }

  /** Moves a staged attachment into the store under its storage key. */
  async commit(staged: StagedAttachment): Promise<Attachment> {
    const target = this.pathOf(staged.attachment.storageKey);
    mkdirSync(path.dirname(target), { recursive: true, mode: PRIVATE_FOLDER_MODE });
    // Same content, same key: a second copy simply replaces the first.
    await rename(staged.stagedPath, target);
    return staged.attachment;
  }

  /** Removes a staged attachment (never a stored one). */
  async discard(staged: StagedAttachment): Promise<void> {
    await rm(staged.stagedPath, { force: true });
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

/** Bidi controls (LRM, RLM, ALM, LRE…RLO, LRI…PDI), zero-width characters, BOM and C1 controls. */
const BIDI_AND_INVISIBLE = /[\u0080-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A file name safe to show and to offer as a download name: no directories (`../../etc/passwd`
 * → `passwd`), no control or reserved characters, no leading dots, at most 200 characters.
 * Polish letters stay.
 */
export function sanitizeFileName(name: string): string {
  const base = name.replace(/\\/g, '/').split('/').pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    // Direction marks and overrides (U+202E shows `log\u202Etxt.hta` as "logath.txt"), isolates,
    // zero-width characters and C1 controls change how a name reads without being seen: gone.
    .replace(BIDI_AND_INVISIBLE, '')
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
