/**
 * Whose fault a failed read is (parse-mail.ts): the mail's own (a MailParseError, quarantined)
 * or the download's or the attachment store's (thrown as it is, read again later). The source
 * that breaks off is a stand-in for the IMAP stream; the store is the real one on a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { MailParseError, parseMail } from '../../src/channels/mail/parse-mail.js';
import { AttachmentStore } from '../../src/intake/attachment-store.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'hezo-mail-parse-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const store = (name: string, maxBytes = 1_000_000) => new AttachmentStore(path.join(root, name), maxBytes);

const CRLF = '\r\n';
/** A multipart report with these attachments (name → content). */
function mailWith(attachments: Array<[string, string]>): string {
  const parts = attachments.map(([name, content]) =>
    ['--b', `Content-Type: text/plain; name="${name}"`, `Content-Disposition: attachment; filename="${name}"`, '', content].join(CRLF),
  );
  return [
    'From: Anna Nowak <anna.nowak@example.pl>', 'To: pomoc@myhezo.pl', 'Subject: Logi', 'Message-ID: <logs@example.pl>', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', 'S/N: XLS812-240517',
    ...parts, '--b--', '',
  ].join(CRLF);
}

describe('parseMail: the mail at fault or not', () => {
  it('throws a download that breaks off as it is, not as an unparseable mail', async () => {
    const raw = mailWith([['library.log', 'ERROR picker jam\r\n'.repeat(2000)]]);
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const source = new Readable({ read() {} });
    source.push(raw.slice(0, raw.length / 2));
    setImmediate(() => source.destroy(reset));
    await expect(parseMail(source, { attachments: store('download'), maxBytes: 1_000_000 })).rejects.toBe(reset);
  });

  it('throws the attachment store failing to write (ENOENT) as it is, not as an unparseable mail', async () => {
    const broken = store('no-tmp');
    rmSync(path.join(broken.dir, 'tmp'), { recursive: true });
    const reading = parseMail(Readable.from([mailWith([['library.log', 'ERROR picker jam']])]), { attachments: broken, maxBytes: 1_000_000 });
    await expect(reading).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(reading).rejects.not.toBeInstanceOf(MailParseError);
  });

  it('still calls an attachment over the limit the mail’s fault, beside one that was stored', async () => {
    const reading = parseMail(Readable.from([mailWith([['small.log', 'ok'], ['big.log', 'y'.repeat(500)]])]), { attachments: store('small', 100), maxBytes: 1_000_000 });
    await expect(reading).rejects.toMatchObject({ name: 'MailParseError', reason: 'attachment-too-large' });
  });

  it('still calls a mail with more MIME parts than mailsplit reads unparseable', async () => {
    const many = Array.from({ length: 1200 }, (_, n): [string, string] => [`log${n}.txt`, `log ${n}`]);
    const reading = parseMail(Readable.from([mailWith(many)]), { attachments: store('many'), maxBytes: 10_000_000 });
    await expect(reading).rejects.toMatchObject({ name: 'MailParseError', reason: 'unparseable' });
  });

  it('tells the same faults apart for a mail handed over whole (a Buffer, as the drain prefetches small mail)', async () => {
    const many = Array.from({ length: 1200 }, (_, n): [string, string] => [`log${n}.txt`, `log ${n}`]);
    await expect(parseMail(Buffer.from(mailWith(many)), { attachments: store('many-whole'), maxBytes: 10_000_000 })).rejects.toMatchObject({ name: 'MailParseError', reason: 'unparseable' });
    await expect(parseMail(Buffer.from(mailWith([['a.log', 'x'.repeat(2_000)]])), { attachments: store('oversize-whole'), maxBytes: 1_000 })).rejects.toMatchObject({
      name: 'MailParseError',
      reason: 'oversize',
    });
    const big = parseMail(Buffer.from(mailWith([['small.log', 'ok'], ['big.log', 'y'.repeat(500)]])), { attachments: store('small-whole', 100), maxBytes: 1_000_000 });
    await expect(big).rejects.toMatchObject({ name: 'MailParseError', reason: 'attachment-too-large' });
    const broken = store('no-tmp-whole');
    rmSync(path.join(broken.dir, 'tmp'), { recursive: true });
    const failing = parseMail(Buffer.from(mailWith([['library.log', 'ERROR picker jam']])), { attachments: broken, maxBytes: 1_000_000 });
    await expect(failing).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
