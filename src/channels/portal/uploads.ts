/**
 * Device-log uploads: a multer storage engine that streams each file through a content check
 * into the AttachmentStore's temp folder (never whole in memory), and commits the files only
 * when the whole upload was accepted — a refused upload (the 21st file, a program in the
 * middle) leaves nothing on disk. Only an allow-list of types is taken, judged by the name's
 * extension AND by the content (file-type sniffs the first bytes; text must look like text),
 * so `report.pdf` that is a program, or `notes.hta` that is text, are refused alike (415).
 * Names are read as UTF-8 (browsers and curl send raw UTF-8 in `filename=`; multer's default
 * reads them as latin1 and stored "zażółć" garbled).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Request } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import multer, { type StorageEngine } from 'multer';
import type { Attachment } from '../../domain/request.js';
import { IntakeError, InternalFailure, isIntakeError } from '../../errors.js';
import type { AttachmentStore, StagedAttachment } from '../../intake/attachment-store.js';
import { safeContentType, sanitizeFileName } from '../../intake/attachment-store.js';
import { ALLOWED_ATTACHMENTS, ALLOWED_EXTENSIONS_TEXT } from './attachment-types.js';

const TEXT_MIME_TYPES = new Set(['application/xml', 'text/xml']);

/** Bytes file-type needs to recognise nearly every format. */
const SNIFF_BYTES = 4100;

/** Extensions named as programs when refused (the allow-list refuses them anyway). */
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
 * Why a file is not on the allow-list (to tell the sender), or null. Pure: name and first
 * bytes. Programs are named as such first; then the extension of the name as stored (direction
 * overrides and invisible characters gone: `log\u202Etxt.hta` is judged as `logtxt.hta`) must
 * be allowed, and the content must be what the extension says.
 */
export function attachmentRefusal(name: string, head: Uint8Array, sniffedMime?: string): string | null {
  const executable = executableReason(name, head, sniffedMime);
  if (executable) return executable;
  const stored = sanitizeFileName(name).toLowerCase();
  const dot = stored.lastIndexOf('.');
  const extension = dot > 0 ? stored.slice(dot + 1) : '';
  const expected = Object.hasOwn(ALLOWED_ATTACHMENTS, extension) ? ALLOWED_ATTACHMENTS[extension] : undefined;
  if (!expected) return extension ? `files ending in .${extension} are not accepted` : 'a file name without an extension is not accepted';
  if (expected === 'text') {
    if (sniffedMime && !TEXT_MIME_TYPES.has(sniffedMime)) return `its content is ${sniffedMime}, not text`;
    const utf16 = (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
    if (!utf16 && head.includes(0)) return 'its content is binary, not text';
    return null;
  }
  if (!sniffedMime || !expected.includes(sniffedMime)) return `its content is ${sniffedMime ?? 'not recognised'}, not .${extension}`;
  return null;
}

/** The 415 of a refused file, listing what is allowed. */
function notAllowed(name: string, reason: string): IntakeError {
  return new IntakeError(
    'ATTACHMENT_NOT_ALLOWED',
    `"${sanitizeFileName(name)}" was refused: ${reason}; nothing was attached. Allowed, by name and by content: ${ALLOWED_EXTENSIONS_TEXT}.`,
    { details: [{ path: 'files', message: `allowed: ${ALLOWED_EXTENSIONS_TEXT}` }] },
  );
}

/**
 * Passes a file through unchanged once its first bytes are judged; a refused file makes the
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
    const reason = attachmentRefusal(this.name, head, detected?.mime);
    if (reason) throw notAllowed(this.name, reason);
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

/** The files an upload staged, by request: committed together when it is accepted, else discarded. */
const stagedUploads = new WeakMap<Request, Array<Promise<StagedAttachment | null>>>();

/** A multer storage engine staging into the AttachmentStore; `path` of the result is the storage key. */
export function attachmentStorage(store: AttachmentStore): StorageEngine {
  return {
    _handleFile(req: Request, file: Express.Multer.File, callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void): void {
      const check = new ContentCheck(file.originalname);
      // busboy fails the part's stream when the body breaks off or is malformed; the store's
      // failure that follows is then the sender's fault, not the store's.
      let partFailed = false;
      file.stream.on('error', (error) => {
        partFailed = true;
        check.destroy(error);
      });
      file.stream.pipe(check);
      const staging = store.stage(check, { name: file.originalname, type: file.mimetype });
      const staged = stagedUploads.get(req) ?? [];
      staged.push(staging.catch(() => null));
      stagedUploads.set(req, staged);
      staging.then(
        ({ attachment }) =>
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
          // IntakeErrors (too large, not allowed) already say whose fault they are.
          callback(partFailed || isIntakeError(error) ? error : new StoreFailure(error));
        },
      );
    },
    _removeFile(_req: Request, _file: Express.Multer.File, callback: (error: Error | null) => void): void {
      // finishUpload() discards everything the upload staged, once every file has settled.
      callback(null);
    },
  };
}

/**
 * Ends an upload: once every file it staged has settled (one may still be writing when
 * another was refused), commits them all when `accepted`, else removes them all.
 */
export async function finishUpload(req: Request, store: AttachmentStore, accepted: boolean): Promise<Attachment[]> {
  const staged = (await Promise.all(stagedUploads.get(req) ?? [])).filter((file): file is StagedAttachment => file !== null);
  stagedUploads.delete(req);
  if (!accepted) {
    await Promise.all(staged.map((file) => store.discard(file)));
    return [];
  }
  return Promise.all(staged.map((file) => store.commit(file)));
}

/** The multer middleware for `files` parts, with count and size limits from settings. */
export function uploadMiddleware(store: AttachmentStore, limits: { maxFiles: number; maxBytes: number }): ReturnType<multer.Multer['array']> {
  return multer({
    storage: attachmentStorage(store),
    // Raw UTF-8 in `filename="zażółć gęślą.log"` (what browsers and curl send) read as UTF-8.
    defParamCharset: 'utf8',
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
