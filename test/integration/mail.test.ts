/**
 * Mail on real servers: APPEND into a private Dovecot → MailboxSupervisor (IDLE, drain) →
 * submit() → dispatcher → stamped request, acknowledgment over real SMTP; then the mail in
 * Processed. Threading, escalation, loop protection and quarantine on the same bench.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listQuarantine } from '../../src/channels/mail/quarantine.js';
import { AttachmentStore } from '../../src/intake/attachment-store.js';
import { createLogger } from '../../src/logger.js';
import { buildMail, startMailBench, type MailBench } from '../support/mail-gateway.js';

let bench: MailBench;
beforeAll(async () => {
  bench = await startMailBench();
});
afterAll(async () => {
  await bench?.stop();
});

const REPORT = 'Dzień dobry,\nbiblioteka zgłasza błąd robota.\nNumer umowy: HZ-2026-00123\nS/N: XLS812-240517\n\nPozdrawiam\nAnna Nowak';
/** Polls for up to 10 s: delivery through the queues and IDLE takes a second or two. */
const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 10_000, interval: 50 });
const ackTo = (address: string) => bench.smtp.messages.filter((message) => message.envelope.to.includes(address));

describe('mailboxes on a real Dovecot', () => {
  it('turns a new mail into a stamped request, acknowledges it in its thread and moves it to Processed', async () => {
    const [pomoc] = bench.mailboxes('new');
    await bench.supervise([pomoc!]);
    const mail = buildMail({ subject: 'Awaria biblioteki', body: REPORT });
    await bench.dovecot.append('pomoc-new', mail.raw);
    const request = await bench.requestFor(mail.messageId);
    expect(request).toMatchObject({ channel: 'email', kind: 'service', status: 'accepted', contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517' });
    expect(request.reporter.email).toBe('anna.nowak@example.pl');
    expect(request.description).toBe('Dzień dobry,\nbiblioteka zgłasza błąd robota.\nNumer umowy: HZ-2026-00123\nS/N: XLS812-240517');
    expect(request.raw.location).toMatch(/^imap:pomoc-new\/\d+\/1$/);
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-new', 'Processed')).toHaveLength(1));
    expect(await bench.dovecot.uids('pomoc-new', 'INBOX')).toEqual([]);
    const ack = await eventually(() => {
      const found = ackTo('anna.nowak@example.pl').find((message) => message.subject.includes(request.number));
      if (!found) throw new Error('no acknowledgment yet');
      return found;
    });
    expect(ack.header('in-reply-to')).toBe(mail.messageId);
  });

  it('drains the backlog on start: recent mail imported without acknowledgments, old mail moved to Quarantine as too-old with its date', async () => {
    const [pomoc] = bench.mailboxes('backlog');
    const recent = [1, 2, 3].map((n) => buildMail({ subject: `Zgłoszenie ${n}`, body: REPORT, from: `Jan ${n} <jan${n}@example.pl>` }));
    const old = buildMail({ subject: 'Stare', body: REPORT, from: 'Stary <old@example.pl>' });
    const oldDate = new Date(Math.floor((Date.now() - 30 * 86_400_000) / 1000) * 1000);
    for (const mail of recent) await bench.dovecot.append('pomoc-backlog', mail.raw);
    await bench.dovecot.append('pomoc-backlog', old.raw, { internalDate: oldDate });
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    const supervisor = await bench.supervise([pomoc!], { importMaxAgeDays: 7 }, { logger: createLogger('info', sink) });
    for (const mail of recent) {
      const request = await bench.requestFor(mail.messageId);
      expect(request.raw.payload).toMatchObject({ firstImport: true });
    }
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-backlog', 'Processed')).toHaveLength(3));
    // INBOX empties: the old mail is in Quarantine, recorded with its sender and its real date.
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-backlog', 'Quarantine')).toHaveLength(1));
    expect(await bench.dovecot.uids('pomoc-backlog', 'INBOX')).toEqual([]);
    expect(await bench.numberFor(old.messageId)).toBeNull();
    const entries = (await listQuarantine(bench.test.gateway.redis, bench.test.gateway.settings.intake.prefix)).filter((entry) => entry.mailbox === 'pomoc-backlog');
    expect(entries).toEqual([expect.objectContaining({ reason: 'too-old', uid: 4, from: 'old@example.pl', messageId: old.messageId })]);
    expect(entries[0]?.detail).toContain(oldDate.toISOString());
    const logged = logLines.map((line) => JSON.parse(line) as { msg: string; internalDate?: unknown }).find((line) => line.msg.includes('older than importMaxAgeDays'));
    expect(logged?.internalDate).toBe(oldDate.toISOString());
    expect(supervisor.status()[0]).toMatchObject({ connected: true, leaseHeld: true, backlog: 0 });
    // A mail after the import is answered: its acknowledgment comes, the imported ones' never did.
    const fresh = buildMail({ subject: 'Nowe', body: REPORT, from: 'Nowy <new-backlog@example.pl>' });
    await bench.dovecot.append('pomoc-backlog', fresh.raw);
    const request = await bench.requestFor(fresh.messageId);
    await eventually(() => expect(ackTo('new-backlog@example.pl').some((m) => m.subject.includes(request.number))).toBe(true));
    expect(recent.flatMap((_, n) => ackTo(`jan${n + 1}@example.pl`))).toEqual([]);
  });

  it('makes one escalated request of one mail sent to pomoc@ and escalation@', async () => {
    const list = bench.mailboxes('both');
    const mail = buildMail({ subject: 'PILNE: biblioteka nie działa', body: REPORT, to: 'pomoc@myhezo.pl, escalation@myhezo.pl' });
    await bench.supervise(list);
    await bench.dovecot.append('pomoc-both', mail.raw);
    const first = await bench.requestFor(mail.messageId);
    await bench.dovecot.append('escalation-both', mail.raw);
    await eventually(async () => expect(await bench.dovecot.uids('escalation-both', 'Processed')).toHaveLength(1));
    await eventually(async () => expect((await bench.test.gateway.store.get(first.number))?.escalated).toBe(true));
    expect(await bench.numberFor(mail.messageId)).toBe(first.number);
    const open = await bench.test.gateway.store.listOpen();
    expect(open.filter((request) => request.sourceKey === first.sourceKey)).toHaveLength(1);
  });

  it('files a mail whose serial is written with spaces as an accepted request for that device', async () => {
    const [pomoc] = bench.mailboxes('spaced-serial');
    await bench.supervise([pomoc!]);
    const mail = buildMail({ subject: 'Awaria napędu', body: 'Dzień dobry,\nNumer umowy: HZ-2026-00123\nS/N: Q48 24 07315 uszkodzony napęd, błąd zapisu.' });
    await bench.dovecot.append('pomoc-spaced-serial', mail.raw);
    const request = await bench.requestFor(mail.messageId);
    expect(request).toMatchObject({ status: 'accepted', contractNumber: 'HZ-2026-00123', serialNumber: 'Q48 24 07315', device: { serial: 'Q48-24-07315', model: 'Qualstar Q48' } });
  });

  it('asks the contract registry, when given one, where a serial written with spaces ends', async () => {
    const [pomoc] = bench.mailboxes('registry-serial');
    const { registry } = bench.test.gateway;
    await bench.supervise([pomoc!], {}, { registry: () => registry.current });
    // "2" could be the serial's last group; only the registry can tell that it is not.
    const mail = buildMail({ subject: 'Awaria', body: 'nr seryjny: Q80 23 11842 2 napędy nie odpowiadają\nUmowa HZ-2026-00123' });
    await bench.dovecot.append('pomoc-registry-serial', mail.raw);
    const request = await bench.requestFor(mail.messageId);
    expect(request).toMatchObject({ status: 'accepted', serialNumber: 'Q80 23 11842', device: { serial: 'Q80-23-11842' } });
  });

  it('threads replies by the request tag in the subject and by In-Reply-To, and a reply supplies the missing serial', async () => {
    const list = bench.mailboxes('thread');
    await bench.supervise(list);
    const report = buildMail({ subject: 'Awaria', body: 'Dzień dobry,\nbiblioteka nie działa.\nUmowa HZ-2026-00123', from: 'Piotr Wiśniewski <piotr.wisniewski@example.pl>' });
    await bench.dovecot.append('pomoc-thread', report.raw);
    const request = await bench.requestFor(report.messageId);
    expect(request.status).toBe('needs-info');
    const ack = await eventually(() => {
      const found = ackTo('piotr.wisniewski@example.pl').find((m) => m.subject.includes(request.number));
      if (!found) throw new Error('no acknowledgment yet');
      return found;
    });
    const byHeader = buildMail({
      subject: 'Re: odpowiedź',
      body: `S/N: Q80-23-11842\n\nW dniu 26.11.2026 o 10:00 myHEZO <pomoc@myhezo.pl> napisał:\n> S/N: XLS812-240517\n`,
      from: 'Piotr Wiśniewski <piotr.wisniewski@example.pl>',
      headers: { 'In-Reply-To': ack.header('message-id') ?? '', References: `${report.messageId} ${ack.header('message-id') ?? ''}` },
    });
    await bench.dovecot.append('pomoc-thread', byHeader.raw);
    await eventually(async () => expect(await bench.numberFor(byHeader.messageId)).toBe(request.number));
    await eventually(async () => expect((await bench.test.gateway.store.get(request.number))?.serialNumber).toBe('Q80-23-11842'));
    const byTag = buildMail({ subject: `Re: [${request.number}] Awaria`, body: 'Dodatkowe logi w załączeniu.', from: 'Piotr Wiśniewski <piotr.wisniewski@example.pl>' });
    await bench.dovecot.append('pomoc-thread', byTag.raw);
    await eventually(async () => expect(await bench.numberFor(byTag.messageId)).toBe(request.number));
    const escalation = buildMail({ subject: 'Eskalacja', body: `Proszę o pilną reakcję w sprawie ${request.number}.`, to: 'escalation@myhezo.pl' });
    await bench.dovecot.append('escalation-thread', escalation.raw);
    await eventually(async () => expect((await bench.test.gateway.store.get(request.number))?.escalated).toBe(true));
    expect(await bench.numberFor(escalation.messageId)).toBe(request.number);
  });

  it('files every auto-reply, list mail, mail asking for no automatic answer and our own mail silently (no acknowledgment)', async () => {
    await bench.supervise(bench.mailboxes('loops'));
    const guarded: Array<[string, Partial<Parameters<typeof buildMail>[0]>]> = [
      ['auto-submitted', { headers: { 'Auto-Submitted': 'auto-replied' } }],
      ['precedence-bulk', { headers: { Precedence: 'bulk' } }],
      ['precedence-junk', { headers: { Precedence: 'junk' } }],
      ['precedence-list', { headers: { Precedence: 'list' } }],
      ['x-autoreply', { headers: { 'X-Autoreply': 'yes' } }],
      ['x-autorespond', { headers: { 'X-Autorespond': 'Out of office' } }],
      ['x-loop', { headers: { 'X-Loop': 'somebody@example.pl' } }],
      ['list-id', { headers: { 'List-Id': 'Admins <admins.example.pl>' } }],
      ['list-unsubscribe', { headers: { 'List-Unsubscribe': '<mailto:unsub@example.pl>' } }],
      ['null-sender', { headers: { 'Return-Path': '<>' } }],
      ['no-reply', { from: 'System <no-reply@example.pl>' }],
      ['x-auto-response-suppress', { headers: { 'X-Auto-Response-Suppress': 'OOF, AutoReply' } }],
      ['x-mailman-version', { headers: { 'X-Mailman-Version': '2.1.39' } }],
      ['ourselves', { from: 'myHEZO Pomoc <pomoc@myhezo.pl>' }],
      ['escalation-address', { from: 'escalation@myhezo.pl' }],
    ];
    const mails = guarded.map(([name, overrides]) => buildMail({ subject: `Loop ${name}`, body: REPORT, from: `Loop <${name}@loops.example.pl>`, ...overrides }));
    for (const mail of mails) await bench.dovecot.append('pomoc-loops', mail.raw);
    for (const mail of mails) {
      const request = await bench.requestFor(mail.messageId);
      expect(request.raw.payload?.loopGuard, mail.raw.slice(0, 200)).toEqual(expect.any(String));
    }
    const control = buildMail({ subject: 'Control', body: REPORT, from: 'Control <control-loops@example.pl>' });
    await bench.dovecot.append('pomoc-loops', control.raw);
    await bench.requestFor(control.messageId);
    await eventually(() => expect(ackTo('control-loops@example.pl')).toHaveLength(1));
    // Acknowledgments are auto-replied; engineer alerts (auto-generated) may go to @myhezo.pl.
    const acks = bench.smtp.messages.filter((m) => m.header('auto-submitted') === 'auto-replied');
    const answered = acks.filter((m) => m.envelope.to.some((to) => to.endsWith('@loops.example.pl') || to.endsWith('@myhezo.pl') || /no-reply/i.test(to)));
    expect(answered).toEqual([]);
  });

  it('streams a large mail from IMAP and keeps its attachment (a device log) with its sha256', async () => {
    const [pomoc] = bench.mailboxes('attachment');
    await bench.supervise([pomoc!]);
    const log = Buffer.from(Array.from({ length: 8000 }, (_, n) => `2026-11-26 10:00:${String(n % 60).padStart(2, '0')} ERROR picker jam ${n}\n`).join(''));
    const raw = [
      'From: Anna Nowak <anna.nowak@example.pl>', 'To: pomoc@myhezo.pl', 'Subject: Log z biblioteki', 'Message-ID: <big-log@example.pl>', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', REPORT, '--b',
      'Content-Type: text/plain; name="library.log"', 'Content-Disposition: attachment; filename="../../library.log"', 'Content-Transfer-Encoding: base64', '',
      log.toString('base64').replace(/.{76}/g, '$&\r\n'), '--b--', '',
    ].join('\r\n');
    expect(raw.length).toBeGreaterThan(256 * 1024);
    await bench.dovecot.append('pomoc-attachment', raw);
    const request = await bench.requestFor('<big-log@example.pl>');
    expect(request.attachments).toEqual([expect.objectContaining({ name: 'library.log', size: log.length, sha256: createHash('sha256').update(log).digest('hex') })]);
    expect(await bench.test.gateway.attachments.exists(request.attachments[0]!.storageKey)).toBe(true);
    expect(request.serialNumber).toBe('XLS812-240517');
  });

  it('quarantines oversize mail (telling the sender), mail without a sender and mail whose attachment is too large', async () => {
    const [pomoc] = bench.mailboxes('quarantine');
    const small = new AttachmentStore(bench.test.root + '/small-attachments', 100);
    await bench.supervise([pomoc!], { maxMessageBytes: 20_000 }, { attachments: small });
    const oversize = buildMail({ subject: 'Logi', body: 'x'.repeat(30_000), from: 'Kasia <kasia.oversize@example.pl>' });
    const noSender = buildMail({ subject: 'Bez nadawcy', body: REPORT, from: '' });
    const garbage = { raw: Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10, 7, 8]), messageId: '' };
    const bigAttachment = {
      raw: [
        'From: Jan <jan.attachment@example.pl>', 'To: pomoc@myhezo.pl', 'Subject: Log', 'Message-ID: <att-too-large@example.pl>', 'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', 'Log w załączniku.', '--b',
        'Content-Type: text/plain; name="log.txt"', 'Content-Disposition: attachment; filename="log.txt"', '', 'y'.repeat(500), '--b--', '',
      ].join('\r\n'),
    };
    for (const raw of [oversize.raw, noSender.raw, garbage.raw, bigAttachment.raw]) await bench.dovecot.append('pomoc-quarantine', raw);
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-quarantine', 'Quarantine')).toHaveLength(4));
    expect(await bench.dovecot.uids('pomoc-quarantine', 'INBOX')).toEqual([]);
    const entries = (await listQuarantine(bench.test.gateway.redis, bench.test.gateway.settings.intake.prefix)).filter((entry) => entry.mailbox === 'pomoc-quarantine');
    expect(entries.map((entry) => entry.reason)).toEqual(['oversize', 'no-sender', 'no-sender', 'attachment-too-large']);
    expect(await bench.numberFor(oversize.messageId)).toBeNull();
    const notice = await eventually(() => {
      const found = ackTo('kasia.oversize@example.pl')[0];
      if (!found) throw new Error('no notice yet');
      return found;
    });
    expect(notice.subject).toContain('Message too large');
    expect(notice.header('auto-submitted')).toBe('auto-replied');
  });

  it('quarantines an oversize mail found on the first connection without telling its sender, and tells the sender of one that arrives later', async () => {
    const [pomoc] = bench.mailboxes('import-oversize');
    const normal = buildMail({ subject: 'Awaria', body: REPORT, from: 'Ela <ela.import@example.pl>' });
    const oversize = buildMail({ subject: 'Logi', body: 'x'.repeat(30_000), from: 'Kuba <kuba.import@example.pl>' });
    await bench.dovecot.append('pomoc-import-oversize', normal.raw);
    await bench.dovecot.append('pomoc-import-oversize', oversize.raw);
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    await bench.supervise([pomoc!], { maxMessageBytes: 20_000 }, { logger: createLogger('info', sink) });

    expect((await bench.requestFor(normal.messageId)).raw.payload).toMatchObject({ firstImport: true });
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-import-oversize', 'Quarantine')).toHaveLength(1));
    const entries = (await listQuarantine(bench.test.gateway.redis, bench.test.gateway.settings.intake.prefix)).filter((entry) => entry.mailbox === 'pomoc-import-oversize');
    expect(entries).toEqual([expect.objectContaining({ reason: 'oversize', from: 'kuba.import@example.pl', messageId: oversize.messageId })]);

    // A control: an oversize mail after the import is answered. Its notice was queued after any
    // the imported one could have had, so once it is here, the other would be too.
    const later = buildMail({ subject: 'Logi', body: 'x'.repeat(30_000), from: 'Kuba Drugi <kuba.later@example.pl>' });
    await bench.dovecot.append('pomoc-import-oversize', later.raw);
    await eventually(() => expect(ackTo('kuba.later@example.pl')).toHaveLength(1));
    expect(ackTo('kuba.import@example.pl')).toEqual([]);
    expect(ackTo('ela.import@example.pl')).toEqual([]);
    expect(logLines.some((line) => line.includes('sender not told (imported on the first connection)'))).toBe(true);
  });
});
