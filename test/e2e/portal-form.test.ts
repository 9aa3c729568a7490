/**
 * The /portal try-it page in real headless Chromium against the real app, gateway and Redis:
 * fill the form, send it, see the request number — under helmet's Content-Security-Policy, so
 * a page that needed inline script would fail here.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import { portalRoutes } from '../../src/channels/portal/routes.js';
import { Readiness } from '../../src/util/readiness.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startPrivateRedis, type PrivateRedis } from '../support/redis.js';

let redis: PrivateRedis;
let test: TestGateway;
let server: Server;
let baseUrl: string;
let browser: TestBrowser;
let portal: ReturnType<typeof portalRoutes>;

beforeAll(async () => {
  redis = await startPrivateRedis();
  // No API keys configured: the embedded default, where the demo key exists.
  test = await startTestGateway({ intake: { prefix: 'portal-e2e' } }, { REDIS_URL: redis.url }, { roles: ['web', 'dispatcher'] });
  const { gateway } = test;
  portal = portalRoutes({ intake: gateway.intake, store: gateway.store, attachments: gateway.attachments, redis: gateway.redis, settings: gateway.settings, logger: gateway.logger });
  const app = buildApp({ readiness: new Readiness(), logger: gateway.logger, routes: [{ path: '/api/v1/portal', router: portal.api }, { path: '/portal', router: portal.page }] });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await test?.stop();
  await redis?.cleanup();
});

describe('/portal form', () => {
  it('files a request from the browser and shows its number', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${baseUrl}/portal`);
    await page.fill('input[name=subject]', 'Test z przeglądarki');
    await page.selectOption('select[name=language]', 'en');
    await page.click('button[type=submit]');
    const result = page.locator('#result');
    await expect.poll(() => result.getAttribute('data-request-number'), { timeout: 10_000 }).toMatch(/^HZ-\d{4}-\d{6}$/);
    const number = (await result.getAttribute('data-request-number')) as string;
    expect(await result.textContent()).toContain(number);
    expect(problems).toEqual([]);
    const stored = await vi.waitFor(
      async () => {
        const found = await test.gateway.store.get(number);
        if (!found) throw new Error('not stamped yet');
        return found;
      },
      { timeout: 10_000 },
    );
    expect(stored).toMatchObject({ channel: 'portal', subject: 'Test z przeglądarki', language: 'en', raw: { payload: { client: 'demo' } } });
    await page.close();
  });
});
