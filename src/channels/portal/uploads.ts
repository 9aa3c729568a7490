/**
 * Device-log uploads: a multer storage engine that streams each file through a content check
 * into the AttachmentStore (never whole in memory). The type is sniffed from the first bytes
 * (file-type) rather than taken from the sender, and executables are refused — by their magic
 * numbers (PE, ELF, Mach-O, `#!` scripts) and by the script extensions Windows would run.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Request } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import multer, { type StorageEngine } from 'multer';
import { IntakeError, InternalFailure, isIntakeError } from '../../errors.js';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import { safeContentType, sanitizeFileName } from '../../intake/attachment-store.js';

/** Bytes file-type needs to recognise nearly every format. */
const SNIFF_BYTES = 4100;

/** Extensions refused whatever the content: what Windows or a shell would run on a double click. */
export const EXECUTABLE_EXTENSIONS = ['.exe', '.bat', '.cmd', '.ps1', '.sh', '.js', '.vbs', '.msi', '.dll', '.scr', '.com', '.jar'] as const;

const EXECUTABLE_MIME_TYPES = new Set([
  'application/x-msdownload',
  'application/vnd.microsoft.portable-executable',
  'application/x-elf',
  'application/x-executable',
  'application/x-sharedlib',
  'application/x-mach-binary',
  'application/java-vm',
]);

/**
 * Why a file is an executable (to tell the sender), or null. Pure: name and first bytes.
 * The extension is judged on the name as sent and on the name the file is stored and offered
 * under: sanitizeFileName() drops trailing dots and spaces (`fix.bat.` → `fix.bat`) and cuts
 * long names, so a name harmless as sent can become a program's once stored. Trailing dots and
 * spaces are ignored in both, as Windows ignores them when it saves the download.
 */
export function executableReason(name: string, head: Uint8Array, sniffedMime?: string): string | null {
  const names = [name, sanitizeFileName(name)].map((candidate) => candidate.toLowerCase().replace(/[.\s]+$/, ''));
  const extension = EXECUTABLE_EXTENSIONS.find((ext) => names.some((candidate) => candidate.endsWith(ext)));
  if (extension) return `files ending in ${extension} are not accepted`;
  const at = (i: number): number => head[i] ?? -1;
  if (at(0) === 0x4d && at(1) === 0x5a) return 'it is a Windows program (MZ/PE header)';
  if (at(0) === 0x7f && at(1) === 0x45 && at(2) === 0x4c && at(3) === 0x46) return 'it is a Linux program (ELF header)';
  const magic = head.length >= 4 ? Buffer.from(head.subarray(0, 4)).readUInt32BE(0) : 0;
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return 'it is a macOS program (Mach-O header)';
  if (at(0) === 0x23 && at(1) === 0x21) return 'it is a script (#! line)';
  if (sniffedMime && EXECUTABLE_MIME_TYPES.has(sniffedMime)) return `it is a program (${sniffedMime})`;
  return null;
}

/**
 * Passes a file through unchanged once its first bytes are judged; an executable makes the
 * stream fail (the store then removes the partial file). `sniffed` holds the detected type.
 */
class ContentCheck extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;
  private judged = false;
  sniffed: string | undefined;

  constructor(private readonly name: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.judged) {
      done(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headBytes += chunk.length;
    if (this.headBytes < SNIFF_BYTES) {
      done();
      return;
    }
    this.judge().then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.judged) {
      done();
      return;
    }
    this.judge().then(() => done(), done);
  }

  private async judge(): Promise<void> {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.judged = true;
    const detected = await fileTypeFromBuffer(head.subarray(0, SNIFF_BYTES));
    this.sniffed = detected?.mime;
    const reason = executableReason(this.name, head, detected?.mime);
    if (reason) {
      throw new IntakeError('UNSUPPORTED_MEDIA_TYPE', `"${sanitizeFileName(this.name)}" was refused: ${reason}. Send logs as text or an archive (zip, tar.gz).`);
    }
    this.push(head);
  }
}

