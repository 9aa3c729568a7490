/**
 * Mail whose text parts declare no charset (old Polish mailers, scripts, some scanners) is
 * decoded by mailparser as UTF-8, which turns ISO-8859-2 / Windows-1250 letters into U+FFFD.
 * This transform sits in front of the parser: for each text part with no charset it holds the
 * part's body back (bounded), looks at its bytes, and labels the part utf-8, windows-1250 or
 * iso-8859-2 before passing it on. Everything else flows through unchanged.
 */
import { Transform, type TransformCallback } from 'node:stream';

/** A text part larger than this is passed on unlabelled (mailparser's UTF-8 default). */
const MAX_HELD_BYTES = 1024 * 1024;

type Mode = 'header' | 'body' | 'held';

export class UnlabelledCharsetLabeller extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private out: Buffer[] = [];
  private mode: Mode = 'header';
  private headerLines: Buffer[] = [];
  private held: Buffer[] = [];
  private heldBytes = 0;
  private heldEncoding = '';
  /** A Set: a mail may declare thousands of nested boundaries, and every `--` line is looked up. */
  private readonly boundaries = new Set<string>();
  /** Whether the mail has a text/plain part (else its text comes from its HTML). */
  sawPlainText = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    for (let newline = this.pending.indexOf(10, start); newline !== -1; newline = this.pending.indexOf(10, start)) {
      this.line(this.pending.subarray(start, newline + 1));
      start = newline + 1;
    }
    this.pending = this.pending.subarray(start);
    this.pushOut();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length) this.line(this.pending);
    this.pending = Buffer.alloc(0);
    if (this.mode === 'header') this.send(Buffer.concat(this.headerLines));
    if (this.mode === 'held') this.releaseHeld();
    this.pushOut();
    done();
  }

  /**
   * Output is gathered and pushed once per input chunk: a push per line costs more than the
   * parser behind it does (200,000 short lines took 1.5 s instead of 0.1 s).
   */
  private send(bytes: Buffer): void {
    if (bytes.length) this.out.push(bytes);
  }

  private pushOut(): void {
    if (this.out.length) this.push(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out));
    this.out = [];
  }

  private line(line: Buffer): void {
    if (this.mode === 'header') {
      this.headerLines.push(line);
      if (line.length <= 2 && line.toString('latin1').trim() === '') this.endOfHeader();
      return;
    }
    const boundary = this.boundaryOf(line);
    if (boundary !== undefined) {
      if (this.mode === 'held') this.releaseHeld();
      this.send(line);
      this.mode = boundary === 'close' ? 'body' : 'header';
      this.headerLines = [];
      return;
    }
    if (this.mode === 'held') {
      this.held.push(line);
      this.heldBytes += line.length;
      if (this.heldBytes > MAX_HELD_BYTES) {
        // Too big to hold: pass it on as it is.
        this.send(Buffer.concat(this.headerLines));
        this.send(Buffer.concat(this.held));
        this.held = [];
        this.mode = 'body';
      }
      return;
    }
    this.send(line);
  }

  private endOfHeader(): void {
    const header = Buffer.concat(this.headerLines).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
    const contentType = /^content-type:\s*([^\r\n]*)/im.exec(header)?.[1] ?? '';
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    if (/^\s*multipart\//i.test(contentType) && boundary) this.boundaries.add(boundary[1] ?? boundary[2] ?? '');
    const isText = contentType.trim() === '' || /^\s*text\//i.test(contentType);
    const isAttachment = /^content-disposition:\s*attachment/im.test(header);
    if (!isAttachment && (contentType.trim() === '' || /^\s*text\/plain/i.test(contentType))) this.sawPlainText = true;
    if (isText && !/charset\s*=/i.test(contentType)) {
      this.mode = 'held';
      this.held = [];
      this.heldBytes = 0;
      this.heldEncoding = (/^content-transfer-encoding:\s*([^\s;]+)/im.exec(header)?.[1] ?? '7bit').toLowerCase();
      return;
    }
    this.send(Buffer.concat(this.headerLines));
    this.mode = 'body';
  }

  private releaseHeld(): void {
    const body = Buffer.concat(this.held);
    const charset = guessCharset(decodeTransfer(body, this.heldEncoding));
    this.send(Buffer.from(labelHeader(this.headerLines, charset), 'latin1'));
    this.send(body);
    this.held = [];
    this.mode = 'body';
  }

  private boundaryOf(line: Buffer): 'open' | 'close' | undefined {
    if (line[0] !== 45 || line[1] !== 45) return undefined;
    const text = line.toString('latin1').trimEnd().slice(2);
    if (this.boundaries.has(text)) return 'open';
    if (text.endsWith('--') && this.boundaries.has(text.slice(0, -2))) return 'close';
    return undefined;
  }
}

/** Adds `charset=` to the part's Content-Type, or a Content-Type line before the blank line. */
function labelHeader(lines: readonly Buffer[], charset: string): string {
  const header = Buffer.concat(lines.slice(0, -1)).toString('latin1');
  const blank = lines.at(-1)?.toString('latin1') ?? '\r\n';
  if (/^content-type:/im.test(header)) {
    return header.replace(/^(content-type:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im, `$1; charset=${charset}`) + blank;
  }
  return `${header}Content-Type: text/plain; charset=${charset}${blank}${blank}`;
}

/** The bytes a part's body stands for, for the charset check only. */
function decodeTransfer(body: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    const text = body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  }
  return body;
}

/**
 * UTF-8 when the bytes are valid UTF-8; otherwise a Polish 8-bit charset: Windows-1250 uses
 * 0x80–0x9F for letters (ś 0x9C, ź 0x9F, Ś 0x8C…) where ISO-8859-2 has only control codes.
 */
export function guessCharset(bytes: Buffer): 'utf-8' | 'windows-1250' | 'iso-8859-2' {
  if (!bytes.some((byte) => byte >= 0x80)) return 'utf-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return 'utf-8';
  } catch {
    return bytes.some((byte) => byte >= 0x80 && byte <= 0x9f) ? 'windows-1250' : 'iso-8859-2';
  }
}
