/**
 * Dovecot restarted during a 1,000-mail drain: the watcher (on whichever of the two gateway
 * processes holds the lease) loses its IMAP connection with mails fetched, submitted, half
 * moved; it reconnects and drains the rest. Every mail is exactly one request, INBOX ends
 * empty, and Processed holds each mail once.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POMOC, startCluster, type FaultCluster } from '../support/fault-cluster.js';
import { describeReconciliation, FaultDriver } from '../support/fault-driver.js';

const MAILS = 1000;
let cluster: FaultCluster;

beforeAll(async () => {
  cluster = await startCluster({ gateways: 2 });
});
afterAll(async () => {
  await cluster?.stop();
});

const stored = async (): Promise<number> => Object.values(await cluster.store.countByStatus()).reduce((a, b) => a + b, 0);

describe('Dovecot restarted during a 1,000-mail drain', () => {
  it('reconnects and drains the rest: every mail one request, none twice', async () => {
    const driver = new FaultDriver(cluster, 120_000);
    await cluster.mailboxHolder();
    // Appended beside INBOX, then moved in at once: the drain keeps pace with mail appended one
    // by one (about 800 mails/s), so only a backlog that arrives whole leaves a drain to cut.
    const sent = await driver.mails(MAILS, 'Arrivals');
    expect(sent.every((entry) => entry.outcome === 'accepted')).toBe(true);
    await cluster.dovecot.moveAll(POMOC, 'Arrivals', 'INBOX');

    // As soon as the first request is stored: the drain moves a group of mails at a time and
    // runs well ahead of the dispatcher (2,000 mails in about 2.5 s), so waiting for more let
    // the whole backlog drain before the restart.
    await vi.waitFor(async () => expect(await stored()).toBeGreaterThanOrEqual(1), { timeout: 60_000, interval: 20 });
    await cluster.dovecot.stop();
    const atRestart = await stored();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await cluster.dovecot.start();
    // The restart came in the middle of the drain, not after it.
    expect(atRestart).toBeLessThan(MAILS);

    const report = await driver.reconcile(120_000);
    console.log(describeReconciliation(`Dovecot restarted with ${atRestart} of ${MAILS} mails drained`, report));
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.wrongDeadline).toEqual([]);
    expect(report.stored).toBe(MAILS);
    await vi.waitFor(async () => expect(await cluster.dovecot.uids(POMOC, 'INBOX')).toEqual([]), { timeout: 30_000, interval: 250 });
    expect(await cluster.dovecot.uids(POMOC, 'Processed')).toHaveLength(MAILS);
    expect(await cluster.dovecot.uids(POMOC, 'Quarantine')).toEqual([]);
  }, 300_000);
});
