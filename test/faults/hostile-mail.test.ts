/**
 * Hostile and malformed mail (issue 7/7) through the real mail channel: the corpus of
 * test/fixtures/mail-hostile (broken MIME, nesting 500 and 5,000 deep, a 1 MB subject, 10,000
 * Received headers, bogus charsets, 10,000 attachments, empty and 50 MB mails) is appended to
 * a private Dovecot between two ordinary mails. Every hostile mail must end filed as a request
 * or quarantined with a reason — none left in INBOX, none lost — while the watcher keeps
 * running and the ordinary mails around them become stamped requests.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listQuarantine } from '../../src/channels/mail/quarantine.js';
import { normalizeMessageId } from '../../src/intake/submit.js';
import { hostileCorpus, type HostileMail } from '../fixtures/mail-hostile/corpus.js';
import { buildMail, startMailBench, type MailBench } from '../support/mail-gateway.js';

let bench: MailBench;

beforeAll(async () => {
  bench = await startMailBench();
});
afterAll(async () => {
  await bench?.stop();
});

const ordinary = (subject: string) => buildMail({ subject, body: 'Numer umowy: HZ-2026-00123\nS/N: XLS812-240517\nRobot nie odpowiada.\n' });

describe('hostile mail', () => {
  it('files or quarantines every hostile mail with a reason, and the ordinary mails around them are filed', async () => {
    const [pomoc] = bench.mailboxes('hostile');
    const user = pomoc!.imap.user;
    const supervisor = await bench.supervise([pomoc!]);
    const corpus = hostileCorpus();

    const first = ordinary('Awaria przed');
    await bench.dovecot.append(user, first.raw);
    const appended: Array<HostileMail & { uid: number }> = [];
    const refusedByDovecot: string[] = [];
    for (const mail of corpus) {
      try {
        appended.push({ ...mail, uid: await bench.dovecot.append(user, mail.raw) });
      } catch (error) {
        // A mail server would not deliver what Dovecot refuses to store either (an empty APPEND).
        refusedByDovecot.push(`${mail.name}: ${(error as Error).message}`);
      }
    }
    const last = ordinary('Awaria po');
    await bench.dovecot.append(user, last.raw);

    await vi.waitFor(async () => expect(await bench.dovecot.uids(user, 'INBOX')).toEqual([]), { timeout: 180_000, interval: 500 });
    // The watcher lived through it, and what came before and after is filed.
    expect(supervisor.status().every((state) => state.connected)).toBe(true);
    expect((await bench.requestFor(first.messageId)).status).toBe('accepted');
    expect((await bench.requestFor(last.messageId)).status).toBe('accepted');

    const quarantine = await listQuarantine(bench.test.gateway.redis, bench.test.gateway.settings.intake.prefix);
    const outcomes = await Promise.all(
      appended.map(async (mail) => {
        const number = mail.messageId ? await bench.numberFor(mail.messageId) : null;
        const filed = number ? await bench.test.gateway.store.get(number) : null;
        const quarantined = quarantine.find((entry) => entry.mailbox === pomoc!.name && entry.uid === mail.uid);
        return { mail, filed, quarantined };
      }),
    );
    for (const { mail, filed, quarantined } of outcomes) {
      expect(filed !== null || quarantined !== undefined, `${mail.name} neither filed nor quarantined`).toBe(true);
      if (quarantined) {
        expect(quarantined.detail, `${mail.name} quarantined without a reason`).not.toBe('');
        // Whoever reads the quarantine can tell who sent it, even when the mail would not parse.
        if (mail.messageId) expect(quarantined.from ?? normalizeMessageId(quarantined.messageId ?? ''), mail.name).toMatch(new RegExp(`hostile-${mail.name}`));
      }
      if (mail.must === 'filed') expect(filed, mail.name).not.toBeNull();
      if (typeof mail.must === 'object') expect(quarantined?.reason, mail.name).toBe(mail.must.quarantined);
    }
    // Nothing vanished between the folders: every mail is in Processed or in Quarantine, once.
    const processed = await bench.dovecot.uids(user, 'Processed');
    const held = await bench.dovecot.uids(user, 'Quarantine');
    expect(processed.length + held.length).toBe(appended.length + 2);
    // The sender of the 50 MB mail is told why it was not taken.
    await vi.waitFor(() => expect(bench.smtp.messages.some((m) => m.envelope.to.includes('hostile-body-50mb@example.pl'))).toBe(true), { timeout: 20_000 });

    const filed = outcomes.filter((o) => o.filed).length;
    const reasons = outcomes.filter((o) => !o.filed).map((o) => `${o.mail.name}: ${o.quarantined?.reason}`);
    console.log(
      `hostile mail: ${corpus.length} mails, ${appended.length} appended (${refusedByDovecot.length} refused by Dovecot: ${refusedByDovecot.join('; ') || 'none'}) → ${filed} filed, ${appended.length - filed} quarantined (${reasons.join(', ')}), 0 lost; the ordinary mails before and after filed`,
    );
  }, 300_000);
});
