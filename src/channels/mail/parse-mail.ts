/**
 * One mail, streamed from IMAP through mailparser: the size is counted and capped while it
 * flows (and its sha256 taken, the source key of a mail without Message-ID), text parts with
 * no declared charset are labelled first (unlabelled-charset.ts), and attachments — device
 * logs — go straight to the attachment store, never whole into memory.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MailParser, simpleParser, type AddressObject, type AttachmentStream, type MessageText } from 'mailparser';
import type { Attachment } from '../../domain/request.js';
import type { AttachmentStore } from '../../intake/attachment-store.js';
import { IntakeError, InternalFailure } from '../../errors.js';
import { htmlToPlainText } from './html-text.js';
import { UnlabelledCharsetLabeller } from './unlabelled-charset.js';

/** Mails up to this size are kept while parsed, for the plain-text second reading. */
const KEEP_MAX_BYTES = 1024 * 1024;

/** A mail as the channel needs it; header values are raw (unfolded) strings by lowercased name. */
export interface ParsedMail {
  messageId?: string;
  from?: { name?: string; address: string };
  subject: string;
  /** Plain text (mailparser derives it from the HTML of an HTML-only mail). */
  text: string;
  inReplyTo?: string;
  references: string[];
  header(name: string): string | undefined;
  attachments: Attachment[];
  /** sha256 (hex) of the raw source as received. */
  sourceSha256: string;
  /** The raw source, when it is at most 1 MB (a bounce's report is read from it). */
  source?: Buffer;
  size: number;
}

/**
 * Why a mail could not be read; the caller quarantines it with this reason. Only the mail's
 * own faults are one: a failing source (the IMAP download) or attachment store (a full disk)
 * is thrown as it is, and the mail is read again later.
 *
 * An internal failure, not an IntakeError: the drain catches every one and quarantines the
 * mail, and the sender learns of it only through the oversize notice, never from this error.
 * Not retryable: the same mail fails the same way.
 */
export class MailParseError extends InternalFailure {
  constructor(
    readonly reason: 'oversize' | 'unparseable' | 'attachment-too-large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super('MailParseError', message, options);
  }
}

/**
 * Reads `source` to its end (or to the cap) and returns what the mail says. A mail already in
 * memory (fetched whole with its group) is handed over as a Buffer: it is measured and hashed
 * at once and written straight into the parser, without the stream pipeline a download needs —
 * which costs several times what mailparser does for a small mail (bench/mail).
 */
export async function parseMail(source: Readable | Buffer, options: { attachments: AttachmentStore; maxBytes: number }): Promise<ParsedMail> {
  const hash = createHash('sha256');
  let size = 0;
  /** The source while it is small: read again as plain text if its MIME structure yields nothing. */
  let kept: Buffer[] | undefined = [];
  if (Buffer.isBuffer(source)) {
    if (source.length > options.maxBytes) throw new MailParseError('oversize', `The mail is larger than ${options.maxBytes} bytes.`);
    size = source.length;
    hash.update(source);
    kept = size <= KEEP_MAX_BYTES ? [source] : undefined;
  }
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > options.maxBytes) {
        done(new MailParseError('oversize', `The mail is larger than ${options.maxBytes} bytes.`));
        return;
      }
      if (kept && size <= KEEP_MAX_BYTES) kept.push(chunk);
      else kept = undefined;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const parser = new MailParser({ skipImageLinks: true, skipTextToHtml: true });
  const headerLines: Array<{ key: string; line: string }> = [];
  let headers: Map<string, unknown> = new Map();
  let text: MessageText | undefined;
  const attachments: Attachment[] = [];
  const saving: Array<Promise<void>> = [];
  /** Attachment contents still being stored; a failed parse ends them (see below). */
  const unfinished = new Set<Readable>();

  parser.on('headerLines', (lines: Array<{ key: string; line: string }>) => headerLines.push(...lines));
  parser.on('headers', (parsed: Map<string, unknown>) => {
    headers = parsed;
  });
  parser.on('data', (part: AttachmentStream | MessageText) => {
    if (part.type === 'text') {
      text = part;
      return;
    }
    // The parser waits for release(); the content must be read to its end either way.
    unfinished.add(part.content);
    const saved = options.attachments
      .save(part.content, { name: part.filename ?? 'attachment', type: part.contentType || 'application/octet-stream' })
      .then((attachment) => {
        attachments.push(attachment);
      })
      .catch((error: unknown) => {
        part.content.resume();
        throw error;
      })
      .finally(() => {
        unfinished.delete(part.content);
        part.release?.();
      });
    // Awaited after the pipeline; marked handled now so that an early failure is not "unhandled".
    saved.catch(() => undefined);
    saving.push(saved);
  });

  const labeller = new UnlabelledCharsetLabeller();
  // Which stream failed first. pipeline() destroys every other one with the same error, so the
  // error alone cannot tell a broken download from a broken mail; but those emit it a tick
  // after the one it came from, so the first of these listeners to hear it names that one.
  let failedFirst: 'source' | 'mail' | undefined;
  if (!Buffer.isBuffer(source)) {
    source.on('error', () => {
      failedFirst ??= 'source';
    });
  }
  for (const stage of [counter, labeller, parser]) {
    stage.on('error', () => {
      failedFirst ??= 'mail';
    });
  }
  try {
    if (Buffer.isBuffer(source)) await parseWhole(source, labeller, parser);
    else await pipeline(source, counter, labeller, parser);
  } catch (error) {
    // A parser that fails mid-attachment (more than mailsplit's 1,000 MIME parts, say) never
    // ends that attachment's content: its save would wait forever, and the drain with it.
    for (const content of unfinished) content.destroy();
    await Promise.allSettled(saving);
    if (!Buffer.isBuffer(source)) source.destroy();
    if (error instanceof MailParseError) throw error;
    // The download failed or ended early (a premature close says no error): not the mail's fault.
    if (failedFirst !== 'mail') throw error;
    throw new MailParseError('unparseable', `The mail could not be parsed: ${(error as Error).message}`, { cause: error });
  }
  // The whole mail was parsed, so a failed save is the store's doing (mailsplit's decoders do
  // not fail on bad input): a disk error is thrown as it is, only an oversize attachment is
  // the mail's fault.
  const failedSaves = (await Promise.allSettled(saving)).flatMap((settled) => (settled.status === 'rejected' ? [settled.reason as unknown] : []));
  const tooLarge = failedSaves.find((error) => error instanceof IntakeError && error.code === 'PAYLOAD_TOO_LARGE') as IntakeError | undefined;
  if (tooLarge) throw new MailParseError('attachment-too-large', tooLarge.message, { cause: tooLarge });
  if (failedSaves.length > 0) throw failedSaves[0];

  let plainText = (!labeller.sawPlainText && typeof text?.html === 'string' ? htmlToPlainText(text.html) : (text?.text ?? '')).replace(/\u00a0/g, ' ');
  const contentType = (headers.get('content-type') as { value?: string } | undefined)?.value ?? '';
  if (!plainText && attachments.length === 0 && kept && /^multipart\//i.test(contentType)) {
    // A multipart without a boundary, or whose boundary never comes, is all preamble to
    // mailparser: the request would be filed empty. Read as plain text it says what it says.
    plainText = (await parseMail(multipartAsPlainText(Buffer.concat(kept)), options)).text;
  }
  const lookup = rawHeaderLookup(headerLines);
  const from = await senderOf(headers, headerLines);
  const messageId = headers.get('message-id');
  const inReplyTo = headers.get('in-reply-to');
  const references = headers.get('references');
  return {
    ...(typeof messageId === 'string' && messageId.trim() ? { messageId: messageId.trim() } : {}),
    ...(from ? { from } : {}),
    subject: typeof headers.get('subject') === 'string' ? (headers.get('subject') as string) : '',
    text: plainText,
    ...(typeof inReplyTo === 'string' ? { inReplyTo } : {}),
    references: Array.isArray(references) ? references.map(String) : typeof references === 'string' ? [references] : [],
    header: lookup,
    attachments,
    sourceSha256: hash.digest('hex'),
    ...(kept ? { source: kept.length === 1 ? (kept[0] as Buffer) : Buffer.concat(kept) } : {}),
    size,
  };
}

