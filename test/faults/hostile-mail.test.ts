/**
 * Hostile and malformed mail (issue 7/7, "nothing lost, nothing doubled"): a corpus of broken
 * MIME, endless nesting, huge headers, bogus charsets, 10,000 attachments, empty mails, text
 * that costs a careless parser quadratic time, and 50 MB mail — APPENDed to a private Dovecot
 * between ordinary mails, while the real mail channel watches the mailbox. Each hostile mail
 * must end as a stamped request or in Quarantine with its reason recorded; none stays in
 * INBOX, none is lost, none stops the drain, and the ordinary mails after them are stamped.
 * Then random header and body soup (fast-check) must end the same way.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listQuarantine, type QuarantineEntry } from '../../src/channels/mail/quarantine.js';
import type { ServiceRequest } from '../../src/domain/request.js';
import { hostileCorpus, soupMail, withSoupId, type HostileMail } from '../fixtures/mail-hostile/corpus.js';
import { buildMail, startMailBench, type MailBench } from '../support/mail-gateway.js';

const REPORT = 'Dzień dobry,\ndrukarka w bibliotece nie drukuje.\nNumer umowy: HZ-2026-00123\nS/N: XLS812-240517\n';
const REASONS = ['oversize', 'unparseable', 'no-sender', 'attachment-too-large', 'invalid-draft'];
const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
/** Tells this test run's soup mails from any other's. */
const SOUP_STAMP = Date.now().toString(36);

let bench: MailBench;
beforeAll(async () => {
  bench = await startMailBench();
});
afterAll(async () => {
  await bench?.stop();
});

/** What became of one appended mail. */
type Fate = { filed: ServiceRequest } | { quarantined: QuarantineEntry } | { inInbox: true } | { unknown: true };

/**
 * Waits until every UID left INBOX and is accounted for — a stamped request that names it
 * (raw.location) or a quarantine entry for it — and returns each UID's fate.
 */
async function fates(mailbox: string, uids: readonly number[], timeout: number): Promise<Map<number, Fate>> {
  const { gateway } = bench.test;
  const read = async (): Promise<Map<number, Fate>> => {
    const inbox = new Set(await bench.dovecot.uids(mailbox, 'INBOX'));
    const quarantined = new Map((await listQuarantine(gateway.redis, gateway.settings.intake.prefix)).filter((entry) => entry.mailbox === mailbox).map((entry) => [entry.uid, entry]));
    const filed = new Map<number, ServiceRequest>();
    for (const request of await gateway.store.listOpen({ limit: 100_000 })) {
      const uid = new RegExp(`^imap:${mailbox}/\\d+/(\\d+)$`).exec(request.raw.location ?? '')?.[1];
      if (uid) filed.set(Number(uid), request);
    }
    return new Map(
      uids.map((uid): [number, Fate] => {
        const request = filed.get(uid);
        const entry = quarantined.get(uid);
        if (request) return [uid, { filed: request }];
        if (entry) return [uid, { quarantined: entry }];
        return [uid, inbox.has(uid) ? { inInbox: true } : { unknown: true }];
      }),
    );
  };
  return vi.waitFor(
    async () => {
      const found = await read();
      const open = [...found].filter(([, fate]) => 'inInbox' in fate || 'unknown' in fate).map(([uid, fate]) => `${uid} (${'inInbox' in fate ? 'in INBOX' : 'gone from INBOX'})`);
      if (open.length > 0) throw new Error(`UIDs not yet filed or quarantined: ${open.slice(0, 20).join(', ')}`);
      return found;
    },
    { timeout, interval: 250 },
  );
}

const count = (all: Iterable<Fate>, kind: 'filed' | 'quarantined') => [...all].filter((fate) => kind in fate).length;

