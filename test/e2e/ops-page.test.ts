/**
 * The ops page in real headless Chromium against a whole gateway. The gateway's clock is set
 * to Friday 2026-11-20 17:30 Warsaw, just after an 8x5 window closed, so one page shows an
 * at-risk 24x7 request, a calm one, and an 8x5 request whose clock is paused over the weekend.
 * Screenshots go to a temp directory; with UPDATE_SCREENSHOTS=1 they replace the README's in
 * docs/screenshots/ (a plain test run leaves the working tree as it found it).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft } from '../../src/domain/request.js';
import { PACKAGE_ROOT } from '../../src/settings.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { storeClockEventInOldShape } from '../support/old-history.js';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';

const PASSWORD = 'e2e password for ops';
/** Friday 2026-11-20 17:30 Europe/Warsaw (CET, +01:00). */
const FRIDAY_1730 = Date.parse('2026-11-20T16:30:00Z');
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SCREENSHOTS = UPDATE_SCREENSHOTS ? path.join(PACKAGE_ROOT, 'docs', 'screenshots') : mkdtempSync(path.join(os.tmpdir(), 'hezo-screenshots-'));
const XSS_SUBJECT = '<img src=x onerror=alert(1)>';

let ops: OpsApp;
let browser: TestBrowser;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];
const numbers: Record<string, string> = {};

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [ops, browser] = await Promise.all([
    startOpsApp({
      startAtMs: FRIDAY_1730,
      overrides: { ops: { engineers: testEngineer('ewa', PASSWORD, 'en'), sessionTtlSeconds: 3600, lockoutAttempts: 3, lockoutSeconds: 600, cookieSecure: false } },
    }),
    launchBrowser(),
  ]);
  // One persistent context (test/support/browser.ts): its pages share the signed-in session.
  context = browser.context;
  context.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize({ width: 1400, height: 800 });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await ops?.stop();
  if (!UPDATE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

function draft(overrides: Partial<IntakeDraft>): IntakeDraft {
  return {
    channel: 'email',
    kind: 'service',
    sourceKey: `mail:<${randomUUID()}@example.pl>`,
    sentAt: new Date(ops.now()).toISOString(),
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki taśmowej',
    language: 'pl',
    ...overrides,
  };
}

const row = (number: string | undefined) => page.locator(`#requests [data-number="${number}"]`);

describe('ops page in Chromium', () => {
  it('signs an engineer in', async () => {
    await page.goto(`${ops.url}/ops`);
    expect(page.url()).toBe(`${ops.url}/ops/sign-in`);
    await page.goto(`${ops.url}/ops/sign-in?lang=en`);
    await page.fill('input[name=login]', 'ewa');
    await page.fill('input[name=password]', PASSWORD);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-sign-in.png') });
    await page.click('button[type=submit]');
    await page.waitForURL(`${ops.url}/ops`);
    await expect.poll(() => page.textContent('#summary')).toMatch(/of/);
    await expect.poll(() => page.textContent('#live')).toContain('live');
  });

  it('shows a request filed through intake without a reload', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    // 50 minutes ago on 24x7: 10 minutes left, at risk.
    numbers.atRisk = (await ops.test.gateway.intake.submit(draft({
          sentAt: new Date(ops.now() - 50 * 60_000).toISOString(),
          subject: 'Robot zatrzymany',
          description: 'Robot biblioteki XLS-812 stoi od 15:30, błąd 0x42 w logu.\n\nAnna Nowak',
          raw: { location: 'imap://pomoc@myhezo.pl/INBOX;UIDVALIDITY=1;UID=42', payload: { messageId: '<robot-42@example.pl>', from: 'Anna Nowak <anna.nowak@example.pl>', mailbox: 'pomoc' } },
        }))).requestNumber;
    await row(numbers.atRisk).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expect.poll(() => row(numbers.atRisk!).getAttribute('class')).toBe('row state-under15');
  });

  it('orders by response deadline, ticks the countdown and shows the 8x5 clock paused until Monday', async () => {
    numbers.calm = (await ops.test.gateway.intake.submit(draft({ sentAt: new Date(ops.now() - 20 * 60_000).toISOString(), subject: 'Wolny odczyt' }))).requestNumber;
    // Sent Friday 16:55 on 8x5: 5 minutes on Friday, the clock then waits for Monday 09:00.
    numbers.paused = (
      await ops.test.gateway.intake.submit(
        draft({
          sentAt: '2026-11-20T16:55:00+01:00',
          contractNumber: 'HZ-2025-00017',
          serialNumber: 'Q80-25-00412',
          reporter: { name: 'Katarzyna Wójcik', email: 'katarzyna.wojcik@example.pl' },
          subject: 'Napęd nie odpowiada',
        }),
      )
    ).requestNumber;
    await row(numbers.paused).waitFor({ timeout: 10_000 });
    await row(numbers.calm).waitFor({ timeout: 10_000 });

    const order = await page.$$eval('#requests [data-number]', (rows) => rows.map((r) => r.getAttribute('data-number')));
    expect(order.indexOf(numbers.atRisk!)).toBeLessThan(order.indexOf(numbers.calm!));
    expect(order.indexOf(numbers.calm!)).toBeLessThan(order.indexOf(numbers.paused!));

    const pausedText = await row(numbers.paused).locator('.countdown').textContent();
    expect(pausedText).toContain('paused until Mon 09:00');
    expect(pausedText).toContain('55:00 left');
    expect(pausedText).not.toMatch(/late/);
    expect(await row(numbers.paused).getAttribute('class')).toBe('row state-ok');

    const first = await row(numbers.atRisk).locator('.countdown').textContent();
    await expect.poll(() => row(numbers.atRisk!).locator('.countdown').textContent(), { timeout: 3_000 }).not.toBe(first);
    expect(await row(numbers.paused).locator('.countdown').textContent()).toBe(pausedText);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-list.png') });
  });

  it('filters by channel, status and contract', async () => {
    await page.selectOption('select[name=channel]', 'phone');
    await expect.poll(() => page.locator('#requests [data-number]').count()).toBe(0);
    await page.selectOption('select[name=channel]', '');
    await page.fill('input[name=contract]', 'HZ-2025-00017');
    await expect.poll(() => page.$$eval('#requests [data-number]', (rows) => rows.map((r) => r.getAttribute('data-number')))).toEqual([numbers.paused]);
    await page.fill('input[name=contract]', '');
    await page.selectOption('select[name=status]', 'accepted');
    await expect.poll(() => page.locator('#requests [data-number]').count()).toBe(3);
    await page.selectOption('select[name=status]', '');
  });

  it('records "contacted" from the detail view and the list sees it leave the at-risk state', async () => {
    const detail = await context.newPage();
    await detail.goto(`${ops.url}/ops/requests/${numbers.atRisk}`);
    await detail.locator('#form-contact').waitFor();
    expect(await detail.textContent('main')).toContain('60 min elapsed');
    await detail.screenshot({ path: path.join(SCREENSHOTS, 'ops-detail.png'), fullPage: true });
    // The contact form opens with now and "by phone" filled in.
    await detail.click('#form-contact summary');
    await detail.click('button[data-submit=contact]');
    await expect.poll(() => detail.locator('button[data-action=verified]').count()).toBe(1);
    expect(await detail.textContent('ol.history li[data-type=contacted]')).toContain('Engineer ewa');
    await detail.close();

    // Pushed to the list page over SSE: no reload there.
    await expect.poll(() => row(numbers.atRisk!).getAttribute('class'), { timeout: 10_000 }).toBe('row state-none');
    expect(await row(numbers.atRisk).locator('[role=cell]').nth(2).textContent()).toBe('contacted');
  });

  it('works a request from filed to closed in the browser, and the list lets it go', async () => {
    const detail = await context.newPage();
    await detail.goto(`${ops.url}/ops/requests/${numbers.atRisk}`);
    for (const [action, next] of [
      ['verified', 'shipped'],
      ['shipped', 'delivered'],
      ['delivered', 'returned'],
    ] as const) {
      await detail.click(`button[data-action=${action}]`);
      await detail.locator(`button[data-action=${next}]`).waitFor();
    }
    await detail.click('button[data-action=returned]');
    await detail.locator('#form-close').waitFor();
    expect(await detail.textContent('main')).toContain('8 h elapsed');
    await detail.click('#form-close summary');
    await detail.selectOption('#form-close select[name=resolution]', 'device-replaced');
    await detail.click('button[data-submit=close]');
    await detail.click('#form-close button[data-confirm=yes]');
    await expect.poll(() => detail.locator('#form-close').count()).toBe(0);
    await detail.close();
    expect((await ops.test.gateway.store.get(numbers.atRisk!))?.status).toBe('closed');
    await expect.poll(() => row(numbers.atRisk).count(), { timeout: 10_000 }).toBe(0);
  });

  it('shows when the clock started and the deadline in the history, also of a request stored in the old shape', async () => {
    // Sent Friday 16:55 on 8x5, stamped at 17:30: the clock started at 16:55, not at 17:30.
    const { requestNumber } = await ops.test.gateway.intake.submit(
      draft({ sentAt: '2026-11-20T16:55:00+01:00', contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412', reporter: { name: 'Katarzyna Wójcik', email: 'katarzyna.wojcik@example.pl' } }),
    );
    await vi.waitFor(async () => expect(await ops.test.gateway.store.get(requestNumber)).not.toBeNull(), { timeout: 10_000 });
    await storeClockEventInOldShape(ops.test.gateway.redis, ops.test.gateway.store, requestNumber);
    const detail = await context.newPage();
    await detail.goto(`${ops.url}/ops/requests/${requestNumber}`);
    const clock = detail.locator('ol.history li[data-type=clock-started]');
    await clock.waitFor();
    const text = await clock.textContent();
    expect(text).toContain('Response clock counts from');
    expect(text).toMatch(/from Fri.*16:55/);
    expect(text).toMatch(/due Mon.*09:55/);
    expect(text).toContain('→');
    await detail.close();
  });

  it('shows a hostile mail subject as text and runs no script', async () => {
    numbers.xss = (
      await ops.test.gateway.intake.submit(draft({ subject: XSS_SUBJECT, reporter: { name: '<script>alert(2)</script>', email: 'x@example.pl' }, description: '<b onmouseover=alert(3)>hi</b>' }))
    ).requestNumber;
    await row(numbers.xss).waitFor({ timeout: 10_000 });
    expect(await row(numbers.xss).locator('.subject').textContent()).toBe(XSS_SUBJECT);
    expect(await page.locator('#requests img').count()).toBe(0);

    await page.goto(`${ops.url}/ops/requests/${numbers.xss}`);
    await page.locator('pre.description').waitFor();
    expect(await page.textContent('pre.description')).toBe('<b onmouseover=alert(3)>hi</b>');
    expect(await page.locator('main img, main b, main script').count()).toBe(0);
    await page.hover('pre.description');
    // Give any injected handler a chance to fire before concluding that none did.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
    expect(dialogs).toEqual([]);
  });

  it('refuses an action without the CSRF token with 403', async () => {
    const status = await page.evaluate(async (number) => {
      const response = await fetch(`/ops/api/requests/${number}/actions/closed`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return response.status;
    }, numbers.calm!);
    expect(status).toBe(403);
    expect((await ops.test.gateway.store.get(numbers.calm!))?.status).toBe('accepted');
  });

  it('locks the account after repeated failed sign-ins', async () => {
    // Last test: a fresh cookie jar, as another person at another desk would have.
    await context.clearCookies();
    const signIn = await context.newPage();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await signIn.goto(`${ops.url}/ops/sign-in?lang=en`);
      await signIn.fill('input[name=login]', 'ewa');
      await signIn.fill('input[name=password]', `wrong ${attempt}`);
      await signIn.click('button[type=submit]');
      await signIn.waitForLoadState();
    }
    await signIn.fill('input[name=password]', PASSWORD);
    await signIn.click('button[type=submit]');
    await vi.waitFor(async () => expect(await signIn.textContent('.message')).toContain('Account locked'));
    expect(signIn.url()).toBe(`${ops.url}/ops/sign-in`);
    await signIn.screenshot({ path: path.join(SCREENSHOTS, 'ops-lockout.png') });
    await signIn.close();
  });
});