/**
 * Who sent the mail: the first From mailbox with an address — also from a second From header,
 * which mailparser does not read (some senders put a bare display name in the first) — then
 * Sender, then Reply-To. None of them with an address: the mail has no sender.
 */
async function senderOf(headers: Map<string, unknown>, headerLines: ReadonlyArray<{ key: string; line: string }>): Promise<{ name?: string; address: string } | undefined> {
  const withAddress = (field: unknown): { name?: string; address: string } | undefined => {
    const found = (field as AddressObject | undefined)?.value.find((entry) => entry.address);
    return found?.address ? { address: found.address, ...(found.name ? { name: found.name } : {}) } : undefined;
  };
  const first = withAddress(headers.get('from'));
  if (first) return first;
  for (const { line } of headerLines.filter(({ key }) => key.toLowerCase() === 'from').slice(1)) {
    // Parsed alone as a header, so that its name is decoded (=?UTF-8?…?=) as the first one is.
    const another = withAddress((await simpleParser(`${line}\r\n\r\n`, { skipHtmlToText: true })).from);
    if (another) return another;
  }
  return withAddress(headers.get('sender')) ?? withAddress(headers.get('reply-to'));
}

/** Writes a whole mail through the labeller into the parser; resolves once the parser has emitted everything. */
function parseWhole(mail: Buffer, labeller: UnlabelledCharsetLabeller, parser: MailParser): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      labeller.destroy();
      parser.destroy();
      reject(error);
    };
    labeller.once('error', fail);
    parser.once('error', fail);
    parser.once('end', () => resolve());
    // Closed without its end (destroyed from inside): nothing more will come. After `end` this is a no-op.
    parser.once('close', () => reject(new MailParseError('unparseable', 'The mail could not be parsed: the parser stopped before its end.')));
    labeller.pipe(parser);
    labeller.end(mail);
  });
}

/** The mail with its top-level Content-Type (a multipart) replaced by text/plain. */
function multipartAsPlainText(source: Buffer): Buffer {
  const text = source.toString('latin1');
  const blank = text.search(/\r?\n\r?\n/);
  const head = blank === -1 ? text : text.slice(0, blank);
  return Buffer.from(head.replace(/^content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*/im, 'Content-Type: text/plain') + text.slice(head.length), 'latin1');
}

/** Raw header values (unfolded, undecoded) by lowercased name; repeats joined with ", ". */
export function rawHeaderLookup(lines: ReadonlyArray<{ key: string; line: string }>): (name: string) => string | undefined {
  const values = new Map<string, string>();
  for (const { key, line } of lines) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    const name = key.toLowerCase();
    values.set(name, values.has(name) ? `${values.get(name)}, ${value}` : value);
  }
  return (name) => values.get(name.toLowerCase());
}
