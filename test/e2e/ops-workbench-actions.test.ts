/**
 * Working requests to their end from the ops page alone, in real headless Chromium against a
 * whole gateway (issue 18, items 1–6 as an engineer uses them): fixing the data with the
 * registry's suggestions, confirming a reporter, recording a contact at its real time and way,
 * replying by mail, taking/assigning/releasing (a second engineer is refused, named owner),
 * closing with a resolution after a confirmation, reopening, the closed view and the one search
 * box, related requests, and merging a duplicate. Clock: Thursday 2026-11-19 09:30 Warsaw.
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

const PASSWORD = 'e2e password for the workbench actions';
/** Thursday 2026-11-19 09:30 Europe/Warsaw (CET, +01:00). */
const THURSDAY_0930 = Date.parse('2026-11-19T08:30:00Z');
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const SCREENSHOTS = UPDATE_SCREENSHOTS ? path.join(PACKAGE_ROOT, 'docs', 'screenshots') : mkdtempSync(path.join(os.tmpdir(), 'hezo-screenshots-'));

let ops: OpsApp;
let ewa: TestBrowser;
let jan: TestBrowser;
let page: Page;
let other: Page;
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

async function signIn(browser: TestBrowser, login: string): Promise<Page> {
  const signed = browser.context.pages()[0] ?? (await browser.context.newPage());
  await signed.setViewportSize({ width: 1280, height: 800 });
  await signed.goto(`${ops.url}/ops/sign-in`);
  await signed.fill('input[name=login]', login);
  await signed.fill('input[name=password]', PASSWORD);
  await signed.click('button[type=submit]');
  await signed.waitForURL(`${ops.url}/ops`);
  return signed;
}

async function openRequest(on: Page, number: string | undefined): Promise<void> {
  await on.goto(`${ops.url}/ops/requests/${number}`);
  await on.locator('ol.history li').first().waitFor();
}

const title = (on: Page = page) => on.textContent('main h2.title');
const line = (type: string, on: Page = page) => on.locator(`ol.history li[data-type="${type}"]`).last().textContent();
const stored = async (name: string) => ops.test.gateway.store.get(numbers[name]!);

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  [ops, ewa, jan] = await Promise.all([
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
    launchBrowser(),
  ]);
  // Sent 80 minutes ago without a serial: waiting for data.
  await file('waiting', { sentAt: minutesAgo(80), serialNumber: undefined, subject: 'Nie działa napęd' });
  // 8x5 Mleczarska, sent 08:47 by Katarzyna Wójcik: accepted, clock from 09:00.
  const wojcik = { name: 'Katarzyna Wójcik', email: 'katarzyna.wojcik@example.pl', phone: '+48 601 200 300' };
  await file('morning', { sentAt: '2026-11-19T08:47:00+01:00', contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412', reporter: wojcik, subject: 'Napęd nie odpowiada' });
  // The same report again a few minutes later: a duplicate to merge.
  await file('duplicate', { sentAt: '2026-11-19T08:55:00+01:00', contractNumber: 'HZ-2025-00017', serialNumber: 'Q80-25-00412', reporter: wojcik, subject: 'Napęd nadal nie odpowiada' });
  // A reporter who is not a representative of the contract.
  await file('stranger', { sentAt: minutesAgo(10), reporter: { name: 'Jan Obcy', email: 'jan.obcy@example.com' }, subject: 'Prośba o serwis' });
  // One to close and reopen.
  await file('toClose', { sentAt: minutesAgo(15), serialNumber: 'Q48-24-07315', subject: 'Błąd czytnika' });
  page = await signIn(ewa, 'ewa');
  other = await signIn(jan, 'jan');
}, 120_000);

