/**
 * Parsing a small mail, CPU per mail, sixteen at a time as the drain does (mail/drain.ts):
 * parseMail() from a Buffer (a mail fetched whole with its group), parseMail() from a stream
 * (a download), and — the same-run baseline — mailparser alone with nothing around it.
 * `npx tsx bench/mail-parse.bench.ts` (BENCH_PARSE_MAILS to change the count).
 */
import { Readable } from 'node:stream';
import { MailParser } from 'mailparser';
import { parseMail } from '../src/channels/mail/parse-mail.js';
import type { AttachmentStore } from '../src/intake/attachment-store.js';

const MAILS = Number(process.env.BENCH_PARSE_MAILS ?? 4000);
const CONCURRENCY = 16;
const raw = Buffer.from(
  [
    'From: Anna Nowak <anna.nowak@example.pl>', 'To: pomoc@myhezo.pl', 'Subject: Awaria biblioteki', 'Message-ID: <bench@example.pl>',
    'Date: Thu, 26 Nov 2026 10:15:00 +0100', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '',
    'Dzień dobry,', 'biblioteka taśmowa zgłasza błąd robota (kod 0x42), napęd nie wysuwa taśmy.', 'Numer umowy: HZ-2026-00123', 'S/N: XLS812-240517', '',
    'Pozdrawiam', 'Anna Nowak', '',
  ].join('\r\n'),
);
// The mail has no attachment: the store is never asked.
const attachments = {} as AttachmentStore;

async function cpuPerMail(work: () => Promise<unknown>, count: number): Promise<number> {
  const before = process.cpuUsage();
  let started = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started++ < count) await work();
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / count;
}

const bare = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const parser = new MailParser({ skipImageLinks: true, skipTextToHtml: true });
    parser.on('data', () => undefined);
    parser.on('end', () => resolve());
    parser.on('error', reject);
    parser.end(raw);
  });
const whole = () => parseMail(raw, { attachments, maxBytes: 1_000_000 });
const streamed = () => parseMail(Readable.from([raw]), { attachments, maxBytes: 1_000_000 });

// Warm-up, so that the first measured kind does not pay for compilation.
for (const work of [bare, whole, streamed]) await cpuPerMail(work, 300);
const baseline = await cpuPerMail(bare, MAILS);
const fromBuffer = await cpuPerMail(whole, MAILS);
const fromStream = await cpuPerMail(streamed, MAILS);
console.log(`baseline: mailparser alone: ${baseline.toFixed(3)} ms CPU a mail (${MAILS} mails, ${CONCURRENCY} at a time)`);
console.log(`parseMail from a Buffer (prefetched mail): ${fromBuffer.toFixed(3)} ms CPU a mail, ${(fromBuffer / baseline).toFixed(2)}× the baseline`);
console.log(`parseMail from a stream (downloaded mail): ${fromStream.toFixed(3)} ms CPU a mail, ${(fromStream / baseline).toFixed(2)}× the baseline`);
