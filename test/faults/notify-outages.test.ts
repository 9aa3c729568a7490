/**
 * The outside world failing our notifications while requests come in through two gateway
 * processes: the SMTP relay down for a while (every acknowledgment goes out once it is back,
 * none twice), and the engineers' alert webhook answering 500s and not answering at all (every
 * alert delivered once it recovers; a hung call is retried after the timeout and carries the
 * same Idempotency-Key, so the receiver can drop a late duplicate).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServiceRequest } from '../../src/domain/request.js';
import { startCluster, type FaultCluster } from '../support/fault-cluster.js';
import { describeReconciliation, FaultDriver } from '../support/fault-driver.js';

let cluster: FaultCluster;

beforeAll(async () => {
  cluster = await startCluster({ gateways: 2 });
});
afterAll(async () => {
  await cluster?.stop();
});

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stored requests of the submissions a driver made, after checking it lost and doubled nothing. */
async function reconciled(driver: FaultDriver, name: string): Promise<ServiceRequest[]> {
  const report = await driver.reconcile(60_000);
  console.log(describeReconciliation(name, report));
  expect(report.missing).toEqual([]);
  expect(report.duplicated).toEqual([]);
  expect(report.unexpected).toEqual([]);
  expect(report.wrongDeadline).toEqual([]);
  const keys = new Set(driver.log.map((entry) => entry.sourceKey));
  return (await cluster.store.listOpen({ limit: 100_000 })).filter((request) => keys.has(request.sourceKey));
}

describe('notifications while the outside world fails', () => {
  it('sends every acknowledgment once the SMTP relay is back, and none twice', async () => {
    const driver = new FaultDriver(cluster);
    await cluster.smtp.stop();
    await driver.burst({ mail: 30, portal: 20 }, 8);
    const requests = await reconciled(driver, 'SMTP relay down during a burst');
    expect(requests).toHaveLength(50);
    // Acknowledgments are being tried and failing meanwhile; nothing can arrive.
    await settle(3_000);
    expect(cluster.smtp.messages).toHaveLength(0);

    await cluster.smtp.start();
    const acksOf = (request: ServiceRequest) =>
      cluster.smtp.messages.filter((mail) => mail.envelope.to.includes(request.reporter.email ?? '') && mail.subject.includes(request.number));
    await vi.waitFor(() => {
      const waiting = requests.filter((request) => acksOf(request).length === 0);
      if (waiting.length > 0) throw new Error(`${waiting.length} acknowledgments not sent yet`);
    }, { timeout: 60_000, interval: 250 });
    // Long enough for any retry still in flight to show up as a second copy.
    await settle(3_000);
    const copies = requests.map((request) => acksOf(request).length);
    console.log(`  SMTP back: ${copies.filter((n) => n === 1).length} of ${requests.length} acknowledged exactly once; ${cluster.smtp.messages.length} mails in all`);
    expect(copies.every((n) => n === 1)).toBe(true);
  }, 240_000);

  it('delivers every alert through webhook 500s and timeouts, each once', async () => {
    const driver = new FaultDriver(cluster);
    const from = cluster.webhook.calls.length;
    cluster.webhook.failNext(40, 500);
    cluster.webhook.hangNext(10);
    await driver.burst({ mail: 20, portal: 20 }, 8);
    const requests = await reconciled(driver, 'alert webhook failing during a burst');
    expect(requests).toHaveLength(40);

    type Alert = { id?: string; event?: string; requestNumber?: string };
    const calls = () => cluster.webhook.calls.slice(from);
    const deliveredFor = (number: string) => calls().filter((call) => call.answer === 200 && (call.body as Alert).requestNumber === number && (call.body as Alert).event === 'new-request');
    await vi.waitFor(() => {
      const waiting = requests.filter((request) => deliveredFor(request.number).length === 0);
      if (waiting.length > 0) throw new Error(`${waiting.length} alerts not delivered yet`);
    }, { timeout: 90_000, interval: 250 });
    await settle(2_000);
    const failed = calls().filter((call) => call.answer === 500).length;
    const hung = calls().filter((call) => call.answer === 'hung');
    console.log(`  webhook: ${failed} answered 500, ${hung.length} never answered, ${calls().filter((c) => c.answer === 200).length} delivered for ${requests.length} requests`);
    expect(failed).toBe(40);
    expect(hung).toHaveLength(10);
    expect(requests.every((request) => deliveredFor(request.number).length === 1)).toBe(true);
    // A hung delivery was retried with the same key: the receiver can tell it is one alert.
    for (const call of hung) {
      const retried = calls().find((other) => other.answer === 200 && other.headers['idempotency-key'] === call.headers['idempotency-key']);
      expect(retried, `hung alert ${String(call.headers['idempotency-key'])} retried`).toBeDefined();
      expect((retried?.body as Alert).id).toBe((call.body as Alert).id);
    }
  }, 240_000);
});
