/**
 * Starts a whole gateway in-process for a test: a temp config folder (defaults + overrides),
 * the demo registry as tests use it (./registry.ts), a private Redis, and a quiet logger.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway, type Gateway, type StartOptions } from '../../src/main.js';
import { createLogger } from '../../src/logger.js';
import { writeTestRegistry } from './registry.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';

export interface TestGateway {
  gateway: Gateway;
  root: string;
  /** The temp config folder (HEZO_CONFIG_DIR for a child process of the same setup). */
  configDir: string;
  stop(): Promise<void>;
}

/** `overrides` is written as config/local.json; `env` adds environment overrides. */
export async function startTestGateway(
  overrides: Record<string, unknown>,
  env: Record<string, string>,
  options: Pick<StartOptions, 'roles' | 'now' | 'logger'> = {},
): Promise<TestGateway> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hezo-gateway-'));
  const configDir = path.join(root, 'config');
  mkdirSync(configDir);
  for (const file of ['default.json', 'calendar-extras.json']) {
    copyFileSync(path.join(DEFAULT_CONFIG_DIR, file), path.join(configDir, file));
  }
  writeTestRegistry(path.join(configDir, 'contracts.json'));
  writeFileSync(path.join(configDir, 'local.json'), JSON.stringify({ http: { port: 0 }, ...overrides }));
  const gateway = await startGateway({
    configDir,
    env: { ...env },
    ...options,
    logger: options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
  });
  return {
    gateway,
    root,
    configDir,
    async stop() {
      await gateway.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
