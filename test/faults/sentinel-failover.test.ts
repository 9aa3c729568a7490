/**
 * kill -9 of the Redis primary during a burst through all three channels, on a Sentinel group
 * as docker-compose.ha.yml runs it (a primary, one replica, three Sentinels; data and Sentinel
 * passwords) with two gateway processes on it (`redis.minReplicasAcked` 1, the default with
 * Sentinel). The Sentinels promote the replica; the killed node is started again (as a restart
 * policy would) and becomes the new primary's replica; both gateways go on without a restart.
 * Every acknowledged submission is exactly one request with the right deadline — what was
 * acknowledged before the kill was on the replica — and the test prints how long after the kill
 * the first request was filed on the new primary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinelCluster, type SentinelCluster } from '../support/fault-cluster.js';
import { describeReconciliation, FaultDriver, type Submission } from '../support/fault-driver.js';

let cluster: SentinelCluster;

beforeAll(async () => {
  cluster = await startSentinelCluster({ gateways: 2 });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('the Redis primary killed during a burst, on Sentinel', () => {
  it('is replaced by the replica; both gateways go on; nothing acknowledged is lost or doubled', async () => {
    const driver = new FaultDriver(cluster, 60_000);
    for (const gateway of cluster.gateways) {
      const ready = await fetch(`${gateway.url}/readyz`).then((r) => r.text());
      expect(ready).toMatch(/1 replica\(s\) connected, 1 must confirm each request/);
    }
    const before = await cluster.group.currentPrimary();

    let failover: Promise<{ killedAt: number; promotedAfterMs: number; replicaAfterMs: number; probe: Submission }> | undefined;
    await driver.burst({ mail: 60, phone: 20, portal: 40 }, 12, (done) => {
      if (done !== 30) return;
      failover = (async () => {
        const old = await cluster.group.killPrimary();
        const killedAt = Date.now();
        // A portal request sent right after the kill: it can only be filed on the new primary.
        const probe = driver.portal();
        const promoted = await cluster.group.waitForPromotion(old, 40_000);
        const promotedAfterMs = Date.now() - killedAt;
        expect(promoted.port).not.toBe(old.port);
        // The orchestrator brings the old primary back; the Sentinels make it the new one's replica.
        await cluster.group.restart(old);
        await cluster.group.waitForReplicas(1, 40_000);
        return { killedAt, promotedAfterMs, replicaAfterMs: Date.now() - killedAt, probe: await probe };
      })();
    });
    expect(failover).toBeDefined();
    const { killedAt, promotedAfterMs, replicaAfterMs, probe } = await (failover as NonNullable<typeof failover>);
    expect((await cluster.group.currentPrimary()).port).not.toBe(before.port);
    expect(probe.outcome).toBe('accepted');

    // The first number told to a sender whose submission began after the kill.
    const firstFiled = Math.min(
      ...driver.log.filter((entry) => entry.startedAt >= killedAt && entry.toldNumber !== undefined && entry.channel !== 'mail').map((entry) => entry.endedAt),
    );
    console.log(
      `Sentinel failover: primary killed -9; replica promoted after ${promotedAfterMs} ms; old primary back as its replica after ${replicaAfterMs} ms; ` +
        `first request filed on the new primary ${firstFiled - killedAt} ms after the kill`,
    );

    // Both gateways go on without a restart: ready again, and each files a request itself.
    for (const gateway of cluster.gateways) {
      expect(gateway.alive).toBe(true);
      const filed = await driver.portal(gateway);
      expect(filed.outcome, `gateway ${gateway.name}: ${filed.refusals.join(', ')}`).toBe('accepted');
      await expect.poll(async () => (await fetch(`${gateway.url}/readyz`)).status, { timeout: 20_000, interval: 250 }).toBe(200);
    }

    const report = await driver.reconcile(90_000);
    console.log(describeReconciliation('kill -9 of the Redis primary mid-burst (Sentinel, 2 gateways)', report));
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.wrongDeadline).toEqual([]);
    expect(report.byChannel.portal.refused + report.byChannel.phone.refused + report.byChannel.mail.refused).toBe(0);
    // 120 in the burst, the probe, and one through each gateway afterwards.
    expect(report.stored).toBe(123);
    // The failover was seen by the senders, not hidden: some were refused and retried.
    expect(report.refusalsSeen).toBeGreaterThan(0);
  }, 240_000);
});