afterAll(async () => {
  await Promise.all([ewa?.close(), jan?.close()]);
  await ops?.stop();
  if (!UPDATE_SCREENSHOTS) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

describe('working requests from the page', () => {
  it('fixes the missing serial with the registry offering the contract and its devices as the engineer types; the clock starts', async () => {
    await openRequest(page, numbers.waiting);
    expect(await title()).toContain('brak danych');
    await page.click('#form-fix summary');
    await page.fill('#form-fix input[name=contractNumber]', 'HZ-2026');
    await expect.poll(() => page.$$eval('#contract-suggestions option', (options) => options.map((o) => o.getAttribute('value')))).toContain('HZ-2026-00123');
    await page.fill('#form-fix input[name=contractNumber]', 'HZ-2026-00123');
    await expect.poll(() => page.$$eval('#serial-suggestions option', (options) => options.map((o) => o.getAttribute('value')))).toContain('XLS812-240517');
    expect(await page.$$eval('#reporter-suggestions option', (options) => options.map((o) => o.getAttribute('value')))).toEqual(['Anna Nowak', 'Piotr Wiśniewski']);
    expect(await page.textContent('#contract-hint')).toBe('HZ-2026-00123: Wawel Data Center sp. z o.o. · 24x7 · ważna');
    await page.fill('#form-fix input[name=serialNumber]', 'XLS812-240517');
    await page.click('button[data-submit=fix]');
    await expect.poll(() => title()).toContain('przyjęte');
    expect(await line('data-edited')).toMatch(/Engineer ewa · Poprawione dane: numer seryjny — → XLS812-240517; status: przyjęte/);
    expect(await page.textContent('#clock-from')).toBe('czw., 19.11.2026, 09:30');
    expect((await stored('waiting'))?.status).toBe('accepted');
  });

  it('confirms a reporter who is not a representative; the clock starts and the timeline says who', async () => {
    await openRequest(page, numbers.stranger);
    expect(await page.textContent('main')).toContain('Zgłaszający nie jest upoważnionym przedstawicielem umowy HZ-2026-00123');
    await page.click('button[data-action=reporter-confirmed]');
    await expect.poll(() => title()).toContain('przyjęte');
    expect(await line('reporter-confirmed')).toContain('Engineer ewa · Zgłaszający potwierdzony przez inżyniera; zegar ruszył');
    expect(await page.textContent('#confirmed-by')).toBe('Engineer ewa · czw., 19.11.2026, 09:30');
  });

  it('records a contact at its real time and way; a time in the future or before the request is refused, in Polish', async () => {
    await openRequest(page, numbers.morning);
    await page.click('#form-contact summary');
    // The future: the form itself does not let it go (the field's max is now).
    await page.fill('#form-contact input[name=at]', '2026-11-19T11:00');
    await page.click('button[data-submit=contact]');
    expect(await page.locator('#form-contact input[name=at]:invalid').count()).toBe(1);
    // Before the request was sent: the server refuses, the page says why in Polish.
    await page.fill('#form-contact input[name=at]', '2026-11-19T08:00');
    await page.click('button[data-submit=contact]');
    await expect.poll(() => page.textContent('#action-message')).toBe(
      'Nie udało się: nieprawidłowe dane (czas). Czas kontaktu nie może być w przyszłości ani przed startem zegara (wysłaniem zgłoszenia lub uzupełnieniem danych).',
    );
    expect((await stored('morning'))?.status).toBe('accepted');
    await page.fill('#form-contact input[name=at]', '2026-11-19T09:10');
    await page.selectOption('#form-contact select[name=via]', 'phone');
    await page.fill('#form-contact input[name=note]', 'Klientka zrestartuje napęd i oddzwoni.');
    await page.click('button[data-submit=contact]');
    await expect.poll(() => title()).toContain('kontakt');
    const contacted = await line('contacted');
    expect(contacted).toMatch(/^czw\., 19\.11\.2026, 09:10 · Engineer ewa · Kontakt ze zgłaszającym telefonicznie — pierwsza odpowiedź w terminie/);
    expect(contacted).toContain('Klientka zrestartuje napęd i oddzwoni.');
    expect(await page.textContent('main')).toContain('czw., 19.11.2026, 09:10 · Engineer ewa · dotrzymana');
    expect((await stored('morning'))?.firstResponse).toMatchObject({ at: '2026-11-19T08:10:00.000Z', met: true, via: 'phone' });
  });

  it('replies to the reporter by mail from the page', async () => {
    await openRequest(page, numbers.morning);
    await page.click('#form-reply summary');
    await page.fill('#form-reply textarea[name=text]', 'Dzień dobry, proszę o zdjęcie panelu napędu.');
    await page.click('button[data-submit=reply]');
    await expect.poll(() => page.textContent('#action-message')).toBe('Odpowiedź w kolejce do wysłania.');
    const queued = await line('reply-queued');
    expect(queued).toContain('Odpowiedź e-mailem do katarzyna.wojcik@example.pl w kolejce');
    expect(queued).toContain('Dzień dobry, proszę o zdjęcie panelu napędu.');
  });

  it('takes a request; a second engineer is refused with the owner named; assign and release', async () => {
    await openRequest(page, numbers.morning);
    await page.click('button[data-verb=take]');
    await expect.poll(() => page.textContent('#owner')).toBe('prowadzi: Engineer ewa');
    await openRequest(other, numbers.morning);
    expect(await other.textContent('#owner')).toBe('owner: Engineer ewa');
    await other.click('button[data-verb=take]');
    await expect.poll(() => other.textContent('#action-message')).toBe('Failed: the request is owned by Engineer ewa; ask to have it assigned.');
    expect((await stored('morning'))?.owner).toBe('ewa');

    // The list: the owner column, and the "mine" view.
    await page.goto(`${ops.url}/ops?filter=mine`);
    await expect.poll(() => page.$$eval('#requests [data-number]', (rows) => rows.map((r) => r.getAttribute('data-number')))).toEqual([numbers.morning]);
    expect(await page.textContent(`#requests [data-number="${numbers.morning}"] .col-owner`)).toBe('Engineer ewa');

    await openRequest(page, numbers.morning);
    await page.fill('#actions input[name=to]', 'jan');
    await page.click('button[data-verb=assign]');
    await expect.poll(() => page.textContent('#owner')).toBe('prowadzi: Engineer jan');
    expect(await line('owner-changed')).toContain('Przydzielone: Engineer jan');
    // Releasing is the owner's: Jan releases it.
    expect(await page.locator('button[data-verb=release]').count()).toBe(0);
    await openRequest(other, numbers.morning);
    await other.click('button[data-verb=release]');
    await expect.poll(() => other.textContent('#owner')).toBe('nobody owns it');
    expect(await line('owner-changed', other)).toContain('Engineer jan · Released (owner was Engineer jan)');
  });

  it('takes the selected request from the list with t', async () => {
    await page.goto(`${ops.url}/ops?filter=unowned`);
    await expect.poll(() => page.locator('#requests [data-number]').count()).toBeGreaterThan(0);
    const first = await page.getAttribute('#requests [data-number]', 'data-number');
    await page.keyboard.press('j');
    await page.keyboard.press('t');
    await vi.waitFor(async () => expect((await ops.test.gateway.store.get(first!))?.owner).toBe('ewa'), { timeout: 10_000 });
  });

  it('closes only with a resolution and a confirmation, then reopens with a reason', async () => {
    await openRequest(page, numbers.toClose);
    await page.click('#form-close summary');
    expect(await page.isHidden('#form-close input[name=of]')).toBe(true);
    await page.selectOption('#form-close select[name=resolution]', 'resolved-remotely');
    await page.click('button[data-submit=close]');
    // Nothing happens until confirmed; "✕" steps back.
    await page.click('#form-close button[data-confirm=no]');
    expect((await stored('toClose'))?.status).toBe('accepted');
    await page.click('button[data-submit=close]');
    expect(await page.textContent('#form-close .confirm p')).toBe(`Zamknąć zgłoszenie ${numbers.toClose}?`);
    await page.click('#form-close button[data-confirm=yes]');
    await expect.poll(() => title()).toContain('zamknięte');
    expect(await line('closed')).toContain('Zamknięte: rozwiązane zdalnie');

    await page.click('#form-reopen summary');
    await page.fill('#form-reopen input[name=reason]', 'Klient zgłasza, że błąd wrócił.');
    await page.click('button[data-submit=reopen]');
    await expect.poll(() => title()).toContain('przyjęte');
    const reopened = await line('reopened');
    expect(reopened).toContain('Otwarte ponownie, status: przyjęte');
    expect(reopened).toContain('Klient zgłasza, że błąd wrócił.');
  });

  it('lists the same contract\'s, device\'s and reporter\'s other requests, and merges a duplicate into another', async () => {
    await openRequest(page, numbers.duplicate);
    await page.locator('#related li').first().waitFor();
    expect(await page.textContent(`#related li[data-number="${numbers.morning}"]`)).toContain('tej samej umowy, tego samego urządzenia, tego samego zgłaszającego');
    await page.click('#form-merge summary');
    await page.fill('#form-merge input[name=into]', numbers.morning!.toLowerCase());
    await page.click('button[data-submit=merge]');
    expect(await page.textContent('#form-merge .confirm p')).toBe(`Scalić ${numbers.duplicate} z ${numbers.morning}? Zgłaszający dostanie numer ${numbers.morning}.`);
    await page.click('#form-merge button[data-confirm=yes]');
    await expect.poll(() => title()).toContain('zamknięte');
    expect(await line('merged')).toContain(`Scalone ze zgłoszeniem ${numbers.morning}`);
    expect(await page.getAttribute('#merged-into a', 'href')).toBe(`/ops/requests/${numbers.morning}`);
    expect(await page.textContent('main')).toContain('Rozwiązanie');
    await openRequest(page, numbers.morning);
    expect(await line('merged')).toContain(`Dołączono zgłoszenie ${numbers.duplicate}`);
    // A worked request: its timeline, and the data-fix form with the registry's suggestions open.
    await page.click('#form-fix summary');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ops-worked-pl-1280.png'), fullPage: true });
  });

  it('finds requests with the one search box, diacritics folded, open and closed; the closed view lists closed ones', async () => {
    await page.goto(`${ops.url}/ops`);
    await page.locator('#requests [data-number]').first().waitFor();
    const listed = () => page.$$eval('#requests [data-number]', (rows) => rows.map((r) => r.getAttribute('data-number')).sort());
    await page.keyboard.press('/');
    await page.keyboard.type('mleczarska');
    // The customer "Spółdzielnia Mleczarska …": the request and its merged (closed) duplicate.
    await expect.poll(listed).toEqual([numbers.morning, numbers.duplicate].sort());
    expect(page.url()).toBe(`${ops.url}/ops?q=mleczarska`);
    await page.fill('#search', 'wojcik napęd');
    await expect.poll(listed).toEqual([numbers.morning, numbers.duplicate].sort());
    await page.fill('#search', '');
    await page.click('button[data-view=closed]');
    await expect.poll(listed).toEqual([numbers.duplicate]);
  });

  it('keeps what the engineer is typing when a colleague changes the request, and offers the change', async () => {
    await openRequest(page, numbers.stranger);
    await page.click('#form-reply summary');
    await page.fill('#form-reply textarea[name=text]', 'Piszę właśnie odpowiedź…');
    await openRequest(other, numbers.stranger);
    await other.click('button[data-verb=take]');
    await expect.poll(() => page.isVisible('#changed-notice'), { timeout: 10_000 }).toBe(true);
    expect(await page.inputValue('#form-reply textarea[name=text]')).toBe('Piszę właśnie odpowiedź…');
    expect(await page.textContent('#owner')).toBe('nikt nie prowadzi');
    await page.click('#show-changes');
    await expect.poll(() => page.textContent('#owner')).toBe('prowadzi: Engineer jan');
  });

  it('opens the contact form of the selected request with c on the list', async () => {
    await page.goto(`${ops.url}/ops`);
    await page.locator('#requests [data-number]').first().waitFor();
    const first = await page.getAttribute('#requests [data-number]', 'data-number');
    await page.keyboard.press('j');
    await page.keyboard.press('c');
    await page.waitForURL(`${ops.url}/ops/requests/${first}#contact`);
    await page.locator('#form-contact[open]').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { name: string } } }).document.activeElement.name)).toBe('at');
  });
});
