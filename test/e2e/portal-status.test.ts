/**
 * The portal pages in Polish and English, in real headless Chromium against the real app,
 * gateway and Redis: the form and the status page follow Accept-Language and switch with their
 * link; the status page says when an engineer will call (in words, Warsaw time) or why there is
 * no deadline yet, and uploads a device log through the portal API. Screenshots at 1280 and
 * 390 px go to a temp directory; with UPDATE_SCREENSHOTS=1 they replace docs/screenshots.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEMO_PORTAL_KEY } from '../../src/channels/portal/api-keys.js';
import { portalRoutes } from '../../src/channels/portal/routes.js';
import { Readiness } from '../../src/util/readiness.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

const PACKAGE_ROOT = path.resolve(import.meta.dirname, '..', '..');
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SCREENSHOTS = UPDATE_SCREENSHOTS ? path.join(PACKAGE_ROOT, 'docs', 'screenshots') : mkdtempSync(path.join(os.tmpdir(), 'hezo-portal-screenshots-'));

let redis: PrivateRedis;
let test: TestGateway;
let server: Server;
let baseUrl: string;
let browser: TestBrowser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  redis = await startPrivateRedis();
  // No API keys configured: the embedded default, where the demo key exists.
  test = await startTestGateway({ intake: { prefix: 'portal-status-e2e' } }, { REDIS_URL: redis.url }, { roles: ['web', 'dispatcher'] });
  const { gateway } = test;
  const portal = portalRoutes({ intake: gateway.intake, store: gateway.store, attachments: gateway.attachments, redis: gateway.redis, settings: gateway.settings, logger: gateway.logger });
  const app = buildApp({ readiness: new Readiness(), logger: gateway.logger, routes: [{ path: '/api/v1/portal', router: portal.api }, { path: '/portal', router: portal.page }] });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await test?.stop();
  await redis?.cleanup();
  if (!UPDATE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

/** Files a request with the demo key over the API (as the portal's back end would), stamped. */
async function fileWithDemoKey(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/portal/requests`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${DEMO_PORTAL_KEY}`, 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify({ kind: 'service', reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl' }, description: 'Robot nie chwyta taśmy.', language: 'pl', ...body }),
  });
  expect(response.status).toBe(202);
  const { requestNumber } = (await response.json()) as { requestNumber: string };
  await vi.waitFor(async () => expect(await test.gateway.store.get(requestNumber)).not.toBeNull(), { timeout: 10_000 });
  return requestNumber;
}

async function shoot(name: string, width: number): Promise<void> {
  await page.setViewportSize({ width, height: 800 });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
}

