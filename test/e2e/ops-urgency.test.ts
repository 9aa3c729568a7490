/**
 * The ops page colours countdowns at the warning minutes of settings, not at minutes of its
 * own: with alerts.warnMinutesBefore [45, 10] a 24x7 request with 40 minutes left is under45
 * (first warning, yellow) in the JSON and stays so in Chromium as app.js ticks it, and one with
 * 8 minutes left is under10 (the last warning, red).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft } from '../../src/domain/request.js';
import { ASSETS_DIR } from '../../src/ops/ops-page/page-routes.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';

const PASSWORD = 'e2e password for urgency';
let ops: OpsApp;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  [ops, browser] = await Promise.all([
    startOpsApp({
      overrides: {
        alerts: { warnMinutesBefore: [45, 10] },
        ops: { engineers: testEngineer('ewa', PASSWORD, 'en'), sessionTtlSeconds: 3600, lockoutAttempts: 3, lockoutSeconds: 600, cookieSecure: false },
      },
    }),
    launchBrowser(),
  ]);
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(`${ops.url}/ops/sign-in?lang=en`);
  await page.fill('input[name=login]', 'ewa');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${ops.url}/ops`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await ops?.stop();
});

/** A 24x7 request (HZ-2026-00123) sent `minutesAgo` minutes ago: 60 − minutesAgo minutes left. */
async function fileSent(minutesAgo: number): Promise<string> {
  const draft: IntakeDraft = {
    channel: 'email',
    kind: 'service',
    sourceKey: `mail:<${randomUUID()}@example.pl>`,
    sentAt: new Date(ops.now() - minutesAgo * 60_000).toISOString(),
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: `Awaria ${minutesAgo}`,
    language: 'pl',
  };
  return (await ops.test.gateway.intake.submit(draft)).requestNumber;
}

const row = (number: string) => page.locator(`#requests [data-number="${number}"]`);

describe('urgency at the configured warning minutes', () => {
  it('colours the list at 45 and 10 minutes, in the JSON and in the browser as the clock ticks', async () => {
    const calm = await fileSent(5);
    const first = await fileSent(20);
    const last = await fileSent(52);
    // The dispatcher stores them first (slow on a loaded machine); the list is then loaded
    // afresh, so what this test checks is the colouring, not how soon the live stream brings rows.
    await vi.waitFor(
      async () => {
        for (const number of [calm, first, last]) expect(await ops.test.gateway.store.get(number)).not.toBeNull();
      },
      { timeout: 30_000, interval: 100 },
    );
    await page.reload();
    for (const number of [calm, first, last]) await row(number).waitFor({ timeout: 20_000 });

    const list = (await page.evaluate(() => fetch('/ops/api/list').then((response) => response.json()))) as { rows: Array<{ number: string; state: string }> };
    const stateOf = (number: string): string | undefined => list.rows.find((r) => r.number === number)?.state;
    expect([stateOf(calm), stateOf(first), stateOf(last)]).toEqual(['ok', 'under45', 'under10']);

    // Seconds of ticks: app.js recomputes every row's state from the levels it was served.
    await page.waitForTimeout(1_500);
    expect(await row(calm).getAttribute('class')).toBe('row state-ok');
    expect(await row(first).getAttribute('class')).toBe('row state-under45');
    expect(await row(first).getAttribute('data-warning')).toBe('first');
    expect(await row(last).getAttribute('class')).toBe('row state-under10');
    expect(await row(last).getAttribute('data-warning')).toBe('last');
    expect(await row(calm).getAttribute('data-warning')).toBeNull();
    // app.css colours by the warning, whatever its minutes: the last one is white on red.
    const style = (number: string, property: 'color' | 'backgroundColor') =>
      row(number)
        .locator('.countdown')
        .evaluate((cell, name) => (globalThis as unknown as { getComputedStyle(node: unknown): Record<string, string> }).getComputedStyle(cell)[name], property);
    expect(await style(last, 'backgroundColor')).toBe('rgb(192, 57, 43)');
    expect(await style(first, 'color')).toBe('rgb(181, 137, 0)');

    await page.goto(`${ops.url}/ops/requests/${first}`);
    await page.locator('#countdown').waitFor();
    await expect.poll(() => page.getAttribute('#countdown', 'class'), { timeout: 10_000 }).toBe('state-label state-under45');
    expect(await page.getAttribute('#countdown', 'data-warning')).toBe('first');
  }, 90_000);

  it('app.js holds no warning minutes and no request-number pattern of its own: it reads those the page serves', () => {
    const script = readFileSync(path.join(ASSETS_DIR, 'app.js'), 'utf8');
    expect(script).toContain('meta[name="urgency-levels"]');
    expect(script).toContain('meta[name="request-number"]');
    expect(script).not.toMatch(/HZ-?\\?[[\\d]/);
    expect(script).not.toMatch(/\b(30|15|5)\s*\*\s*60/);
    expect(script).not.toMatch(/under(30|15|5)\b/);
    const css = readFileSync(path.join(ASSETS_DIR, 'app.css'), 'utf8');
    expect(css).not.toMatch(/under\d/);
  });
});
