/**
 * The engineer's workbench in real headless Chromium against a whole gateway (issue 18, items
 * 7 and 8 as an engineer uses them): the list's groups, views, sort, pages, keys, tab title and
 * sound, its cards at 390 px, and a request's detail — the clock's real start, the deadline and
 * how it was counted in Polish, the timeline, tel:/mailto: links, a call's answers and its
 * recording. The gateway's clock is Thursday 2026-11-19 09:30 Warsaw. With UPDATE_SCREENSHOTS=1
 * the screenshots (1280 and 390 px, Polish and English) replace those in docs/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IntakeDraft } from '../../src/domain/request.js';
import { PACKAGE_ROOT } from '../../src/settings.js';
import { launchBrowser, type TestBrowser } from '../support/browser.js';
import { startOpsApp, testEngineer, type OpsApp } from '../support/ops-app.js';

const PASSWORD = 'e2e password for the workbench';
/** Thursday 2026-11-19 09:30 Europe/Warsaw (CET, +01:00). */
const THURSDAY_0930 = Date.parse('2026-11-19T08:30:00Z');
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SCREENSHOTS = UPDATE_SCREENSHOTS ? path.join(PACKAGE_ROOT, 'docs', 'screenshots') : mkdtempSync(path.join(os.tmpdir(), 'hezo-screenshots-'));
const RECORDING = 'https://api.twilio.com/2010-04-01/Accounts/AC0000/Recordings/RE0001';
const LONG_SUBJECT = 'Biblioteka taśmowa nie rozpoznaje taśm po aktualizacji oprogramowania układowego, błąd 0x42 przy każdej próbie';

let ops: OpsApp;
let browser: TestBrowser;
let page: Page;
const numbers: Record<string, string> = {};

function draft(overrides: Partial<IntakeDraft>): IntakeDraft {
  return {
    channel: 'email',
    kind: 'service',
    sourceKey: `mail:<${randomUUID()}@example.pl>`,
    sentAt: new Date(ops.now()).toISOString(),
    reporter: { name: 'Anna Nowak', email: 'anna.nowak@example.pl', phone: '+48 600 100 200' },
    contractNumber: 'HZ-2026-00123',
    serialNumber: 'XLS812-240517',
    subject: 'Awaria biblioteki taśmowej',
    language: 'pl',
    ...overrides,
  };
}

const minutesAgo = (minutes: number): string => new Date(ops.now() - minutes * 60_000).toISOString();

async function file(name: string, overrides: Partial<IntakeDraft>): Promise<string> {
  const { requestNumber } = await ops.test.gateway.intake.submit(draft(overrides));
  await vi.waitFor(async () => expect(await ops.test.gateway.store.get(requestNumber)).not.toBeNull(), { timeout: 15_000 });
  numbers[name] = requestNumber;
  return requestNumber;
}