describe('portal pages in Polish and English', () => {
  it('shows the form in the browser’s language, switches with its link, and links the filed request’s status page', async () => {
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'en-GB,en;q=0.9,pl;q=0.5' });
    await page.goto(`${baseUrl}/portal`);
    expect(await page.locator('h1').textContent()).toBe('Report a fault');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await shoot('portal-form-en', 390);
    await page.click('#language');
    expect(await page.locator('h1').textContent()).toBe('Zgłoś awarię');
    expect(page.url()).toMatch(/\?lang=pl$/);
    await shoot('portal-form-pl', 1280);

    await page.fill('input[name=subject]', 'Awaria z przeglądarki');
    await page.click('button[type=submit]');
    const link = page.locator('#status-link');
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBe(1);
    expect(await link.textContent()).toBe('Zobacz status zgłoszenia');
    const number = (await page.locator('#result').getAttribute('data-request-number')) as string;
    await vi.waitFor(async () => expect(await test.gateway.store.get(number)).not.toBeNull(), { timeout: 10_000 });
    await link.click();
    await page.waitForURL(`**/portal/requests/${number}?lang=pl`);
    expect(await page.locator('h1').textContent()).toBe(`Zgłoszenie ${number}`);
    expect(problems).toEqual([]);
  });

  it('says in words, in Warsaw time, when an engineer will call, in either language', async () => {
    const number = await fileWithDemoKey({ subject: 'Awaria biblioteki', contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517' });
    const request = await test.gateway.store.get(number);
    expect(request?.status).toBe('accepted');
    await page.setExtraHTTPHeaders({ 'Accept-Language': 'pl-PL,pl;q=0.9' });
    await page.goto(`${baseUrl}/portal/requests/${number}`);
    const deadline = page.locator('#deadline');
    expect(await deadline.textContent()).toMatch(/^Inżynier skontaktuje się z Tobą (dziś|jutro|w \S+ \d{1,2} \S+( \d{4})?) do \d{2}:\d{2}\.$/);
    const time = new Intl.DateTimeFormat('pl-PL', { timeZone: 'Europe/Warsaw', hour: '2-digit', minute: '2-digit' }).format(new Date(request!.responseDeadline!.at));
    expect(await deadline.textContent()).toContain(`do ${time}.`);
    expect(await page.locator('dl').textContent()).toContain('przyjęte');
    await shoot('portal-status-pl', 1280);
    await shoot('portal-status-pl', 390);
    await page.click('#language');
    expect(await page.locator('#deadline').textContent()).toMatch(/^An engineer will contact you (today|tomorrow|on \S+ \d{1,2} \S+( \d{4})?) by \d{2}:\d{2}\.$/);
    expect(await page.locator('h1').textContent()).toBe(`Request ${number}`);
    await shoot('portal-status-en', 1280);
    await shoot('portal-status-en', 390);
    // At 390 px nothing runs off the side.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(problems).toEqual([]);
  });

  it('says why there is no deadline yet: waiting for the serial number, or for the reporter to be confirmed', async () => {
    // A serial the contract does not list: the request waits for the right one.
    const unknownSerial = await fileWithDemoKey({ subject: 'Awaria', contractNumber: 'HZ-2026-00123', serialNumber: 'ABC-000-00000' });
    expect((await test.gateway.store.get(unknownSerial))?.status).toBe('needs-info');
    await page.goto(`${baseUrl}/portal/requests/${unknownSerial}?lang=pl`);
    expect(await page.locator('#deadline').textContent()).toBe('Nie ma jeszcze terminu: czekamy na numer seryjny urządzenia.');
    await page.goto(`${baseUrl}/portal/requests/${unknownSerial}?lang=en`);
    expect(await page.locator('#deadline').textContent()).toBe('No deadline yet: waiting for the serial number.');
    const stranger = await fileWithDemoKey({ subject: 'Awaria', contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517', reporter: { name: 'Jan Obcy', email: 'jan.obcy@example.com' } });
    expect((await test.gateway.store.get(stranger))?.status).toBe('unauthorized-reporter');
    await page.goto(`${baseUrl}/portal/requests/${stranger}?lang=pl`);
    expect(await page.locator('#deadline').textContent()).toBe('Nie ma jeszcze terminu: czekamy na potwierdzenie zgłaszającego przez opiekuna umowy.');
  });

  it('uploads a device log from the status page and lists it', async () => {
    const number = await fileWithDemoKey({ subject: 'Logi', contractNumber: 'HZ-2026-00123', serialNumber: 'XLS812-240517' });
    await page.goto(`${baseUrl}/portal/requests/${number}?lang=en`);
    expect(await page.locator('#files').textContent()).toBe('No files attached.');
    await page.setInputFiles('input[name=files]', { name: 'library.log', mimeType: 'text/plain', buffer: Buffer.from('2026-12-04 10:00:01 ERROR picker jam\n') });
    await page.click('#upload-form button[type=submit]');
    await expect.poll(() => page.locator('#upload-result').getAttribute('data-uploaded'), { timeout: 10_000 }).toBe('library.log');
    await vi.waitFor(async () => expect((await test.gateway.store.get(number))?.attachments.map((file) => file.name)).toEqual(['library.log']), { timeout: 10_000 });
    await page.reload();
    expect(await page.locator('#files li').allTextContents()).toEqual(['library.log']);
    expect(problems).toEqual([]);
  });

  it('shows no request the demo key did not file, nor one that does not exist', async () => {
    const response = await page.goto(`${baseUrl}/portal/requests/HZ-2026-999999?lang=en`);
    expect(response?.status()).toBe(404);
    expect(await page.locator('#message').textContent()).toBe('There is no such request filed through this portal.');
    const other = await test.gateway.intake.submit({
      channel: 'email', kind: 'service', sourceKey: 'mail:not-the-portal@example.pl', sentAt: new Date().toISOString(),
      reporter: { email: 'ktos@example.pl' }, subject: 'Mail', description: 'x', language: 'pl',
    });
    expect((await page.goto(`${baseUrl}/portal/requests/${other.requestNumber}`))?.status()).toBe(404);
  });
});
