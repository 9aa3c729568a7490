/**
 * Nothing lost, nothing doubled: Dovecot restarted mid-stream, a watcher process dying
 * mid-drain, the lease taken over by another process, Redis down while mail arrives.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildMail, startMailBench, type MailBench } from '../support/mail-gateway.js';

let bench: MailBench;
beforeAll(async () => {
  bench = await startMailBench();
});
afterAll(async () => {
  await bench?.stop();
});

const eventually = <T>(check: () => T | Promise<T>, timeout = 15_000): Promise<T> => vi.waitFor(check, { timeout, interval: 50 });
const REPORT = 'Umowa HZ-2026-00123, S/N XLS812-240517: błąd robota.';

/** The distinct request numbers these mails became (every one must have one). */
async function numbersOf(mails: ReadonlyArray<{ messageId: string }>): Promise<Set<string>> {
  const numbers = await Promise.all(mails.map((mail) => bench.numberFor(mail.messageId)));
  expect(numbers.every(Boolean)).toBe(true);
  return new Set(numbers as string[]);
}

describe('mailbox watcher resilience', () => {
  it('reconnects after Dovecot restarts mid-stream, alerts while unreachable, and misses nothing', async () => {
    const [pomoc] = bench.mailboxes('restart');
    const alerts: string[] = [];
    const supervisor = await bench.supervise([pomoc!], { unreachableAlertMs: 300 }, { onUnreachable: (mailbox) => alerts.push(mailbox) });
    const before = Array.from({ length: 3 }, (_, n) => buildMail({ subject: `Przed ${n}`, body: REPORT }));
    for (const mail of before) await bench.dovecot.append('pomoc-restart', mail.raw);
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-restart', 'Processed')).toHaveLength(3));

    await bench.dovecot.stop();
    await eventually(() => expect(supervisor.status()[0]).toMatchObject({ connected: false, leaseHeld: true }));
    await eventually(() => expect(alerts).toEqual(['pomoc-restart']));
    const check = supervisor.readinessChecks()[0]!;
    expect(check.check().ok).toBe(false);
    await bench.dovecot.start();
    // Appended at once, possibly before the watcher is back: the reconnect drain finds them.
    const after = Array.from({ length: 3 }, (_, n) => buildMail({ subject: `Po ${n}`, body: REPORT }));
    for (const mail of after) await bench.dovecot.append('pomoc-restart', mail.raw);
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-restart', 'Processed')).toHaveLength(6));
    expect((await numbersOf([...before, ...after])).size).toBe(6);
    await eventually(() => expect(check.check().ok).toBe(true));
    expect(supervisor.status()[0]?.error).toBeUndefined();
  });

  it('loses and duplicates nothing when the watching process dies mid-drain and another takes over', async () => {
    const [pomoc] = bench.mailboxes('crash');
    const total = 120;
    const mails = Array.from({ length: total }, (_, n) => buildMail({ subject: `Zgłoszenie ${n}`, body: REPORT, from: `Jan ${n} <jan.crash${n}@example.pl>` }));
    const loader = await bench.dovecot.client('pomoc-crash');
    for (const mail of mails) await loader.append('INBOX', mail.raw);
    await loader.logout();
    const first = await bench.supervise([pomoc!], {}, {}, { waitConnected: false });
    // Dies as soon as some mails are submitted: some filed and moved, some filed but still in INBOX.
    await eventually(async () => expect(await bench.numberFor(mails[60]!.messageId)).not.toBeNull());
    await first.stop({ abandon: true });
    expect((await bench.dovecot.uids('pomoc-crash', 'INBOX')).length).toBeGreaterThan(0);

    // A second process: it waits for the dead one's lease to expire, then drains the rest.
    const second = await bench.supervise([pomoc!], {}, {}, { waitConnected: false });
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-crash', 'Processed')).toHaveLength(total));
    expect(await bench.dovecot.uids('pomoc-crash', 'INBOX')).toEqual([]);
    expect((await numbersOf(mails)).size).toBe(total);
    await eventually(async () => {
      const stored = (await bench.test.gateway.store.listOpen({ limit: 1000 })).filter((request) => request.raw.location?.startsWith('imap:pomoc-crash/'));
      expect(stored).toHaveLength(total);
    });
    expect(second.status()[0]).toMatchObject({ leaseHeld: true, connected: true, backlog: 0 });
  });

  it('lets exactly one of two processes watch a mailbox, and the other take over when the holder stops renewing', async () => {
    const [pomoc] = bench.mailboxes('lease');
    const holder = await bench.supervise([pomoc!]);
    const standby = await bench.supervise([pomoc!], {}, {}, { waitConnected: false });
    // Several renewals later the standby still has neither lease nor connection.
    const one = buildMail({ subject: 'Jeden', body: REPORT });
    await bench.dovecot.append('pomoc-lease', one.raw);
    await bench.requestFor(one.messageId);
    expect(standby.status()[0]).toMatchObject({ leaseHeld: false, connected: false });
    expect(holder.status()[0]).toMatchObject({ leaseHeld: true, connected: true });
    expect(standby.readinessChecks()[0]!.check()).toMatchObject({ ok: true, detail: 'watched by another process' });

    await holder.stop({ abandon: true });
    await eventually(() => expect(standby.status()[0]).toMatchObject({ leaseHeld: true, connected: true }), 5_000);
    const two = buildMail({ subject: 'Dwa', body: REPORT });
    await bench.dovecot.append('pomoc-lease', two.raw);
    const request = await bench.requestFor(two.messageId);
    expect(request.raw.location).toMatch(/^imap:pomoc-lease\/\d+\/2$/);
  });

  it('leaves mail in INBOX while Redis is down and files it when Redis is back', async () => {
    const [pomoc] = bench.mailboxes('redis');
    const supervisor = await bench.supervise([pomoc!], { drainIntervalMs: 300 });
    await bench.redis.server.stop();
    const mail = buildMail({ subject: 'Podczas awarii Redis', body: REPORT });
    await bench.dovecot.append('pomoc-redis', mail.raw);
    // The drains fail meanwhile (and say so); the mail must stay where it is.
    await eventually(() => expect(supervisor.status()[0]?.error).toMatch(/./));
    expect(await bench.dovecot.uids('pomoc-redis', 'INBOX')).toEqual([1]);
    await bench.redis.server.restart();
    await eventually(async () => expect(await bench.dovecot.uids('pomoc-redis', 'Processed')).toHaveLength(1));
    await bench.requestFor(mail.messageId);
  });
});
