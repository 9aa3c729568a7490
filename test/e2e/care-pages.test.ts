/**
 * The inspection and report pages in real headless Chromium against a whole gateway (its own
 * wiring, main.ts), with the clock at Fri 2026-12-04 09:00 Warsaw: the daily sweep has filed
 * a yearly inspection, and November holds requests for the report. An engineer fills the
 * checklist in the browser, is refused the close before the first three items, closes, and
 * opens the printable record; the report page draws its two uPlot charts and links a figure to
 * its requests. Screenshots at 1280 and 390 px in English and Polish go to a temp directory, or
 * with UPDATE_SCREENSHOTS=1 to docs/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft } from '../../src/domain/request.js';
import { PACKAGE_ROOT } from '../../src/settings.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { testEngineer } from '../support/ops-app.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const PASSWORD = 'e2e password for care pages';
const TOKEN = 'care-e2e-engineer-token-0123456789';
const NOW = Date.parse('2026-12-04T08:00:00Z');
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SCREENSHOTS = UPDATE_SCREENSHOTS ? path.join(PACKAGE_ROOT, 'docs', 'screenshots') : mkdtempSync(path.join(os.tmpdir(), 'hezo-care-shots-'));

const REGISTRY = {
  version: 1,
  contracts: [
    {
      number: 'HZ-2026-00800', customer: 'Huta Testowa S.A.', package: 'SOS', window: '8x5', onsite: 'NBD', validFrom: '2026-01-01', validTo: '2099-12-31', systemCare: true,
      devices: [{ serial: 'Q48-24-07315', model: 'Qualstar Q48', lastInspection: '2025-12-20' }],
      representatives: [{ name: 'Ewa Kowal', email: 'ewa.kowal@example.pl', phone: '+48 600 700 800' }],
    },
    {
      number: 'HZ-2026-00802', customer: 'Browar Testowy', package: 'AHB', window: '24x7', validFrom: '2026-01-01', validTo: '2027-01-20',
      devices: [{ serial: 'Q24-26-00004', model: 'Qualstar Q24' }],
      representatives: [{ name: 'Rafał Piwo', email: 'rafal.piwo@example.pl', phone: '+48 600 700 802' }],
    },
  ],
};

let redis: PrivateRedis;
let test: TestGateway;
let browser: TestBrowser;
let page: Page;
let dir: string;
let inspection = '';

function draft(sourceKey: string, sentAt: string, overrides: Partial<IntakeDraft> = {}): IntakeDraft {
  return {
    channel: 'email', kind: 'service', sourceKey, sentAt, language: 'pl', subject: 'Awaria',
    reporter: { name: 'Ewa Kowal', email: 'ewa.kowal@example.pl' }, contractNumber: 'HZ-2026-00800', serialNumber: 'Q48-24-07315',
    ...overrides,
  };
}

async function shot(name: string, width: number): Promise<void> {
  await page.setViewportSize({ width, height: width < 600 ? 1400 : 1000 });
  await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: width < 600 });
}

async function signIn(login: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${test.gateway.url}/ops/sign-in`);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${test.gateway.url}/ops`);
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-care-e2e-'));
  writeFileSync(path.join(dir, 'contracts.json'), JSON.stringify(REGISTRY));
  [redis, browser] = await Promise.all([startPrivateRedis(), launchBrowser()]);
  test = await startTestGateway(
    {
      contracts: { file: path.join(dir, 'contracts.json') },
      api: { engineerTokens: { tester: TOKEN } },
      ops: { engineers: { ...testEngineer('ewa', PASSWORD, 'en'), ...testEngineer('jan', PASSWORD, 'pl') }, sessionTtlSeconds: 3600, lockoutAttempts: 5, lockoutSeconds: 600, cookieSecure: false },
    },
    { REDIS_URL: redis.url },
    { now: () => NOW },
  );
  const { intake, store } = test.gateway;
  // November: met (8x5, answered in 20 min), breached (never answered), one sent on a Saturday (outside the window, never answered), one met on 24x7.
  const met = await intake.submit(draft('e2e:met', '2026-11-03T09:15:00.000Z'));
  await intake.submit(draft('e2e:breached', '2026-11-10T10:00:00.000Z', { channel: 'portal' }));
  await intake.submit(draft('e2e:saturday', '2026-11-14T10:00:00.000Z', { channel: 'phone', reporter: { name: 'Ewa Kowal', phone: '+48 600 700 800' } }));
  const quick = await intake.submit(draft('e2e:24x7', '2026-11-20T20:00:00.000Z', { contractNumber: 'HZ-2026-00802', serialNumber: 'Q24-26-00004', reporter: { email: 'rafal.piwo@example.pl' } }));
  await vi.waitFor(async () => expect((await store.listOpen({ limit: 100 })).length).toBe(5), { timeout: 60_000 });
  const api = request(test.gateway.url);
  await api.post(`/api/v1/requests/${met.requestNumber}/contacted`).set({ Authorization: `Bearer ${TOKEN}` }).send({ at: '2026-11-03T09:35:00.000Z' }).expect(200);
  await api.post(`/api/v1/requests/${quick.requestNumber}/contacted`).set({ Authorization: `Bearer ${TOKEN}` }).send({ at: '2026-11-20T20:40:00.000Z' }).expect(200);
  inspection = (await store.listOpen({ channel: 'schedule', limit: 10 }))[0]?.number ?? '';
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await test?.stop();
  await redis?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!UPDATE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
}, 60_000);

describe('inspection and report pages in Chromium', () => {
  it('links an inspection request’s detail to its checklist, with its due date', async () => {
    expect(inspection).toMatch(/^HZ-2026-\d{6}$/);
    await signIn('ewa');
    await page.goto(`${test.gateway.url}/ops/requests/${inspection}`);
    const link = page.getByTestId('inspection-link');
    await expect.poll(() => link.textContent(), { timeout: 20_000 }).toContain('2026-12-20');
    await link.click();
    await page.waitForURL(`${test.gateway.url}/ops/requests/${inspection}/inspection`);
    // Sun 20 Dec → due by Fri 18 Dec 17:00.
    expect(await page.getByTestId('due-date').textContent()).toContain('2026-12-20 (by Fri 2026-12-18 17:00 CET)');
    for (const item of ['logs', 'firmware', 'operation', 'workTests']) expect(await page.getByTestId(`recorded-${item}`).textContent()).toBe('not recorded');
    await shot('inspection-en-1280.png', 1280);
  }, 60_000);

  it('records items in the forms, refuses the close before the first three, then closes and prints the record', async () => {
    await page.fill('form[data-item=logs] textarea[name=note]', 'Two drive errors in October, none since cleaning.');
    await page.check('form[data-item=logs] input[name=errorsFound]');
    await page.click('form[data-item=logs] button[type=submit]');
    await expect.poll(() => page.getByTestId('recorded-logs').textContent()).toContain('errors found: yes — Two drive errors in October');

    await page.click('.close-form button');
    await expect.poll(() => page.locator('.message').textContent()).toContain('cannot be closed before firmware, operation are recorded');
    expect(await page.getByTestId('status').textContent()).toBe('accepted');

    await page.fill('form[data-item=firmware] input[name=found]', '3.2.1');
    await page.fill('form[data-item=firmware] input[name=installed]', '3.4.0');
    await page.click('form[data-item=firmware] button[type=submit]');
    await expect.poll(() => page.getByTestId('recorded-firmware').textContent()).toContain('found 3.2.1, installed 3.4.0');
    await page.fill('form[data-item=operation] textarea[name=note]', 'Library inventory and robot moves OK.');
    await page.click('form[data-item=operation] button[type=submit]');
    await expect.poll(() => page.getByTestId('recorded-operation').textContent()).toContain('working: yes');
    await page.fill('form[data-item=workTests] textarea[name=result]', 'Backup job of 2 TB written and verified.');
    await page.click('form[data-item=workTests] button[type=submit]');
    await expect.poll(() => page.getByTestId('recorded-workTests').textContent()).toContain('done — Backup job');

    await page.click('.close-form button');
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('closed');
    expect(await page.getByTestId('done-on').textContent()).toBe('2026-12-04');
    expect(await test.gateway.redis.hget(`${test.gateway.settings.intake.prefix}:care-records:inspections-done`, 'Q482407315')).toBe('2026-12-04');

    await page.goto(`${test.gateway.url}/ops/requests/${inspection}/inspection-record`);
    const record = await page.getByTestId('record').textContent();
    expect(record).toContain('Firmware version checked and updated if necessary: found 3.2.1, installed 3.4.0');
    expect(record).toContain('Work tests (where possible): done — Backup job of 2 TB written and verified.');
    await shot('inspection-record-en-1280.png', 1280);
  }, 90_000);

  it('draws the report’s charts and links a figure to the requests behind it', async () => {
    await page.goto(`${test.gateway.url}/ops/reports?from=2026-11-01&to=2026-11-30`);
    const total = page.locator('[data-testid=figures] tfoot');
    expect(await total.locator('[data-figure="requests"]').textContent()).toBe('4');
    expect(await total.locator('[data-figure="response:met"]').textContent()).toBe('2');
    expect(await total.locator('[data-figure="response:breached"]').textContent()).toBe('2');
    expect(await total.locator('[data-figure="outside-window"]').textContent()).toBe('1');
    expect(await total.locator('[data-figure="met-rate"]').textContent()).toBe('50.0%');
    // uPlot drew both charts into canvases (its script and styles came from the gateway).
    await expect.poll(() => page.locator('#weekly-chart canvas').count(), { timeout: 20_000 }).toBe(1);
    expect(await page.locator('#distribution-chart canvas').count()).toBe(1);
    expect(await page.getByTestId('renewals').textContent()).toContain('HZ-2026-00802');
    await shot('reports-en-1280.png', 1280);
    await shot('reports-en-390.png', 390);

    await page.setViewportSize({ width: 1280, height: 1000 });
    await total.locator('[data-figure="response:breached"]').click();
    await page.waitForURL(/\/ops\/reports\/requests\?/);
    const rows = page.locator('[data-testid=behind] tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().textContent()).toContain('portal');
  }, 90_000);

  it('speaks Polish to a Polish engineer, also at phone width', async () => {
    await signIn('jan');
    await page.goto(`${test.gateway.url}/ops/requests/${inspection}/inspection`);
    expect(await page.locator('h1').textContent()).toBe(`Przegląd roczny ${inspection}`);
    await shot('inspection-pl-390.png', 390);
    await page.goto(`${test.gateway.url}/ops/reports?from=2026-11-01&to=2026-11-30`);
    expect(await page.locator('h1').textContent()).toBe('Raport SLA');
    await expect.poll(() => page.locator('#weekly-chart canvas').count(), { timeout: 20_000 }).toBe(1);
    await shot('reports-pl-1280.png', 1280);
    await shot('reports-pl-390.png', 390);
  }, 90_000);
});
