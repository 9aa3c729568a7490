/**
 * The fates a corpus of real-world mail got wrong (issue 19 item 5), on real servers: a private
 * Dovecot and Redis, the whole gateway, acknowledgments and alerts over a real SMTP capture.
 * Spam-flagged mail, bounces (of our acknowledgment, of anything else, of a request that does
 * not exist), and a sender named only by a later From or by Sender.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listQuarantine } from '../../src/channels/mail/quarantine.js';
import { buildMail, startMailBench, type MailBench } from '../support/mail-gateway.js';

let bench: MailBench;
beforeAll(async () => {
  bench = await startMailBench();
});
afterAll(async () => {
  await bench?.stop();
});

const REPORT = 'Dzień dobry,\nbiblioteka zgłasza błąd robota.\nNumer umowy: HZ-2026-00123\nS/N: XLS812-240517\n\nPozdrawiam';
const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 15_000, interval: 50 });
const mailTo = (address: string) => bench.smtp.messages.filter((message) => message.envelope.to.includes(address));
const quarantined = async (mailbox: string) =>
  (await listQuarantine(bench.test.gateway.redis, bench.test.gateway.settings.intake.prefix)).filter((entry) => entry.mailbox === mailbox);

/** A DSN (multipart/report) as Postfix writes it, returning the headers of the mail with `messageId`. */
function dsn(input: { recipient: string; messageId: string; subject: string; id: string }): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.pl>',
    'To: pomoc@myhezo.pl',
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <${input.id}@mx.example.pl>`,
    `Date: ${new Date().toUTCString()}`,
    'Return-Path: <>',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn1"',
    '',
    '--dsn1',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system at host mx.example.pl.',
    "I'm sorry to have to inform you that your message could not be delivered.",
    '',
    '--dsn1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.pl',
    '',
    `Final-Recipient: rfc822; ${input.recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${input.recipient}>: Recipient address rejected:`,
    '    User unknown in virtual mailbox table',
    '',
    '--dsn1',
    'Content-Type: text/rfc822-headers',
    '',
    'From: myHEZO Pomoc <pomoc@myhezo.pl>',
    `To: ${input.recipient}`,
    `Subject: ${input.subject}`,
    `Message-ID: ${input.messageId}`,
    '',
    '--dsn1--',
    '',
  ].join('\r\n');
}

/** A bounce without a DSN (qmail's "failure notice"), quoting the returned mail. */
function qmailBounce(input: { recipient: string; messageId: string; id: string }): string {
  return [
    'From: MAILER-DAEMON@mail.example.com',
    'To: pomoc@myhezo.pl',
    'Subject: failure notice',
    `Message-ID: <${input.id}@mail.example.com>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    "Hi. This is the qmail-send program at mail.example.com.",
    "I'm afraid I wasn't able to deliver your message to the following addresses.",
    '',
    `<${input.recipient}>:`,
    'Sorry, no mailbox here by that name. (#5.1.1)',
    '',
    '--- Below this line is a copy of the message.',
    '',
    'From: myHEZO Pomoc <pomoc@myhezo.pl>',
    `Message-ID: ${input.messageId}`,
    'Subject: Re: Awaria',
    '',
    'Dzień dobry, przyjęliśmy zgłoszenie. S/N: Q80-23-11842',
    '',
  ].join('\r\n');
}

