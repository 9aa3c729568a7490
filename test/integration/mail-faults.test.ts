/**
 * Faults around a mail in hand, on real servers: the attachment store failing, the connection
 * replaced while a drain runs, the server refusing a move, the oversize notice failing to
 * queue, and a stop while the lease is being taken. In each, the mail is filed (or
 * quarantined, its sender told) once the fault is gone, and nothing stays held.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listQuarantine } from '../../src/channels/mail/quarantine.js';
import type { Readable } from 'node:stream';
import type { Attachment } from '../../src/domain/request.js';
import { AttachmentStore } from '../../src/intake/attachment-store.js';
import type { Intake } from '../../src/intake/intake.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { buildMail, startMailBench, type MailBench } from '../support/mail-gateway.js';

let bench: MailBench;
beforeAll(async () => {
  bench = await startMailBench();
});
afterAll(async () => {
  await bench?.stop();
});

const eventually = <T>(check: () => T | Promise<T>): Promise<T> => vi.waitFor(check, { timeout: 10_000, interval: 50 });
const REPORT = 'Umowa HZ-2026-00123, S/N XLS812-240517: błąd robota.';
/** Mails left for a later drain are picked up by the interval drain this often here. */
const RETRY_EVERY = { drainIntervalMs: 300 };

const quarantined = async (mailbox: string) =>
  (await listQuarantine(bench.test.gateway.redis, bench.test.gateway.settings.intake.prefix)).filter((entry) => entry.mailbox === mailbox);

/** A report with a device log attached. */
function mailWithLog(messageId: string): string {
  return [
    'From: Anna Nowak <anna.nowak@example.pl>', 'To: pomoc@myhezo.pl', 'Subject: Log z biblioteki', `Message-ID: ${messageId}`, 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain; charset=utf-8', '', REPORT, '--b',
    'Content-Type: text/plain; name="library.log"', 'Content-Disposition: attachment; filename="library.log"', '', 'ERROR picker jam', '--b--', '',
  ].join('\r\n');
}

/** A store whose disk fails for one attachment name until healed (a bad sector, a full quota). */
class FlakyStore extends AttachmentStore {
  healed = false;
  override async save(content: Readable, meta: { name: string; type: string }): Promise<Attachment> {
    if (!this.healed && meta.name === 'broken.log') throw new Error('EIO: i/o error writing broken.log');
    return super.save(content, meta);
  }
}

