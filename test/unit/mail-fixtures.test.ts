/**
 * The mail fixture set (test/fixtures/mail, 50 mails): each parsed by the real mailparser
 * pipeline (parse-mail.ts) and turned into a draft (mail-draft.ts) with the default patterns.
 * The table says what each must yield: serial, contract, language, loop guard, the request tags
 * referenced, attachments, and text that must (or must not) survive quote/signature stripping.
 */
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compilePatterns } from '../../src/channels/mail/extract.js';
import { buildMailDraft } from '../../src/channels/mail/mail-draft.js';
import { parseMail } from '../../src/channels/mail/parse-mail.js';
import { AttachmentStore } from '../../src/intake/attachment-store.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'mail');
const defaults = JSON.parse(readFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.json'), 'utf8')) as { mailboxes: { serialPatterns: string[]; contractPatterns: string[] } };
const patterns = compilePatterns(defaults.mailboxes.serialPatterns, defaults.mailboxes.contractPatterns);
const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-mail-fixtures-'));
const attachments = new AttachmentStore(dir, 1_000_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Expected {
  serial?: string;
  contract?: string;
  language?: 'pl' | 'en';
  /** The loop guard must fire (mail filed silently). */
  silent?: boolean;
  refs?: string[];
  attachments?: string[];
  has?: string[];
  lacks?: string[];
  /** The reporter's address, when the fixture is about who sent it. */
  from?: string;
  /** The reporter's name, likewise. */
  name?: string;
}

const UMOWA = 'HZ-2026-00123';
const TABLE: Record<string, Expected> = {
  '01-plain-utf8-pl.eml': { serial: 'XLS812-240517', contract: UMOWA, language: 'pl', has: ['biblioteka taśmowa zgłasza błąd robota.'] },
  '02-iso-8859-2-qp.eml': { serial: 'Q80-23-11842', contract: UMOWA, has: ['napęd nie odpowiada, błąd zapisu.'] },
  '03-windows-1250-8bit.eml': { serial: 'Q48-24-07315', contract: 'HZ-2025-00017', has: ['środowisko kopii zatrzymane, źle działa podajnik.'] },
  '04-no-charset-windows-1250.eml': { serial: 'Q48-24-09315', contract: UMOWA, has: ['świeży błąd: źródło zasilania, ślizga się taśma.'] },
  '05-no-charset-iso-8859-2.eml': { serial: 'Q80-25-00412', contract: 'HZ-2025-00017', has: ['świeży błąd: źródło zasilania, ślizga się taśma.'] },
  '06-no-charset-utf8.eml': { serial: 'Q24-25-10277', contract: 'HZ-2025-00208', has: ['żółty komunikat na panelu, zażółć gęślą jaźń.'] },
  '07-base64-utf8.eml': { serial: 'Q80-23-11842', contract: UMOWA, has: ['urządzenie się restartuje.'] },
  '08-html-only.eml': { serial: 'Q80-25-00412', contract: 'HZ-2025-00017', has: ['mamy awarię napędu.'], lacks: ['<b>', 'Katarzyna Wójcik'] },
  '09-html-only-windows-1250.eml': { serial: 'Q48-24-07315', contract: UMOWA, has: ['proszę o pilną pomoc, źle działa robot.'] },
  '10-multipart-alternative.eml': { serial: 'XLS812-240517', contract: UMOWA, lacks: ['<p>'] },
  '11-gmail-reply-pl.eml': { serial: 'Q24-25-10277', contract: 'HZ-2025-00208', refs: ['HZ-2026-000123'], lacks: ['XLS812-240517', 'napisał'] },
  '12-gmail-reply-wrapped.eml': { serial: 'Q80-23-11842', lacks: ['XLS812-240517', 'HZ-2026-00123', 'napisał'] },
  '13-gmail-reply-en.eml': { serial: 'Q48-24-09315', language: 'en', refs: ['HZ-2026-000124'], lacks: ['wrote:', 'HZ-2026-00123'] },
  '14-outlook-original-message.eml': { serial: 'Q80-23-11842', language: 'en', refs: ['HZ-2026-000125'], lacks: ['Original Message', 'Q48-21-04410', 'HZ-2024-00042'] },
  '15-outlook-od-wyslano.eml': { serial: 'Q48-24-07315', refs: ['HZ-2026-000126'], lacks: ['Wysłano', 'Q48-21-04410', 'HZ-2024-00042'] },
  '16-outlook-underscore-from-sent.eml': { serial: 'Q80-25-00412', contract: 'HZ-2025-00017', language: 'en', lacks: ['____', 'XLS812-240517'] },
  '17-outlook-html-reply.eml': { serial: 'Q24-25-10277', refs: ['HZ-2026-000127'], lacks: ['Od:', 'Q48-21-04410', 'HZ-2024-00042', '___'] },
  '18-forwarded-gmail.eml': { serial: 'XLS812-240517', contract: UMOWA, has: ['Przesyłam zgłoszenie od kolegi.', 'Biblioteka stoi'] },
  '19-forwarded-pl.eml': { serial: 'Q80-23-11842', contract: UMOWA, has: ['Napęd Q80-23-11842 nie działa.'] },
  '20-signature-dashdash.eml': { serial: 'Q80-23-11842', lacks: ['HZ-2024-00042', 'Administrator', '+48'] },
  '21-signature-pozdrawiam.eml': { serial: 'Q48-24-07315', contract: UMOWA, lacks: ['Pozdrawiam', 'Kierownik IT', '+48'] },
  '22-mobile-signature.eml': { serial: 'XLS812-240517', contract: UMOWA, lacks: ['iPhone'] },
  '23-label-sn-hash.eml': { serial: 'Q80-23-11842', contract: UMOWA, language: 'en' },
  '24-label-spacing-lowercase.eml': { serial: 'Q80-23-11842', contract: UMOWA, language: 'en' },
  '25-subject-only.eml': { serial: 'Q80-23-11842', contract: UMOWA },
  '26-subject-wins.eml': { serial: 'XLS812-240517' },
  '27-no-numbers.eml': { has: ['nie działa biblioteka.'] },
  '28-serial-unknown.eml': { contract: 'HZ-2025-00208' },
  '29-request-tag-not-contract.eml': { refs: ['HZ-2026-000123'] },
  '30-attachment-log.eml': { serial: 'XLS812-240517', contract: UMOWA, attachments: ['device.log'], lacks: ['robot arm timeout'] },
  '31-attachment-pdf-html.eml': { serial: 'Q80-25-00412', contract: 'HZ-2025-00017', attachments: ['raport błędu.pdf'], has: ['Raport serwisowy w PDF.'] },
  '32-auto-reply-ooo.eml': { serial: 'Q80-23-11842', silent: true, refs: ['HZ-2026-000130'] },
  '33-bounce-dsn.eml': { silent: true },
  '34-mailing-list.eml': { silent: true },
  '35-precedence-bulk.eml': { silent: true },
  '36-x-autoreply.eml': { silent: true, language: 'en' },
  '37-x-autorespond.eml': { silent: true },
  '38-own-address.eml': { silent: true, refs: ['HZ-2026-000131'] },
  '39-interleaved-quote.eml': { serial: 'Q80-23-11842', contract: UMOWA, refs: ['HZ-2026-000132'], lacks: ['Prosimy', 'I numer umowy'] },
  '40-thunderbird-pisze.eml': { serial: 'Q48-24-07315', refs: ['HZ-2026-000133'], lacks: ['XLS812-240517', 'pisze'] },
  '41-apple-mail-en.eml': { serial: 'Q80-25-00412', language: 'en', refs: ['HZ-2026-000134'], lacks: ['iPhone', 'HZ-2026-00123'] },
  '42-encoded-subject-iso-8859-2.eml': { serial: 'Q48-24-07315', contract: UMOWA },
  '43-unlabelled-serial.eml': { serial: 'XLS812-240517', contract: UMOWA },
  '44-no-message-id-dash-signature.eml': { serial: 'Q80-23-11842', lacks: ['Q00-00-00000'] },
  // A person who asks Outlook for no automatic replies gets no acknowledgment (still filed).
  '45-x-auto-response-suppress.eml': { serial: 'Q80-23-11842', contract: UMOWA, silent: true },
  // Spam-flagged by a filter on the way: never answered (the drain decides between filing and Quarantine).
  '46-spam-flag.eml': { silent: true },
  // A Mailman digest has X-Mailman-Version and no List-* header.
  '47-mailman-digest.eml': { serial: 'Q80-23-11842', silent: true },
  // The first From has no address: the second one is the sender.
  '48-two-from-headers.eml': { serial: 'XLS812-240517', contract: UMOWA, from: 'ewa.zak@example.pl', name: 'Ewa Żak' },
  // No From at all: Sender says who sent it.
  '49-sender-only.eml': { serial: 'Q48-24-07315', contract: UMOWA, from: 'marek.nowicki@example.pl', name: 'Marek Nowicki' },
  // HTML-only with named entities beyond the six basic ones.
  '50-html-entities.eml': {
    serial: 'Q80-25-00412',
    contract: 'HZ-2025-00017',
    has: ['Dzień dobry, proszę o pomoc – napęd nie działa…', 'Krótko: błąd zapisu „E42” — od wczoraj rano.', '<b> zostało tekstem & tak ma być.'],
    lacks: ['&oacute;', '&ndash;', '&hellip;', '&eogon;', '&lstrok;'],
  },
};

describe('mail fixtures', () => {
  it('has an expectation for every fixture, and at least 40 fixtures', () => {
    const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.eml')).sort();
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files).toEqual(Object.keys(TABLE).sort());
  });

  it.each(Object.entries(TABLE))('%s', async (file, expected) => {
    const mail = await parseMail(createReadStream(path.join(FIXTURES, file)), { attachments, maxBytes: 1_000_000 });
    const { draft, loopGuard } = buildMailDraft(mail, {
      mailbox: { name: 'pomoc', kind: 'service' },
      uidValidity: '7',
      uid: 42,
      internalDate: new Date('2026-11-26T09:15:00Z'),
      firstImport: false,
      patterns,
      ownAddresses: ['pomoc@myhezo.pl', 'escalation@myhezo.pl'],
    });
    expect(draft.serialNumber).toBe(expected.serial);
    expect(draft.contractNumber).toBe(expected.contract);
    expect(draft.language).toBe(expected.language ?? (expected.silent ? draft.language : 'pl'));
    expect(Boolean(loopGuard)).toBe(expected.silent ?? false);
    expect(draft.silent).toBe(expected.silent ?? false);
    expect((draft.references ?? []).filter((ref) => ref.startsWith('HZ-'))).toEqual(expected.refs ?? []);
    expect((draft.attachments ?? []).map((attachment) => attachment.name)).toEqual(expected.attachments ?? []);
    for (const text of expected.has ?? []) expect(draft.description).toContain(text);
    for (const text of expected.lacks ?? []) expect(draft.description ?? '').not.toContain(text);
    expect(draft.description ?? '').not.toContain('\ufffd');
    if (expected.from) expect(draft.reporter).toEqual({ email: expected.from, name: expected.name });
    expect(draft.sentAt).toBe('2026-11-26T09:15:00.000Z');
    expect(draft.raw?.location).toBe('imap:pomoc/7/42');
    if (file.startsWith('44-')) expect(draft.sourceKey).toBe(`mail:sha256:${mail.sourceSha256}`);
    else expect(draft.sourceKey).toBe(`mail:${file.replace('.eml', '')}@example.pl`);
    // The drain hands small mails over whole (a Buffer, no stream): the same mail must come out.
    const whole = await parseMail(readFileSync(path.join(FIXTURES, file)), { attachments, maxBytes: 1_000_000 });
    const comparable = (parsed: typeof mail) => ({ ...parsed, header: parsed.header('content-type'), attachments: parsed.attachments.map(({ name, sha256, size }) => ({ name, sha256, size })) });
    expect(comparable(whole)).toEqual(comparable(mail));
  });
});