/**
 * A failure of the AttachmentStore itself while storing an upload (a full disk, a folder that
 * cannot be written), as the storage engine hands it to multer. multer passes on the errors of
 * parsing the body (busboy's) and of the storage engine alike; this wrapper is how
 * uploadError() tells ours from the sender's, so that a broken disk stays a 500 of ours and is
 * not answered as a malformed upload.
 *
 * An internal failure, not an IntakeError: uploadError() always unwraps it, and the caller is
 * answered for the failure inside (a 500 INTERNAL, which says a retry can help).
 */
class StoreFailure extends InternalFailure {
  constructor(readonly failure: unknown) {
    super('StoreFailure', 'the attachment store failed', { cause: failure });
  }
}

/** A multer storage engine writing into the AttachmentStore; `path` of the result is the storage key. */
export function attachmentStorage(store: AttachmentStore): StorageEngine {
  return {
    _handleFile(_req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
      const check = new ContentCheck(file.originalname);
      // busboy fails the part's stream when the body breaks off or is malformed; the store's
      // failure that follows is then the sender's fault, not the store's.
      let partFailed = false;
      file.stream.on('error', (error) => {
        partFailed = true;
        check.destroy(error);
      });
      file.stream.pipe(check);
      store.save(check, { name: file.originalname, type: file.mimetype }).then(
        (attachment) =>
          callback(null, {
            filename: attachment.name,
            // The sniffed type wins over the sender's claim; unknown content keeps the claim as a label.
            mimetype: check.sniffed ?? safeContentType(file.mimetype),
            size: attachment.size,
            path: attachment.storageKey,
          }),
        (error: unknown) => {
          // Drain the rest so busboy can finish the request and the error reaches the client.
          file.stream.resume();
          // IntakeErrors (too large, an executable) already say whose fault they are.
          callback(partFailed || isIntakeError(error) ? error : new StoreFailure(error));
        },
      );
    },
    _removeFile(_req: Request, _file: Express.Multer.File, callback: (error: Error | null) => void): void {
      // Stored content is shared by checksum (another request may hold the same log), so an
      // aborted upload leaves what it stored; nothing refers to it.
      callback(null);
    },
  };
}

/** The multer middleware for `files` parts, with count and size limits from settings. */
export function uploadMiddleware(store: AttachmentStore, limits: { maxFiles: number; maxBytes: number }): ReturnType<multer.Multer['array']> {
  return multer({
    storage: attachmentStorage(store),
    limits: {
      files: limits.maxFiles,
      // One byte over the store's limit so the store sees the oversize file and refuses it itself.
      fileSize: limits.maxBytes + 1,
      fields: 10,
      fieldSize: 10_000,
      parts: limits.maxFiles + 10,
    },
  }).array('files', limits.maxFiles);
}

/**
 * What multer failed with, as an IntakeError with the right status: the store's own failures
 * as they are (500), its refusals and multer's limits as 4xx, and everything else — busboy
 * parsing the body (no boundary, a malformed or unterminated form) or the request breaking
 * off — as a malformed upload (400). multer raises nothing else.
 */
export function uploadError(error: unknown, limits: { maxFiles: number; maxBytes: number }): unknown {
  if (error instanceof StoreFailure) return error.failure;
  if (isIntakeError(error)) return error;
  if (!(error instanceof multer.MulterError)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new IntakeError('INPUT_INVALID', `The upload is not valid multipart/form-data (${reason}); nothing was attached. Send the files again in parts named "files".`, {
      details: [{ path: '(body)', message: reason }],
      cause: error,
    });
  }
  if (error.code === 'LIMIT_FILE_SIZE') return new IntakeError('PAYLOAD_TOO_LARGE', `A file is larger than ${limits.maxBytes} bytes; nothing was attached.`);
  if (error.code === 'LIMIT_FILE_COUNT' || error.code === 'LIMIT_UNEXPECTED_FILE') {
    return error.code === 'LIMIT_FILE_COUNT' || error.field === 'files'
      ? new IntakeError('PAYLOAD_TOO_LARGE', `At most ${limits.maxFiles} files per upload; nothing was attached.`)
      : new IntakeError('INPUT_INVALID', `Send files in parts named "files", not "${error.field ?? ''}".`, { details: [{ path: error.field ?? 'files', message: 'unexpected file field' }] });
  }
  return new IntakeError('INPUT_INVALID', `The upload is malformed (${error.message}).`, { details: [{ path: error.field ?? '(body)', message: error.message }] });
}