describe('mail faults', () => {
  it('files a backlog handled concurrently in groups once and only once when one mail in the middle must wait', async () => {
    const [pomoc] = bench.mailboxes('midway');
    const store = new FlakyStore(path.join(bench.test.root, 'flaky-attachments'), 1_000_000);
    const mails = Array.from({ length: 140 }, (_, n) => {
      const messageId = `<midway-${n}@example.pl>`;
      return { messageId, raw: n === 60 ? mailWithLog(messageId).replaceAll('library.log', 'broken.log') : buildMail({ subject: `Zgłoszenie ${n}`, body: REPORT, messageId }).raw };
    });
    await bench.dovecot.appendMany('pomoc-midway', mails.map((mail) => mail.raw));
    const supervisor = await bench.supervise([pomoc!], RETRY_EVERY, { attachments: store });

    // The mails before it are filed and moved; it stays in INBOX, with the mails not yet started after it.
    await eventually(() => expect(supervisor.status()[0]?.error).toMatch(/EIO/));
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-midway', 'INBOX')).toContain(61));
    expect((await bench.dovecot.uids('pomoc-midway', 'Processed')).length).toBeGreaterThanOrEqual(60);
    expect(await quarantined('pomoc-midway')).toEqual([]);

    store.healed = true;
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-midway', 'Processed')).toHaveLength(140));
    expect(await bench.dovecot.uids('pomoc-midway', 'INBOX')).toEqual([]);
    const numbers = await Promise.all(mails.map(async (mail) => (await bench.requestFor(mail.messageId)).number));
    expect(new Set(numbers).size).toBe(140);
    const sourceKeys = new Set(mails.map((mail) => `mail:${mail.messageId.slice(1, -1)}`));
    const stored = (await bench.test.gateway.store.listOpen()).filter((request) => sourceKeys.has(request.sourceKey));
    expect(stored).toHaveLength(140);
    expect((await bench.requestFor('<midway-60@example.pl>')).attachments).toEqual([expect.objectContaining({ name: 'broken.log' })]);
    await eventually(() => expect(supervisor.status()[0]).toMatchObject({ backlog: 0 }));
    await eventually(() => expect(supervisor.status()[0]?.error).toBeUndefined());
  });

  it('leaves a mail in INBOX while the attachment store cannot write, and files it once it can', async () => {
    const [pomoc] = bench.mailboxes('disk');
    const dir = path.join(bench.test.root, 'failing-attachments');
    const store = new AttachmentStore(dir, 1_000_000);
    // Its tmp/ gone (an unmounted volume, a cleanup gone wrong): every save fails with ENOENT.
    rmSync(path.join(dir, 'tmp'), { recursive: true });
    const supervisor = await bench.supervise([pomoc!], RETRY_EVERY, { attachments: store });
    await bench.dovecot.append('pomoc-disk', mailWithLog('<disk-error@example.pl>'));

    await eventually(() => expect(supervisor.status()[0]?.error).toMatch(/ENOENT/));
    expect(await bench.dovecot.uids('pomoc-disk', 'INBOX')).toEqual([1]);
    expect(await bench.dovecot.uids('pomoc-disk', 'Quarantine')).toEqual([]);
    expect(await quarantined('pomoc-disk')).toEqual([]);

    mkdirSync(path.join(dir, 'tmp'));
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-disk', 'Processed')).toHaveLength(1));
    const request = await bench.requestFor('<disk-error@example.pl>');
    expect(request.attachments).toEqual([expect.objectContaining({ name: 'library.log' })]);
    expect(await store.exists(request.attachments[0]!.storageKey)).toBe(true);
    await eventually(() => expect(supervisor.status()[0]?.error).toBeUndefined());
  });

  it('drains the new connection when it reconnected while the old one was still draining', async () => {
    const [pomoc] = bench.mailboxes('reconnect');
    // submit() of the first mail waits until the test lets it go: the drain is in hand meanwhile.
    let submitting = false;
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const slowOnce: Intake = {
      async submit(draft, options) {
        if (!submitting) {
          submitting = true;
          await held;
        }
        return bench.test.gateway.intake.submit(draft, options);
      },
    };
    const supervisor = await bench.supervise([pomoc!], {}, { intake: slowOnce });
    const first = buildMail({ subject: 'Przed zerwaniem', body: REPORT });
    await bench.dovecot.append('pomoc-reconnect', first.raw);
    await eventually(() => expect(submitting).toBe(true));

    await bench.dovecot.kick('pomoc-reconnect');
    await eventually(() => expect(supervisor.status()[0]?.connected).toBe(false));
    await eventually(() => expect(supervisor.status()[0]?.connected).toBe(true));
    // On the new connection, which has not idled yet: only its own drain can find it.
    const second = buildMail({ subject: 'Po zerwaniu', body: REPORT });
    await bench.dovecot.append('pomoc-reconnect', second.raw);
    letGo();

    // The interval drain (60 s here) is not what files them.
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-reconnect', 'Processed')).toHaveLength(2));
    expect(await bench.dovecot.uids('pomoc-reconnect', 'INBOX')).toEqual([]);
    const numbers = await Promise.all([first, second].map(async (mail) => (await bench.requestFor(mail.messageId)).number));
    expect(new Set(numbers).size).toBe(2);
  });

  it('keeps a filed mail in INBOX when the server refuses to move it to Processed, and moves it later', async () => {
    const [pomoc] = bench.mailboxes('move');
    const supervisor = await bench.supervise([pomoc!], RETRY_EVERY);
    const admin = await bench.dovecot.client('pomoc-move');
    try {
      // Deleted under the watcher (which created it on connecting): UID MOVE answers NO [TRYCREATE].
      await admin.mailboxDelete('Processed');
      const mail = buildMail({ subject: 'Bez folderu', body: REPORT });
      await bench.dovecot.append('pomoc-move', mail.raw);
      const request = await bench.requestFor(mail.messageId);
      await eventually(() => expect(supervisor.status()[0]?.error).toMatch(/Processed/));
      expect(await bench.dovecot.uids('pomoc-move', 'INBOX')).toEqual([1]);

      await admin.mailboxCreate('Processed');
      await eventually(async () => expect(await bench.dovecot.uids('pomoc-move', 'Processed')).toHaveLength(1));
      expect(await bench.dovecot.uids('pomoc-move', 'INBOX')).toEqual([]);
      // Submitted again on every try, filed once.
      expect(await bench.numberFor(mail.messageId)).toBe(request.number);
    } finally {
      await admin.logout();
    }
  });

  it('keeps a mail to quarantine in INBOX when the server refuses to move it, and quarantines it later', async () => {
    const [pomoc] = bench.mailboxes('qmove');
    const supervisor = await bench.supervise([pomoc!], RETRY_EVERY);
    const admin = await bench.dovecot.client('pomoc-qmove');
    try {
      await admin.mailboxDelete('Quarantine');
      await bench.dovecot.append('pomoc-qmove', buildMail({ subject: 'Bez nadawcy', body: REPORT, from: '' }).raw);
      await eventually(() => expect(supervisor.status()[0]?.error).toMatch(/Quarantine/));
      expect(await bench.dovecot.uids('pomoc-qmove', 'INBOX')).toEqual([1]);

      await admin.mailboxCreate('Quarantine');
      await eventually(async () => expect(await bench.dovecot.uids('pomoc-qmove', 'Quarantine')).toHaveLength(1));
      expect(await bench.dovecot.uids('pomoc-qmove', 'INBOX')).toEqual([]);
      // Recorded on every try (the record comes before the move).
      expect(new Set((await quarantined('pomoc-qmove')).map((entry) => `${entry.uid} ${entry.reason}`))).toEqual(new Set(['1 no-sender']));
    } finally {
      await admin.logout();
    }
  });

  it('tells the sender of an oversize mail even when queueing the notice failed the first time', async () => {
    const [pomoc] = bench.mailboxes('notice');
    let failures = 0;
    const failsOnce: Pick<Notifier, 'enqueue'> = {
      async enqueue(jobId, job) {
        if (failures === 0) {
          failures += 1;
          throw new Error('Connection is closed.');
        }
        return bench.notifier.enqueue(jobId, job);
      },
    };
    await bench.supervise([pomoc!], { ...RETRY_EVERY, maxMessageBytes: 20_000 }, { notifier: failsOnce });
    await bench.dovecot.append('pomoc-notice', buildMail({ subject: 'Logi', body: 'x'.repeat(30_000), from: 'Ola <ola.notice@example.pl>' }).raw);

    const notice = await eventually(() => {
      const found = bench.smtp.messages.find((message) => message.envelope.to.includes('ola.notice@example.pl'));
      if (!found) throw new Error('no notice yet');
      return found;
    });
    expect(notice.subject).toContain('Message too large');
    expect(failures).toBe(1);
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-notice', 'Quarantine')).toHaveLength(1));
    expect(await bench.dovecot.uids('pomoc-notice', 'INBOX')).toEqual([]);
    expect((await quarantined('pomoc-notice')).map((entry) => entry.reason)).toEqual(['oversize']);
  });

  it('frees the lease when stopped while taking it', async () => {
    const [pomoc] = bench.mailboxes('stop-lease');
    const { redis, settings } = bench.test.gateway;
    const leaseKey = `${settings.intake.prefix}:mail:lease:${pomoc!.name}`;
    const pauser = new Redis(bench.redis.url);
    try {
      // Writes wait while Redis is paused: the watcher's SET NX is still in flight when stop() comes.
      await pauser.client('PAUSE', 1000, 'WRITE');
      const supervisor = await bench.supervise([pomoc!], { leaseTtlMs: 60_000 }, {}, { waitConnected: false });
      await supervisor.stop();
      await pauser.client('UNPAUSE');
      // Sent on the watcher's own connection, so answered after its SET.
      expect(await redis.get(leaseKey)).toBeNull();
    } finally {
      await pauser.client('UNPAUSE').catch(() => undefined);
      pauser.disconnect();
    }
  });
});