describe('hostile mail on a watched mailbox', () => {
  it('files or quarantines (with its reason) every hostile mail; the ordinary mails around them are stamped', async () => {
    const [pomoc] = bench.mailboxes('hostile');
    const user = pomoc!.imap.user;
    const supervisor = await bench.supervise([pomoc!]);
    expect(bench.test.gateway.settings.mailboxes.maxMessageBytes).toBe(MAX_MESSAGE_BYTES);

    const good = (when: string) => [1, 2, 3].map((n) => buildMail({ subject: `Awaria ${when} ${n}`, body: REPORT, from: `Dobra ${n} <good-${when}-${n}@example.pl>` }));
    const before = good('before');
    const after = good('after');
    const corpus = hostileCorpus();
    const uidOf = new Map<string, number>();
    const refused: string[] = [];
    for (const mail of before) await bench.dovecot.append(user, mail.raw);
    for (const mail of corpus) {
      // Dovecot may refuse an APPEND (an entirely empty message): then it never reached us.
      const uid = await bench.dovecot.append(user, mail.raw).catch((error: Error) => {
        refused.push(`${mail.name}: ${error.message}`);
        return 0;
      });
      if (uid) uidOf.set(mail.name, uid);
    }
    for (const mail of after) await bench.dovecot.append(user, mail.raw);
    const appended = corpus.filter((mail) => uidOf.has(mail.name));
    // Only an entirely empty message may be refused (Dovecot 2.3 does): the rest must be tried.
    expect(refused.filter((line) => !line.startsWith('entirely-empty:'))).toEqual([]);

    const found = await fates(user, [...uidOf.values()], 90_000);
    for (const mail of [...before, ...after]) {
      const request = await bench.requestFor(mail.messageId);
      expect(request).toMatchObject({ channel: 'email', contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517' });
    }

    const table: string[] = [];
    for (const mail of appended) {
      const fate = found.get(uidOf.get(mail.name)!)!;
      table.push(`${mail.name.padEnd(24)} ${(mail.raw.length / 1024).toFixed(0).padStart(7)} KiB → ${'filed' in fate ? `filed ${fate.filed.number}` : 'quarantined' in fate ? `quarantined (${fate.quarantined.reason}: ${fate.quarantined.detail.slice(0, 70)})` : 'lost'}`);
      expectFate(mail, fate);
    }
    console.log(table.join('\n'));

    // Everything left INBOX: the filed mails sit in Processed, the others in Quarantine.
    const filed = count(found.values(), 'filed');
    const quarantined = count(found.values(), 'quarantined');
    expect(await bench.dovecot.uids(user, 'INBOX')).toEqual([]);
    expect(await bench.dovecot.uids(user, 'Quarantine')).toHaveLength(quarantined);
    expect(await bench.dovecot.uids(user, 'Processed')).toHaveLength(filed + before.length + after.length);

    // Oversize mail is judged by its size alone: the two of them (76 MB) were never downloaded.
    const state = supervisor.status()[0]!;
    expect(state).toMatchObject({ connected: true, backlog: 0 });
    expect(state.error).toBeUndefined();
    const small = appended.filter((mail) => mail.raw.length <= MAX_MESSAGE_BYTES).reduce((sum, mail) => sum + mail.raw.length, 0);
    expect(state.bytesReceived).toBeLessThan(small + 4 * 1024 * 1024);
    for (const name of ['body-50mb', 'oversize-header-10000']) {
      const notice = await vi.waitFor(
        () => {
          const sent = bench.smtp.messages.find((message) => message.envelope.to.includes(`hostile-${name}@example.pl`));
          if (!sent) throw new Error(`no oversize notice to ${name} yet`);
          return sent;
        },
        { timeout: 15_000, interval: 100 },
      );
      expect(notice.subject).toBe(`Wiadomość za duża / Message too large: Awaria (${name})`);
      expect(notice.header('in-reply-to')).toBe(`<hostile-${name}@example.pl>`);
    }

    console.log(
      `${appended.length} hostile mails → ${filed} filed, ${quarantined} quarantined, 0 lost` +
        `${refused.length ? `; refused by Dovecot at APPEND: ${refused.join('; ')}` : ''}; ${before.length + after.length} ordinary mails around them stamped; ` +
        `${(state.bytesReceived / 1024 / 1024).toFixed(1)} MiB read from IMAP for ${((small + 76 * 1024 * 1024) / 1024 / 1024).toFixed(1)} MiB appended`,
    );
  }, 120_000);

  it('files or quarantines random header and body soup, whatever fast-check makes', async () => {
    let run = 0;
    let mails = 0;
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...Array.from({ length: 25 }, () => soupMail())),
        async (soup) => {
          run += 1;
          const [pomoc] = bench.mailboxes(`soup-${run}`);
          const user = pomoc!.imap.user;
          await bench.supervise([pomoc!]);
          const uids: number[] = [];
          // Ids named here, unique per run and mail: a repeated Message-ID would be a duplicate.
          for (const [n, raw] of soup.entries()) uids.push(await bench.dovecot.append(user, withSoupId(raw, `soup-${SOUP_STAMP}-${run}-${n}`)));
          const last = buildMail({ subject: 'Awaria po zupie', body: REPORT, from: `Dobra <good-soup-${run}@example.pl>` });
          await bench.dovecot.append(user, last.raw);
          const found = await fates(user, uids, 30_000);
          for (const fate of found.values()) {
            const outcome = 'quarantined' in fate ? `quarantined (${fate.quarantined.reason})` : 'filed';
            outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
            if ('quarantined' in fate) {
              expect(REASONS).toContain(fate.quarantined.reason);
              expect(fate.quarantined.detail).not.toBe('');
            }
          }
          await bench.requestFor(last.messageId);
          expect(await bench.dovecot.uids(user, 'INBOX')).toEqual([]);
          mails += soup.length;
        },
      ),
      // Each run is a mailbox's worth of real IMAP and queue traffic: a few runs, no shrinking
      // (a failure names the run's seed, which replays it).
      { numRuns: 8, endOnFailure: true },
    );
    const lines = [...outcomes].sort().map(([outcome, n]) => `${n} ${outcome}`);
    console.log(`${mails} soup mails (fast-check, ${run} runs) → ${lines.join(', ')}, 0 lost`);
  }, 120_000);
});

/** The fate a corpus mail must meet: its pinned outcome, or either outcome with a known reason. */
function expectFate(mail: HostileMail, fate: Fate): void {
  const name = mail.name;
  expect(['filed', 'quarantined'].some((kind) => kind in fate), `${name} was neither filed nor quarantined`).toBe(true);
  if ('quarantined' in fate) {
    expect(REASONS, name).toContain(fate.quarantined.reason);
    expect(fate.quarantined.detail, name).not.toBe('');
    // Whoever reads the quarantine can tell which mail it was and who to call, parsed or not.
    if (mail.messageId) expect({ messageId: fate.quarantined.messageId, from: fate.quarantined.from }, name).toEqual({ messageId: mail.messageId, from: `hostile-${name}@example.pl` });
  }
  if (typeof mail.must === 'object') expect('quarantined' in fate ? fate.quarantined.reason : 'filed', name).toBe(mail.must.quarantined);
  if (mail.must === 'read') {
    expect('filed' in fate, `${name} had to be filed`).toBe(true);
    if ('filed' in fate) expect(fate.filed, name).toMatchObject({ contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517' });
  }
  if ('filed' in fate) expect(fate.filed.reporter.email, name).toBe(`hostile-${name}@example.pl`);
}
