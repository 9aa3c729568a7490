/**
 * Real headless Chromium for end-to-end tests: Debian's `chromium` driven by playwright-core
 * (never `npx playwright install`: no downloads here), with a fresh profile per launch and the
 * flags that keep it from phoning home (TESTING.md, "Browsers").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { chromiumPath } from './prerequisites.js';

export interface TestBrowser {
  /** A fresh persistent context (its own profile folder; playwright takes the profile this way, not as a flag). */
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'hezo-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
