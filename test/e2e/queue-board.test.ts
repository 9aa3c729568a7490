/**
 * The queue board /ops/queues in real headless Chromium (issue 20: it never loaded — the
 * page's CSP `base-uri 'none'` dropped bull-board's `<base href>`, its scripts 404ed and the
 * page stayed on "Loading"). The board's own route allows what it needs; the rest of /ops
 * keeps the strict CSP.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';

const PASSWORD = 'e2e password for the board';
let ops: OpsApp;
let browser: TestBrowser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  [ops, browser] = await Promise.all([startOpsApp({ overrides: { ops: { engineers: testEngineer('ewa', PASSWORD, 'en') } } }), launchBrowser()]);
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.setViewportSize({ width: 1400, height: 900 });
  // CSP violations and failed same-origin loads are what kept the board on "Loading". Not
  // counted: the board's Google font (no network here, and the CSP keeps it out) and the
  // browser's own /favicon.ico guess.
  page.on('console', (message) => {
    const where = message.location().url;
    if (message.type() === 'error' && !`${message.text()} ${where}`.includes('fonts.googleapis.com') && !where.endsWith('/favicon.ico')) problems.push(`${message.text()} ${where}`);
  });
  page.on('response', (response) => {
    if (response.url().startsWith(ops.url) && response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await ops?.stop();
});

describe('queue board in Chromium', () => {
  it('shows the intake, timers and notify queues to a signed-in engineer', async () => {
    await page.goto(`${ops.url}/ops/sign-in?lang=en`);
    await page.fill('input[name=login]', 'ewa');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${ops.url}/ops`);

    const board = await page.goto(`${ops.url}/ops/queues`);
    expect(board?.status()).toBe(200);
    // The React app replaced "Loading" with the queues.
    for (const name of ['intake', 'timers', 'notify']) {
      await expect.poll(async () => page.getByText(name, { exact: true }).count(), { timeout: 20_000 }).toBeGreaterThan(0);
    }
    await expect.poll(() => page.locator('#root').innerText()).not.toContain('Loading');
    expect(problems).toEqual([]);
    expect(board?.headers()['content-security-policy']).toContain("base-uri 'self'");
  }, 60_000);

  it('keeps the strict CSP on the rest of /ops', async () => {
    const shell = await page.goto(`${ops.url}/ops`);
    const csp = shell?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toContain('unsafe-inline');
  });
});
