/**
 * redis-server stopped for 10 s during a burst through all three channels, then started again
 * on its append-only file: the portal sees 503 with Retry-After and retries; mails wait in the
 * inbox; calls go on from the process's copy of the session and are spooled ("your request is
 * being registered") and filed once Redis is back. Every accepted submission is exactly one
 * request with the right deadline; nothing the AOF held is lost.
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

describe('redis-server stopped for 10 s during a burst', () => {
  it('refuses visibly while it is down and files everything once it is back', async () => {
    const driver = new FaultDriver(cluster, 90_000);
    let outage: Promise<void> | undefined;
    const before = await cluster.store.countByStatus();
    await driver.burst({ mail: 100, phone: 30, portal: 60 }, 16, (done) => {
      if (done !== 40) return;
      outage = (async () => {
        await cluster.redis.server.stop();
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        await cluster.redis.server.restart();
      })();
    });
    await outage;
    expect(Object.values(before).reduce((a, b) => a + b, 0)).toBe(0);

    const report = await driver.reconcile(120_000);
    console.log(describeReconciliation('redis-server down for 10 s mid-burst', report));
    const portal503s = driver.log.filter((entry) => entry.channel === 'portal').flatMap((entry) => entry.refusals).filter((refusal) => refusal.endsWith(': 503')).length;
    console.log(`  portal 503s retried: ${portal503s}; calls spooled: ${report.byChannel.phone.spooled}`);
    expect(report.missing).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.wrongDeadline).toEqual([]);
    expect(report.byChannel.portal.refused + report.byChannel.phone.refused + report.byChannel.mail.refused).toBe(0);
    expect(report.stored).toBe(190);
    // The outage was seen by the senders, not hidden: the portal was answered 503 meanwhile.
    expect(portal503s).toBeGreaterThan(0);
  }, 300_000);
});