const listed = (): Promise<string[]> => page.$$eval('#requests [data-number]', (rows) => rows.map((r) => r.getAttribute('data-number') ?? ''));
const row = (number: string | undefined) => page.locator(`#requests [data-number="${number}"]`);

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [ops, browser] = await Promise.all([
    startOpsApp({
      startAtMs: THURSDAY_0930,
      overrides: {
        ops: {
          engineers: { ...testEngineer('ewa', PASSWORD, 'pl'), ...testEngineer('jan', PASSWORD, 'en') },
          sessionTtlSeconds: 3600,
          lockoutAttempts: 5,
          lockoutSeconds: 600,
          cookieSecure: false,
        },
      },
    }),
    launchBrowser(),
  ]);
  // Sent 80 minutes ago without a serial: no clock, waiting for data.
  await file('waiting', { sentAt: minutesAgo(80), serialNumber: undefined, subject: 'Nie działa napęd' });
  // 8x5, sent at 08:47: the clock counts from 09:00 and is due at 10:00.
  await file('morning', {
    sentAt: '2026-11-19T08:47:00+01:00',
    contractNumber: 'HZ-2025-00017',
    serialNumber: 'Q80-25-00412',
    reporter: { name: 'Katarzyna Wójcik', email: 'katarzyna.wojcik@example.pl', phone: '+48 601 200 300' },
    subject: 'Napęd nie odpowiada',
  });
  // 24x7 escalation sent 70 minutes ago: breached by 10 minutes.
  await file('breached', { kind: 'escalation', sentAt: minutesAgo(70), subject: LONG_SUBJECT });
  // 24x7 sent 40 minutes ago: due within 30 minutes.
  await file('dueSoon', { sentAt: minutesAgo(40), serialNumber: 'Q80-23-11842', subject: 'Wolny odczyt' });
  // A call: keypad and speech answers, and a recording.
  await file('call', {
    channel: 'phone',
    sourceKey: `call:CA${randomUUID().replaceAll('-', '')}`,
    sentAt: minutesAgo(5),
    reporter: { name: 'Anna Nowak', phone: '+48 600 100 200' },
    subject: 'Zgłoszenie telefoniczne',
    raw: {
      location: RECORDING,
      payload: {
        callSid: 'CA0001',
        line: 'service',
        from: '+48600100200',
        to: '+48221234567',
        heard: [
          { step: 'contract', digits: '1' },
          { step: 'serial', speech: 'XLS812 240517' },
          { step: 'serial-confirm', digits: '1' },
        ],
        recordingUrl: RECORDING,
      },
    },
  });

  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${ops.url}/ops/sign-in?lang=pl`);
  await page.fill('input[name=login]', 'ewa');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${ops.url}/ops`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ops?.stop();
  if (!UPDATE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

describe('the list', () => {
  it('puts requests waiting for data first with the time they have waited, then the clocks by deadline', async () => {
    await expect.poll(listed, { timeout: 15_000 }).toHaveLength(5);
    const order = await listed();
    expect(order[0]).toBe(numbers.waiting);
    expect(order.slice(1)).toEqual([numbers.breached, numbers.dueSoon, numbers.morning, numbers.call]);
    expect(await row(numbers.waiting).locator('.countdown').textContent()).toBe('czeka na dane: 1 h 20 min');
    expect(await page.locator('#requests .group').allTextContents()).toEqual(['Czekają na dane lub potwierdzenie (bez zegara)', 'Z biegnącym zegarem']);
    expect(await page.textContent('#summary')).toBe('5 z 5');
    // A Polish list carries no English words (statuses, views, headings, clocks).
    expect((await page.textContent('#app')) ?? '').not.toMatch(/\b(accepted|needs info|left|late|paused|open|breached|escalated|mine|unowned|closed|Sent|Status:)\b/);
  });

  it('never cuts the clock, the number with its escalation badge or the status; other cells keep their full text on hover', async () => {
    const breached = row(numbers.breached);
    expect(await breached.locator('.col-number').textContent()).toBe(`${numbers.breached}!`);
    for (const cell of ['.col-due', '.col-number', '.col-status']) {
      const fits = await breached.locator(cell).evaluate((node) => node.scrollWidth <= node.clientWidth + 1);
      expect(fits, cell).toBe(true);
    }
    expect(await breached.locator('.col-due').textContent()).toMatch(/^po terminie 10:\d\d$/);
    expect(await breached.locator('.col-subject').getAttribute('title')).toBe(LONG_SUBJECT);
    expect(await breached.locator('.col-customer').getAttribute('title')).toBe('Wawel Data Center sp. z o.o.');
    expect(await breached.locator('.col-device').getAttribute('title')).toBe('Qualstar XLS-812 XLS812-240517');
    // The subject really is truncated at 1280 px: the title is what shows it whole.
    expect(await breached.locator('.col-subject').evaluate((node) => node.scrollWidth > node.clientWidth)).toBe(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-list-pl-1280.png') });
  });

  it('shows each view: breached, due within 30 min, escalated, waiting for data, unowned', async () => {
    const view = async (name: string, expected: string[]): Promise<void> => {
      await page.click(`button[data-view=${name}]`);
      await expect.poll(async () => (await listed()).sort(), { timeout: 10_000 }).toEqual([...expected].sort());
      expect(await page.getAttribute(`button[data-view=${name}]`, 'aria-pressed')).toBe('true');
    };
    await view('breached', [numbers.breached!]);
    await view('due-soon', [numbers.dueSoon!, numbers.morning!]);
    await view('escalated', [numbers.breached!]);
    await view('waiting', [numbers.waiting!]);
    await view('unowned', Object.values(numbers));
    expect(page.url()).toBe(`${ops.url}/ops?filter=unowned`);
    await view('open', Object.values(numbers));
  });

  it('sorts by any column, both ways (the waiting group leads only the default, most-urgent order)', async () => {
    await page.click('button[data-sort=subject]');
    await expect.poll(() => page.getAttribute('.row.head .col-subject', 'aria-sort')).toBe('ascending');
    // Biblioteka…, Napęd…, Nie działa…, Wolny…, Zgłoszenie…
    await expect.poll(listed).toEqual([numbers.breached, numbers.morning, numbers.waiting, numbers.dueSoon, numbers.call]);
    expect(await page.locator('#requests .group').count()).toBe(0);
    await page.click('button[data-sort=subject]');
    await expect.poll(() => page.getAttribute('.row.head .col-subject', 'aria-sort')).toBe('descending');
    await expect.poll(listed).toEqual([numbers.call, numbers.dueSoon, numbers.waiting, numbers.morning, numbers.breached]);
    await page.click('button[data-sort=due]');
    await expect.poll(listed).toEqual([numbers.waiting, numbers.breached, numbers.dueSoon, numbers.morning, numbers.call]);
  });

  it('pages with a visible "more" and says how many there are', async () => {
    await page.goto(`${ops.url}/ops?limit=2`);
    await expect.poll(listed).toEqual([numbers.waiting, numbers.breached]);
    expect(await page.textContent('#summary')).toBe('2 z 5');
    expect(await page.textContent('#more')).toBe('Pokaż kolejne (jeszcze 3)');
    await page.click('#more');
    await expect.poll(listed).toEqual([numbers.waiting, numbers.breached, numbers.dueSoon, numbers.morning]);
    await page.click('#more');
    await expect.poll(listed).toHaveLength(5);
    expect(await page.isHidden('#more')).toBe(true);
    expect(await page.textContent('#summary')).toBe('5 z 5');
  });

  it('moves with j and k, opens with Enter, and / goes to the search box', async () => {
    await page.goto(`${ops.url}/ops`);
    await expect.poll(listed).toHaveLength(5);
    await page.keyboard.press('/');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe('search');
    // Typing in the search box is typing, not keys for the list.
    await page.keyboard.type('jk');
    expect(await page.inputValue('#search')).toBe('jk');
    const reloaded = page.waitForResponse((response) => response.url().includes('/ops/api/list?') && !response.url().includes('q=jk'));
    await page.fill('#search', '');
    await reloaded;
    await expect.poll(listed).toHaveLength(5);
    await page.locator('.filters h2').click();
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    await page.keyboard.press('j');
    expect(await page.getAttribute('#requests .row.selected', 'data-number')).toBe(numbers.breached);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${ops.url}/ops/requests/${numbers.breached}`);
  });

  it('counts new requests in the tab title and rings when the sound is on (off by default, remembered)', async () => {
    await page.goto(`${ops.url}/ops`);
    await expect.poll(listed).toHaveLength(5);
    expect(await page.isChecked('#sound')).toBe(false);
    await page.check('#sound');
    await page.reload();
    await expect.poll(listed).toHaveLength(5);
    expect(await page.isChecked('#sound')).toBe(true);
    expect(await page.title()).toBe('myHEZO ops');
    await file('fresh', { sentAt: minutesAgo(1), serialNumber: 'Q48-24-07315', subject: 'Nowe zgłoszenie' });
    await expect.poll(() => page.title(), { timeout: 10_000 }).toBe('(1) myHEZO ops');
    expect(await page.evaluate(() => (globalThis as unknown as { hezoBeeps?: number }).hezoBeeps ?? 0)).toBeGreaterThanOrEqual(1);
    // Looking at the list (a key, a click) counts as having seen it.
    await page.keyboard.press('Shift');
    await expect.poll(() => page.title()).toBe('myHEZO ops');
    await page.uncheck('#sound');
  });

  it('turns rows into cards at 390 px with no blank cells and nothing wider than the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${ops.url}/ops`);
    await expect.poll(listed).toHaveLength(6);
    const blank = await page.$$eval('#requests .row [role=cell]', (cells) =>
      cells
        .filter((cell) => (globalThis as unknown as { getComputedStyle(node: unknown): { display: string } }).getComputedStyle(cell).display !== 'none')
        .filter((cell) => (cell.textContent ?? '').trim() === '').length,
    );
    expect(blank).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.isHidden('.row.head')).toBe(true);
    expect(await row(numbers.breached).locator('.col-customer').evaluate((node) => (globalThis as unknown as { getComputedStyle(node: unknown, pseudo: string): { content: string } }).getComputedStyle(node, '::before').content)).toBe('"Klient: "');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-list-pl-390.png'), fullPage: true });
    await page.click('#language');
    await expect.poll(() => page.textContent('#summary')).toMatch(/of/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-list-en-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-list-en-1280.png') });
    await page.click('#language');
    await expect.poll(() => page.textContent('#summary')).toMatch(/ z /);
  });
});

/** English words a Polish page must not show (issue 18). */
const ENGLISH = /\b(filed|clock-started|trace|reason|service|sent|due|elapsed|closed|engineer:)\b/i;

describe('a request', () => {
  it("shows the clock's real start apart from the deadline, and how it was counted, in Polish", async () => {
    await page.goto(`${ops.url}/ops/requests/${numbers.morning}`);
    await page.locator('#clock-from').waitFor();
    expect(await page.textContent('#clock-from')).toBe('czw., 19.11.2026, 09:00');
    expect(await page.textContent('dd[data-deadline=response]')).toBe('czw., 19.11.2026, 10:00');
    expect(await page.textContent('dd[data-trace=response]')).toBe('wysłano czw. 2026-11-19 08:47 → 60 min czw. → termin czw. 2026-11-19 10:00');
    const clock = await page.textContent('ol.history li[data-type=clock-started]');
    expect(clock).toContain('Zegar odpowiedzi liczy od czw., 19.11.2026, 09:00 (dane z czw., 19.11.2026, 08:47); termin czw., 19.11.2026, 10:00');
    const main = (await page.textContent('main')) ?? '';
    expect(main).not.toMatch(ENGLISH);
    expect(main).not.toMatch(/\d(Z|\.000Z)\b|[{}"]\s*:/);
    expect(await page.getAttribute('a[href^="mailto:"]', 'href')).toBe('mailto:katarzyna.wojcik@example.pl');
    expect(await page.getAttribute('a[href^="tel:"]', 'href')).toBe('tel:+48601200300');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-detail-pl-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-detail-pl-390.png'), fullPage: true });
    expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows a waiting request\'s wait and why it has no clock, in Polish', async () => {
    await page.goto(`${ops.url}/ops/requests/${numbers.waiting}`);
    await page.locator('#countdown').waitFor();
    await expect.poll(() => page.textContent('#countdown')).toBe('czeka na dane: 1 h 20 min');
    expect(await page.textContent('main')).toContain('Brak numeru seryjnego; oba są wymagane do przyjęcia zgłoszenia.');
    const filed = await page.textContent('ol.history li[data-type=filed]');
    expect(filed).toMatch(/^czw\., 19\.11\.2026, 09:30 · e-mail · Zgłoszenie przyjęte do systemu, status: brak danych — Brak numeru seryjnego/);
    expect((await page.textContent('main')) ?? '').not.toMatch(ENGLISH);
  });

  it("lists a call's keypad and speech answers as text and plays its recording", async () => {
    await page.goto(`${ops.url}/ops/requests/${numbers.call}`);
    await page.locator('ol.heard').waitFor();
    expect(await page.locator('ol.heard li').allTextContents()).toEqual(['umowa: wybrano 1', 'numer seryjny: powiedziano „XLS812 240517”', 'potwierdzenie urządzenia: wybrano 1']);
    expect(await page.getAttribute('.recording audio', 'src')).toBe(RECORDING);
    expect(await page.getAttribute('.recording audio', 'controls')).not.toBeNull();
    expect(await page.getAttribute('#collected a[href^="tel:"]', 'href')).toBe('tel:+48600100200');
    expect((await page.textContent('main')) ?? '').not.toMatch(ENGLISH);
  });

  it('shows the same in English when switched', async () => {
    await page.goto(`${ops.url}/ops/requests/${numbers.morning}`);
    await page.locator('#clock-from').waitFor();
    await page.click('#language');
    await expect.poll(() => page.textContent('#clock-from')).toBe('Thu, 19/11/2026, 09:00');
    expect(await page.textContent('dd[data-trace=response]')).toBe('sent Thu 2026-11-19 08:47 → 60 min Thu → due Thu 2026-11-19 10:00');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-detail-en-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-detail-en-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click('#language');
    await expect.poll(() => page.textContent('#clock-from')).toBe('czw., 19.11.2026, 09:00');
  });
});
