/**
 * The mail channel's pure rules: loop guard, threading references, quote stripping, number
 * extraction and normalization, charset guessing, and the HTML-to-text used for HTML-only mail.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { compilePatterns, detectLanguage, extractNumbers, knownToRegistry, normalizeContract, stripQuotedAndSignature, type KnownSerial } from '../../src/channels/mail/extract.js';
import { htmlToPlainText } from '../../src/channels/mail/html-text.js';
import { LOOP_GUARD_HEADERS, loopGuardReason, spamFlag } from '../../src/channels/mail/loop-guard.js';
import { bareAddress } from '../../src/util/mail-address.js';
import { mailSourceKey } from '../../src/channels/mail/mail-draft.js';
import { readBounce } from '../../src/channels/mail/bounce.js';
import { uidSet } from '../../src/channels/mail/move-mail.js';
import { mailReferences, messageIds } from '../../src/channels/mail/threading.js';
import { requestNumbersIn } from '../../src/domain/request-number.js';
import { guessCharset, UnlabelledCharsetLabeller } from '../../src/channels/mail/unlabelled-charset.js';
import { readRegistryFile } from '../../src/registry/registry-file.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';

const own = ['pomoc@myhezo.pl', 'escalation@myhezo.pl'];
const headers = (values: Record<string, string>) => (name: string) => values[name.toLowerCase()];

describe('loop guard', () => {
  it.each([
    [{ 'auto-submitted': 'auto-replied' }, 'Auto-Submitted'],
    [{ 'auto-submitted': 'auto-generated' }, 'Auto-Submitted'],
    [{ precedence: 'bulk' }, 'Precedence'],
    [{ precedence: 'junk' }, 'Precedence'],
    [{ precedence: 'list' }, 'Precedence'],
    [{ 'x-autoreply': 'yes' }, 'x-autoreply'],
    [{ 'x-autorespond': 'vacation' }, 'x-autorespond'],
    [{ 'x-loop': 'pomoc@myhezo.pl' }, 'X-Loop'],
    [{ 'list-id': '<admins.example.pl>' }, 'List-Id'],
    [{ 'list-unsubscribe': '<mailto:leave@example.pl>' }, 'List-Unsubscribe'],
    [{ 'return-path': '<>' }, 'null sender'],
    [{ 'content-type': 'multipart/report; report-type=delivery-status' }, 'bounce'],
    [{ 'x-auto-response-suppress': 'All' }, 'X-Auto-Response-Suppress'],
    [{ 'x-auto-response-suppress': 'OOF' }, 'X-Auto-Response-Suppress'],
    [{ 'x-auto-response-suppress': 'DR, RN, NRN, OOF, AutoReply' }, 'X-Auto-Response-Suppress'],
    [{ 'x-auto-response-suppress': 'dr' }, 'X-Auto-Response-Suppress'],
    [{ 'x-auto-response-suppress': 'NDR' }, 'X-Auto-Response-Suppress'],
    [{ 'x-spam-flag': 'YES' }, 'X-Spam-Flag'],
    [{ 'x-spam-status': 'Yes, score=7.2 required=5.0' }, 'X-Spam-Status'],
    [{ 'x-mailman-version': '2.1.39' }, 'X-Mailman-Version'],
    [{ 'list-post': '<mailto:admins@lists.example.pl>' }, 'List-Post'],
    [{ 'x-listprocessor-version': '8.2.10' }, 'X-Listprocessor-Version'],
    [{ 'x-mailer-list': 'ListServ 16.0' }, 'X-Mailer-List'],
    [{ 'mailing-list': 'contact admins-help@example.pl; run by ezmlm' }, 'Mailing-List'],
  ])('silences %j', (values, reason) => {
    expect(loopGuardReason(headers(values), 'jan@example.pl', own)).toContain(reason);
  });

  it('silences MAILER-DAEMON, postmaster, no-reply, a missing sender and our own addresses', () => {
    expect(loopGuardReason(headers({}), 'MAILER-DAEMON@mx.example.pl', own)).toContain('machine sender');
    expect(loopGuardReason(headers({}), 'postmaster@example.pl', own)).toContain('machine sender');
    expect(loopGuardReason(headers({}), 'noreply@example.pl', own)).toContain('machine sender');
    expect(loopGuardReason(headers({}), undefined, own)).toBe('no sender address');
    expect(loopGuardReason(headers({}), 'Escalation@MyHEZO.pl', own)).toBe('our own address');
  });

  it('answers a person, including one who says Auto-Submitted: no', () => {
    expect(loopGuardReason(headers({ 'auto-submitted': 'no', precedence: 'first-class' }), 'anna.nowak@example.pl', own)).toBeUndefined();
  });

  it('answers one who suppresses only read receipts (RN, NRN) or nothing, and mail a spam filter passed', () => {
    for (const value of ['None', 'RN, NRN', 'RN']) {
      expect(loopGuardReason(headers({ 'x-auto-response-suppress': value }), 'anna.nowak@example.pl', own)).toBeUndefined();
    }
    expect(loopGuardReason(headers({ 'x-spam-flag': 'NO', 'x-spam-status': 'No, score=0.3 required=5.0' }), 'anna.nowak@example.pl', own)).toBeUndefined();
  });

  it('tells spam-flagged mail apart from other machine mail', () => {
    expect(spamFlag(headers({ 'x-spam-flag': 'YES' }))).toBe('X-Spam-Flag: YES');
    expect(spamFlag(headers({ 'x-spam-status': 'Yes, score=9.1 required=5.0' }))).toBe('X-Spam-Status: Yes');
    expect(spamFlag(headers({ 'x-spam-status': 'No, score=1.0' }))).toBeUndefined();
    expect(spamFlag(headers({ 'x-mailman-version': '2.1.39' }))).toBeUndefined();
  });

  it('reads only the headers LOOP_GUARD_HEADERS names (all an oversize mail fetches for its summary)', () => {
    const read = new Set<string>();
    // A person's mail: every check runs, so every header the guard reads is read.
    loopGuardReason((name) => (read.add(name), undefined), 'anna.nowak@example.pl', own);
    expect([...read].sort()).toEqual([...LOOP_GUARD_HEADERS].sort());
  });

  it('reads the bare address of settings.mail.from', () => {
    expect(bareAddress('myHEZO Pomoc <Pomoc@myhezo.pl>')).toBe('pomoc@myhezo.pl');
    expect(bareAddress('pomoc@myhezo.pl')).toBe('pomoc@myhezo.pl');
  });
});

describe('threading', () => {
  it('finds request tags in any case, once each', () => {
    expect(requestNumbersIn('Re: [hz-2026-000123] i HZ-2026-000123, HZ-2026-000124')).toEqual(['HZ-2026-000123', 'HZ-2026-000124']);
  });

  it('reads Message-IDs from In-Reply-To and References, newest first', () => {
    expect(messageIds('<a@x.pl> <B@Y.pl>')).toEqual(['b@y.pl', 'a@x.pl']);
    expect(messageIds(['<a@x.pl>', '<c@z.pl>'])).toEqual(['c@z.pl', 'a@x.pl']);
    expect(messageIds(undefined)).toEqual([]);
  });

  it('takes tags from the body only for the escalation mailbox', () => {
    const input = { subject: 'Eskalacja', body: 'dotyczy HZ-2026-000777', inReplyTo: '<r@x.pl>' };
    expect(mailReferences({ ...input, kind: 'service' })).toEqual(['r@x.pl']);
    expect(mailReferences({ ...input, kind: 'escalation' })).toEqual(['HZ-2026-000777', 'r@x.pl']);
  });

  it('keys a mail by its Message-ID across mailboxes, or by the hash of its source', () => {
    expect(mailSourceKey({ messageId: '<ABC@Example.PL>', sourceSha256: 'f'.repeat(64) })).toBe('mail:abc@example.pl');
    expect(mailSourceKey({ sourceSha256: 'f'.repeat(64) })).toBe(`mail:sha256:${'f'.repeat(64)}`);
  });
});

describe('quoted history and signatures', () => {
  it('cuts at a Gmail attribution, an Outlook header block, a signature and a sign-off', () => {
    expect(stripQuotedAndSignature('Nowe.\n\nW dniu pt., 27 lis 2026 o 10:00 Jan <j@x.pl> napisał(a):\n> stare')).toBe('Nowe.');
    expect(stripQuotedAndSignature('Nowe.\nOd: Jan\nWysłano: dziś\nDo: my\n\nstare')).toBe('Nowe.');
    expect(stripQuotedAndSignature('Nowe.\n-- \nJan')).toBe('Nowe.');
    expect(stripQuotedAndSignature('Nowe.\n\nZ poważaniem\nJan Kowalski\n+48 600 100 200')).toBe('Nowe.');
  });

  it('keeps a sign-off word in the middle of a long mail, and keeps forwarded content', () => {
    const long = ['Dzięki', ...Array.from({ length: 12 }, (_, n) => `linia ${n}`)].join('\n');
    expect(stripQuotedAndSignature(long)).toBe(long);
    expect(stripQuotedAndSignature('Zobaczcie.\n---------- Forwarded message ---------\nFrom: Jan\nDate: dziś\n\n> S/N: Q80-23-11842')).toContain('S/N: Q80-23-11842');
  });
});

describe('numbers', () => {
  const patterns = compilePatterns(
    ['(?:S\\/N|SN|serial(?:\\s+(?:no\\.?|number))?|nr\\.?\\s+seryjny|numer\\s+seryjny)\\s*[:#]?\\s*([A-Z0-9][A-Z0-9-]{3,30})'],
    ['(?:numer\\s+umowy|nr\\.?\\s+umowy|umowa|contract(?:\\s+(?:no\\.?|number))?)\\s*[:#]?\\s*(HZ[-\\s]?\\d{4}[-\\s]?\\d{5})', '\\b(HZ-\\d{4}-\\d{5})\\b'],
  );

  it('normalizes spacing and case of contract numbers and serials', () => {
    expect(extractNumbers('', 'nr umowy: hz 2026 00123, s/n: xls812-240517.', patterns)).toEqual({ contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517' });
    expect(normalizeContract('HZ202600123')).toBe('HZ-2026-00123');
  });

  it('never reads a request number as a contract, and skips serial labels without a number', () => {
    expect(extractNumbers('Re: [HZ-2026-000123]', 'S/N: brak', patterns)).toEqual({});
  });

  it('prefers the subject to the body', () => {
    expect(extractNumbers('S/N: Q80-23-11842', 'S/N: Q48-24-07315', patterns).serialNumber).toBe('Q80-23-11842');
  });

  it('tells Polish from English, Polish by default', () => {
    expect(detectLanguage('Hello, the drive does not work')).toBe('en');
    expect(detectLanguage('Napęd nie działa')).toBe('pl');
    expect(detectLanguage('Q80-23-11842')).toBe('pl');
  });
});

describe('serials written with spaces (the default patterns)', () => {
  const defaults = JSON.parse(readFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.json'), 'utf8')) as { mailboxes: { serialPatterns: string[]; contractPatterns: string[] } };
  const patterns = compilePatterns(defaults.mailboxes.serialPatterns, defaults.mailboxes.contractPatterns);
  const demo = readRegistryFile(path.join(DEFAULT_CONFIG_DIR, 'contracts.json'));
  const known = knownToRegistry(() => demo);
  const serial = (text: string, knownSerial?: KnownSerial) => extractNumbers('', text, patterns, knownSerial).serialNumber;

  it.each([
    ['S/N: Q48 24 07315', 'Q48 24 07315'],
    ['nr seryjny: XLS812 240517', 'XLS812 240517'],
    ['Serial number: Q80 23 11842', 'Q80 23 11842'],
    ['numer seryjny q80 25 00412.', 'Q80 25 00412'],
  ])('reads %j whole, with or without the registry', (text, expected) => {
    expect(serial(text)).toBe(expected);
    expect(serial(text, known)).toBe(expected);
    // The registry (as the dispatcher asks it) finds the device by it.
    expect(demo.findDeviceAnywhere(expected)).toHaveLength(1);
  });

  it('ends a spaced serial before the words after it, at the end of the line and before a contract number', () => {
    expect(serial('S/N: Q48 24 07315 uszkodzony od wczoraj')).toBe('Q48 24 07315');
    expect(serial('S/N: Q48 24 07315\n2 szt. uszkodzone')).toBe('Q48 24 07315');
    expect(extractNumbers('Awaria S/N Q80 23 11842 HZ-2026-00123', '', patterns)).toEqual({ serialNumber: 'Q80 23 11842', contractNumber: 'HZ-2026-00123' });
    expect(extractNumbers('', 'S/N: XLS812 240517, umowa HZ 2026 00123', patterns)).toEqual({ serialNumber: 'XLS812 240517', contractNumber: 'HZ-2026-00123' });
  });

  it('takes the longest run of groups the registry knows', () => {
    expect(serial('S/N Q48 24 07315 2 szt.', known)).toBe('Q48 24 07315');
    expect(serial('S/N Q80 23 11842 10:30 awaria', known)).toBe('Q80 23 11842');
    expect(serial('S/N Q48-24 07315', known)).toBe('Q48-24 07315');
    expect(serial('S/N XLS812-240517 2 szt.', known)).toBe('XLS812-240517');
  });

  it('without a known serial, keeps a dashed serial to its first space and joins the groups of an undashed one', () => {
    expect(serial('S/N XLS812-240517 2 szt.')).toBe('XLS812-240517');
    expect(serial('S/N XLS812-240517 2 szt.', known)).toBe('XLS812-240517');
    expect(serial('S/N Q99 88 77777 uszkodzony', known)).toBe('Q99 88 77777');
  });

  it('still skips a label without a number and a word between the label and the number', () => {
    expect(serial('S/N: brak 2 szt.')).toBeUndefined();
    expect(serial('Numer seryjny to Q48-24-07315 (napęd nr 2).')).toBe('Q48-24-07315');
  });
});

describe('charsets and HTML', () => {
  it('guesses UTF-8, Windows-1250 and ISO-8859-2 from the bytes', () => {
    expect(guessCharset(Buffer.from('zażółć', 'utf8'))).toBe('utf-8');
    expect(guessCharset(iconv.encode('świeży źródło', 'windows-1250'))).toBe('windows-1250');
    expect(guessCharset(iconv.encode('świeży źródło', 'iso-8859-2'))).toBe('iso-8859-2');
    expect(guessCharset(Buffer.from('ascii only'))).toBe('utf-8');
  });

  it('labels an unlabelled text part and leaves labelled ones alone', async () => {
    const run = async (raw: Buffer) => {
      const chunks: Buffer[] = [];
      // One byte at a time: lines split across chunks must still be read whole.
      await new Promise<void>((resolve, reject) => {
        const labeller = new UnlabelledCharsetLabeller();
        labeller.on('data', (chunk: Buffer) => chunks.push(chunk));
        labeller.on('end', resolve);
        labeller.on('error', reject);
        Readable.from([...raw].map((byte) => Buffer.from([byte]))).pipe(labeller);
      });
      return Buffer.concat(chunks).toString('latin1');
    };
    const unlabelled = Buffer.concat([Buffer.from('Subject: x\r\nContent-Type: text/plain\r\n\r\n'), iconv.encode('źle\r\n', 'windows-1250')]);
    expect(await run(unlabelled)).toContain('Content-Type: text/plain; charset=windows-1250\r\n\r\n');
    const labelled = Buffer.from('Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok\r\n');
    expect(await run(labelled)).toBe(labelled.toString('latin1'));
    const noType = Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), iconv.encode('ślad\r\n', 'iso-8859-2')]);
    expect(await run(noType)).toContain('Subject: x\r\nContent-Type: text/plain; charset=iso-8859-2\r\n\r\n');
  });

  it('decodes every HTML named entity, numeric ones, and legacy ones without a semicolon', () => {
    expect(htmlToPlainText('<p>Kr&oacute;tko &ndash; b&lstrok;&aogon;d&hellip; &bdquo;E42&rdquo; &euro;5 &#x142;&#322; &copy 2026 &bogus;</p>')).toBe('Krótko – błąd… „E42” €5 łł © 2026 &bogus;');
    expect(htmlToPlainText('<p>&#0;&#xD800;&#1114112;</p>')).toBe('\ufffd\ufffd\ufffd');
  });

  it('puts table cells and blocks of HTML on their own lines and decodes entities', () => {
    expect(htmlToPlainText('<table><tr><td>S/N:</td><td>Q80-23-11842</td></tr><tr><td>Umowa</td></tr></table><p>a&amp;b&nbsp;&#322;</p><script>x()</script>')).toBe(
      'S/N: Q80-23-11842\n\nUmowa\n\na&b ł',
    );
  });
});

describe('bounces', () => {
  const ack = '<hz-2026-000123.ack.0123456789abcdef0123@intake.myhezo.pl>';
  const mail = (values: Record<string, string>, from: string, subject: string, source: string, text = '') => ({
    header: headers(values),
    from: { address: from },
    subject,
    text,
    source: Buffer.from(source, 'latin1'),
  });
  const report = (action: string) =>
    `Content-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; jan@exmaple.pl\r\nAction: ${action}\r\nStatus: 5.1.1\r\n\r\nMessage-ID: ${ack}\r\n`;

  it('finds our acknowledgment in a failed delivery report, with the recipient and status', () => {
    const bounce = readBounce(mail({ 'content-type': 'multipart/report; report-type=delivery-status; boundary=x' }, 'mailer-daemon@mx.example.pl', 'Undelivered', report('failed')), 'intake.myhezo.pl');
    expect(bounce).toEqual({ acknowledgment: { requestNumber: 'HZ-2026-000123', messageId: ack }, undeliverable: { recipient: 'jan@exmaple.pl', status: '5.1.1', messageId: ack } });
  });

  it('attaches nothing for a delay report, an alert of ours, another domain, or without our domain configured', () => {
    const type = { 'content-type': 'multipart/report; report-type=delivery-status' };
    expect(readBounce(mail(type, 'mailer-daemon@mx.example.pl', 'Delayed', report('delayed')), 'intake.myhezo.pl')?.acknowledgment).toBeUndefined();
    const alert = report('failed').replace('.ack.', '.alert.');
    expect(readBounce(mail(type, 'mailer-daemon@mx.example.pl', 'Undelivered', alert), 'intake.myhezo.pl')).toMatchObject({ undeliverable: { status: '5.1.1' } });
    expect(readBounce(mail(type, 'mailer-daemon@mx.example.pl', 'Undelivered', alert), 'intake.myhezo.pl')?.acknowledgment).toBeUndefined();
    expect(readBounce(mail(type, 'mailer-daemon@mx.example.pl', 'Undelivered', report('failed')), 'other.example.pl')?.acknowledgment).toBeUndefined();
    expect(readBounce(mail(type, 'mailer-daemon@mx.example.pl', 'Undelivered', report('failed')), undefined)?.acknowledgment).toBeUndefined();
  });

  it('tells bounces without a report by their sender or by a null sender and a bounce subject, and nothing else', () => {
    expect(readBounce(mail({}, 'postmaster@example.com', 'Returned mail', '', `Message-ID: ${ack}`), 'intake.myhezo.pl')?.acknowledgment?.requestNumber).toBe('HZ-2026-000123');
    expect(readBounce(mail({ 'return-path': '<>' }, 'noreply@example.com', 'Niedostarczona wiadomość', ''), 'intake.myhezo.pl')).toBeDefined();
    // A person's mail quoting our acknowledgment, an out-of-office with a null sender, a read receipt.
    expect(readBounce(mail({}, 'anna.nowak@example.pl', 'Re: [HZ-2026-000123]', '', `> Message-ID: ${ack}`), 'intake.myhezo.pl')).toBeUndefined();
    expect(readBounce(mail({ 'return-path': '<>' }, 'anna.nowak@example.pl', 'Nieobecność w biurze', ''), 'intake.myhezo.pl')).toBeUndefined();
    expect(readBounce(mail({ 'content-type': 'multipart/report; report-type=disposition-notification' }, 'anna.nowak@example.pl', 'Read: Awaria', ''), 'intake.myhezo.pl')).toBeUndefined();
  });
});

describe('UID sets', () => {
  it('writes runs as ranges, in order, once each', () => {
    expect(uidSet([1, 2, 3, 5, 7, 8])).toBe('1:3,5,7:8');
    expect(uidSet([9, 4, 5, 5, 6])).toBe('4:6,9');
    expect(uidSet([42])).toBe('42');
  });
});