describe('mail fates on a real Dovecot', () => {
  it('files spam that names a registry serial or contract without acknowledging it, and quarantines other spam as spam', async () => {
    const [pomoc] = bench.mailboxes('spam');
    const { registry } = bench.test.gateway;
    await bench.supervise([pomoc!], {}, { registry: () => registry.current });
    const customer = buildMail({ subject: 'Awaria', body: REPORT, from: 'Anna <anna.spam@example.pl>', headers: { 'X-Spam-Flag': 'YES', 'X-Spam-Status': 'Yes, score=6.0' } });
    const contractOnly = buildMail({ subject: 'Umowa HZ-2025-00017', body: 'Prosimy o kontakt.', from: 'Ola <ola.spam@example.pl>', headers: { 'X-Spam-Status': 'Yes, score=5.5' } });
    const spam = buildMail({ subject: 'Tanie taśmy LTO', body: 'Promocja! S/N: ABC-123-999 umowa HZ-1999-99999', from: 'Oferta <oferta@spam.example.com>', headers: { 'X-Spam-Flag': 'YES' } });
    for (const mail of [customer, contractOnly, spam]) await bench.dovecot.append('pomoc-spam', mail.raw);

    const filed = await bench.requestFor(customer.messageId);
    expect(filed.raw.payload?.loopGuard).toContain('spam');
    expect((await bench.requestFor(contractOnly.messageId)).contractNumber).toBe('HZ-2025-00017');
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-spam', 'Quarantine')).toHaveLength(1));
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-spam', 'Processed')).toHaveLength(2));
    expect(await bench.dovecot.uids('pomoc-spam', 'INBOX')).toEqual([]);
    expect(await bench.numberFor(spam.messageId)).toBeNull();
    expect(await quarantined('pomoc-spam')).toEqual([expect.objectContaining({ reason: 'spam', from: 'oferta@spam.example.com', messageId: spam.messageId })]);

    // A control mail gets its acknowledgment; once it is here, any to the spam senders would be too.
    const control = buildMail({ subject: 'Awaria', body: REPORT, from: 'Kontrola <control.spam@example.pl>' });
    await bench.dovecot.append('pomoc-spam', control.raw);
    await eventually(() => expect(mailTo('control.spam@example.pl')).toHaveLength(1));
    for (const address of ['anna.spam@example.pl', 'ola.spam@example.pl', 'oferta@spam.example.com']) expect(mailTo(address)).toEqual([]);
  });

  it('attaches a bounce of our acknowledgment to its request with one engineer alert, and quarantines every other bounce', async () => {
    const [pomoc] = bench.mailboxes('bounce');
    await bench.supervise([pomoc!]);
    const report = buildMail({ subject: 'Awaria', body: REPORT, from: 'Adam <adam.literowka@exmaple.pl>' });
    await bench.dovecot.append('pomoc-bounce', report.raw);
    const request = await bench.requestFor(report.messageId);
    const ack = await eventually(() => {
      const found = mailTo('adam.literowka@exmaple.pl')[0];
      if (!found) throw new Error('no acknowledgment yet');
      return found;
    });
    const ackId = ack.header('message-id') ?? '';
    expect(ackId).toMatch(/^<hz-\d{4}-\d{6}\.ack\./);
    const sequenceBefore = (await bench.test.gateway.store.listOpen()).length;

    const bounceOfAck = dsn({ recipient: 'adam.literowka@exmaple.pl', messageId: ackId, subject: ack.subject, id: 'dsn-ack' });
    const secondBounce = qmailBounce({ recipient: 'adam.literowka@exmaple.pl', messageId: ackId, id: 'qmail-ack' });
    // Not ours: a bounce of someone else's mail, and one of an acknowledgment of a request that does not exist.
    const foreign = dsn({ recipient: 'kto@example.com', messageId: '<abc@somewhere.example.com>', subject: 'Hello', id: 'dsn-foreign' });
    const orphan = dsn({ recipient: 'ktos@example.com', messageId: '<hz-2026-999999.ack.0123456789abcdef0123@intake.myhezo.pl>', subject: 'Re: x', id: 'dsn-orphan' });
    for (const raw of [bounceOfAck, secondBounce, foreign, orphan]) await bench.dovecot.append('pomoc-bounce', raw);

    const history = await eventually(async () => {
      const events = (await bench.test.gateway.store.history(request.number)).filter((event) => event.type === 'acknowledgment-undeliverable');
      expect(events).toHaveLength(2);
      return events;
    });
    // Both bounces are read in one group, concurrently: either may be attached first.
    expect(history.find((event) => event.source === 'mail:dsn-ack@mx.example.pl')).toMatchObject({
      internal: true,
      data: { recipient: 'adam.literowka@exmaple.pl', status: '5.1.1', messageId: ackId, diagnostic: expect.stringContaining('User unknown in virtual mailbox table') },
    });
    // qmail's bounce has no report: the address comes from its "<address>:" line.
    expect(history.find((event) => event.source === 'mail:qmail-ack@mail.example.com')).toMatchObject({ data: { recipient: 'adam.literowka@exmaple.pl', messageId: ackId } });
    expect(await bench.numberFor('<dsn-ack@mx.example.pl>')).toBe(request.number);
    expect(await bench.numberFor('<qmail-ack@mail.example.com>')).toBe(request.number);
    // The bounce quotes a serial: the request is not judged again, nor does it get a new request.
    const stored = await bench.test.gateway.store.get(request.number);
    expect(stored).toMatchObject({ status: request.status, serialNumber: 'XLS812-240517' });
    expect((await bench.test.gateway.store.listOpen()).length).toBe(sequenceBefore);

    await eventually(async () => expect(await bench.dovecot.uids('pomoc-bounce', 'Quarantine')).toHaveLength(2));
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-bounce', 'Processed')).toHaveLength(3));
    expect(await bench.dovecot.uids('pomoc-bounce', 'INBOX')).toEqual([]);
    const entries = await quarantined('pomoc-bounce');
    expect(entries.map((entry) => [entry.reason, entry.messageId])).toEqual([
      ['bounce', '<dsn-foreign@mx.example.pl>'],
      ['bounce', '<dsn-orphan@mx.example.pl>'],
    ]);
    expect(entries[1]?.detail).toContain('HZ-2026-999999');
    expect(await bench.numberFor('<dsn-foreign@mx.example.pl>')).toBeNull();
    expect(await bench.numberFor('<dsn-orphan@mx.example.pl>')).toBeNull();

    // One alert to the engineers for the two bounces, saying whose address is wrong.
    const alert = await eventually(() => {
      const found = mailTo('serwis@myhezo.pl').filter((message) => message.subject.includes(request.number) && message.subject.includes('Potwierdzenie nie dotarło'));
      expect(found).toHaveLength(1);
      return found[0]!;
    });
    // The first bounce attached is the one it tells of (either, as they were read together).
    expect(alert.text).toContain('adam.literowka@exmaple.pl');
    expect(alert.text).toContain('Adres zgłaszającego jest błędny');
    // Nothing was sent to a mail server's daemon.
    expect(bench.smtp.messages.filter((message) => message.envelope.to.some((to) => /mailer-daemon/i.test(to)))).toEqual([]);
    // Still one alert once everything settled (a second bounce must not alert again).
    await bench.dovecot.append('pomoc-bounce', buildMail({ subject: 'Awaria', body: REPORT, from: 'Kontrola <control.bounce@example.pl>' }).raw);
    await eventually(() => expect(mailTo('control.bounce@example.pl')).toHaveLength(1));
    expect(mailTo('serwis@myhezo.pl').filter((message) => message.subject.includes('Potwierdzenie nie dotarło') && message.subject.includes(request.number))).toHaveLength(1);
  });

  it('takes the sender from a second From header, or from Sender when there is no From', async () => {
    const [pomoc] = bench.mailboxes('senders');
    await bench.supervise([pomoc!]);
    const twoFroms = buildMail({ subject: 'Awaria', body: REPORT, from: 'Dzial IT\r\nFrom: =?utf-8?q?Ewa_=C5=BBak?= <ewa.zak@example.pl>' });
    const senderOnly = buildMail({ subject: 'Awaria', body: REPORT, from: '', headers: { Sender: 'Marek Nowicki <marek.nowicki@example.pl>' } });
    const replyToOnly = buildMail({ subject: 'Awaria', body: REPORT, from: 'Undisclosed', headers: { 'Reply-To': 'zofia@example.pl' } });
    for (const mail of [twoFroms, senderOnly, replyToOnly]) await bench.dovecot.append('pomoc-senders', mail.raw);
    expect((await bench.requestFor(twoFroms.messageId)).reporter).toEqual({ name: 'Ewa Żak', email: 'ewa.zak@example.pl' });
    expect((await bench.requestFor(senderOnly.messageId)).reporter).toEqual({ name: 'Marek Nowicki', email: 'marek.nowicki@example.pl' });
    expect((await bench.requestFor(replyToOnly.messageId)).reporter).toEqual({ email: 'zofia@example.pl' });
    await eventually(() => expect(mailTo('ewa.zak@example.pl')).toHaveLength(1));
    await eventually(() => expect(mailTo('marek.nowicki@example.pl')).toHaveLength(1));
    expect(await quarantined('pomoc-senders')).toEqual([]);
  });
});
