/**
 * kill -9 of a gateway process during a burst through all three channels: the process holding
 * pomoc@'s mailbox lease dies with mails fetched but not moved, webhooks and portal calls in
 * flight, and dispatcher jobs locked. The lease must move to the other process, the locked jobs
 * must be taken over, the senders retry what was cut off — and every accepted submission is
 * exactly one request with the right deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type FaultCluster } from '../support/fault-cluster.js';
import { describeReconciliation, FaultDriver } from '../support/fault-driver.js';

let cluster: FaultCluster;

beforeAll(async () => {
  cluster = await startCluster({ gateways: 2 });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a gateway process killed during a burst', () => {
  it('loses nothing and doubles nothing; the mailbox lease moves to the survivor', async () => {
    const driver = new FaultDriver(cluster);
    const holder = await cluster.mailboxHolder();
    let killed: Promise<void> | undefined;
    await driver.burst({ mail: 150, phone: 30, portal: 60 }, 16, (done) => {
      if (done === 60) killed = holder.kill9();
    });
    await killed;
    expect(holder.alive).toBe(false);
    const survivor = await cluster.mailboxHolder();
    expect(survivor).not.toBe(holder);

    const report = await driver.reconcile(90_000);
    console.log(describeReconciliation(`kill -9 of gateway ${holder.name} (mailbox holder) mid-burst`, report));
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.wrongDeadline).toEqual([]);
    expect(report.byChannel.portal.refused + report.byChannel.phone.refused + report.byChannel.mail.refused).toBe(0);
    expect(report.stored).toBe(240);
    // The kill hit live traffic: some sender saw a dropped connection and retried.
    expect(report.refusalsSeen).toBeGreaterThan(0);
  }, 240_000);
});
