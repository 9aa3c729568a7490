import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContractRegistry } from '../../src/domain/contracts.js';
import type { IntakeError } from '../../src/errors.js';
import { isIntakeError } from '../../src/errors.js';
import { readRegistryFile } from '../../src/registry/registry-file.js';
import { RegistryWatcher, type RegistryReloadInfo } from '../../src/registry/registry-watcher.js';

const DEMO = readFileSync('config/contracts.json', 'utf8');
const DEBOUNCE_MS = 40;
const WAIT = { timeout: 5_000, interval: 20 };

/** The demo registry with one more contract, so a reload is visible in `size`. */
function demoPlusOne(number = 'HZ-2026-00777'): string {
  const data = JSON.parse(DEMO) as { contracts: Array<Record<string, unknown>> };
  const first = data.contracts[0] as Record<string, unknown>;
  data.contracts.push({ ...first, number, devices: [{ serial: 'Q24-26-07777', model: 'Qualstar Q24' }] });
  return JSON.stringify(data, null, 2);
}

/** The demo registry with its third contract's window misspelt. */
function demoWithBadWindow(): string {
  return DEMO.replace('"window": "8x5",\n      "onsite": null', '"window": "8x6",\n      "onsite": null');
}

let dir: string;
let file: string;
let watcher: RegistryWatcher | undefined;
let reloads: Array<{ info: RegistryReloadInfo; registry: ContractRegistry }>;
let errors: IntakeError[];

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-registry-'));
  file = path.join(dir, 'contracts.json');
  await writeFile(file, DEMO);
  reloads = [];
  errors = [];
});

afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function openWatcher(debounceMs = DEBOUNCE_MS): Promise<RegistryWatcher> {
  watcher = await RegistryWatcher.open(file, {
    debounceMs,
    onReload: (info, registry) => reloads.push({ info, registry }),
    onError: (error) => errors.push(error),
  });
  return watcher;
}

describe('readRegistryFile', () => {
  it('loads the demo registry from disk', () => {
    expect(readRegistryFile(file).size).toBe(5);
  });

  it('says so when the file is missing', () => {
    const missing = path.join(dir, 'nope.json');
    expect(() => readRegistryFile(missing)).toThrow(expect.objectContaining({ code: 'REGISTRY_INVALID', message: expect.stringContaining(`Cannot read the contract registry ${missing}`) }));
  });

  it('refuses a file that is not UTF-8 rather than garbling Polish names', async () => {
    // "Spółdzielnia" in Windows-1250: ó = 0xF3, ł = 0xB3.
    const bytes = Buffer.from(DEMO.replace('Spółdzielnia', 'Sp\u0000\u0001dzielnia'), 'utf8');
    const at = bytes.indexOf(0);
    bytes[at] = 0xf3;
    bytes[at + 1] = 0xb3;
    await writeFile(file, bytes);
    try {
      readRegistryFile(file);
      expect.unreachable();
    } catch (error) {
      expect(isIntakeError(error) && error.details[0]?.message).toMatch(/not UTF-8 .*save it as UTF-8/);
    }
  });
});

describe('RegistryWatcher', () => {
  it('refuses to start on a broken file', async () => {
    await writeFile(file, demoWithBadWindow());
    await expect(RegistryWatcher.open(file)).rejects.toMatchObject({ code: 'REGISTRY_INVALID', details: [expect.objectContaining({ path: 'contracts[2].window' })] });
  });

  it('reloads when the file is rewritten in place', async () => {
    const w = await openWatcher();
    expect(w.current.size).toBe(5);
    await writeFile(file, demoPlusOne());
    await vi.waitFor(() => expect(w.current.findContract('HZ-2026-00777')).toBeDefined(), WAIT);
    expect(reloads.at(-1)?.info).toMatchObject({ file, contracts: 6, previousContracts: 5 });
    expect(reloads.at(-1)?.registry).toBe(w.current);
    // No assertion on `errors` here: an in-place write is truncate-then-write, and a read that
    // lands in between is rightly rejected (then superseded). The rename test below has none.
  });

  it('reloads when the file is replaced by rename (atomic write)', async () => {
    const w = await openWatcher();
    const temp = path.join(dir, '.contracts.json.tmp');
    await writeFile(temp, demoPlusOne('HZ-2026-00888'));
    await rename(temp, file);
    await vi.waitFor(() => expect(w.current.findContract('hz 2026 00888')).toBeDefined(), WAIT);
    // Replaced twice: the watch follows the directory, not the first file's inode.
    await writeFile(temp, demoPlusOne('HZ-2026-00999'));
    await rename(temp, file);
    await vi.waitFor(() => expect(w.current.findContract('HZ-2026-00999')).toBeDefined(), WAIT);
    expect(errors).toEqual([]);
  });

  it('reloads when a Kubernetes ConfigMap swaps its ..data symlink', async () => {
    // The layout kubelet writes: contracts.json -> ..data/contracts.json, ..data -> ..<timestamp>.
    await rm(file);
    await mkdir(path.join(dir, '..2026_11_26_a'));
    await writeFile(path.join(dir, '..2026_11_26_a', 'contracts.json'), DEMO);
    await symlink('..2026_11_26_a', path.join(dir, '..data'));
    await symlink(path.join('..data', 'contracts.json'), file);
    const w = await openWatcher();
    expect(w.current.size).toBe(5);

    await mkdir(path.join(dir, '..2026_11_26_b'));
    await writeFile(path.join(dir, '..2026_11_26_b', 'contracts.json'), demoPlusOne());
    await symlink('..2026_11_26_b', path.join(dir, '..data_tmp'));
    await rename(path.join(dir, '..data_tmp'), path.join(dir, '..data'));
    await vi.waitFor(() => expect(w.current.size).toBe(6), WAIT);
    expect(errors).toEqual([]);
  });

  it('keeps the old registry when the new file is broken JSON, and says why', async () => {
    const w = await openWatcher();
    const before = w.current;
    await writeFile(file, DEMO.slice(0, DEMO.length / 2));
    await vi.waitFor(() => expect(errors).toHaveLength(1), WAIT);
    expect(w.current).toBe(before);
    expect(errors[0]?.code).toBe('REGISTRY_INVALID');
    expect(errors[0]?.details[0]).toMatchObject({ file, path: '$', message: expect.stringMatching(/^JSON syntax error at line \d+, column \d+: /) });

    await writeFile(file, demoPlusOne());
    await vi.waitFor(() => expect(w.current.size).toBe(6), WAIT);
  });

  it('keeps the old registry when the new file fails validation, naming the field and line', async () => {
    const w = await openWatcher();
    const before = w.current;
    const broken = demoWithBadWindow();
    await writeFile(file, broken);
    await vi.waitFor(() => expect(errors).toHaveLength(1), WAIT);
    expect(w.current).toBe(before);
    const line = broken.slice(0, broken.indexOf('"8x6"')).split('\n').length;
    expect(errors[0]?.details).toEqual([{ file, line, path: 'contracts[2].window', message: 'expected "8x5" or "24x7", got "8x6"' }]);
    expect(reloads).toEqual([]);
  });

  it('keeps the old registry while the file is gone and loads it when it comes back', async () => {
    const w = await openWatcher();
    await rm(file);
    await vi.waitFor(() => expect(errors.map((e) => e.message).join()).toMatch(/Cannot read the contract registry/), WAIT);
    expect(w.current.size).toBe(5);
    await writeFile(file, demoPlusOne());
    await vi.waitFor(() => expect(w.current.size).toBe(6), WAIT);
  });

  it('reload() reads the file at once and tells what happened', async () => {
    // A debounce longer than the test: only the explicit reloads act.
    const w = await openWatcher(60_000);
    expect((await w.reload()).status).toBe('unchanged');

    await writeFile(file, demoPlusOne());
    const reloaded = await w.reload();
    expect(reloaded).toMatchObject({ status: 'reloaded', info: { contracts: 6 } });
    expect(w.current).toBe(reloaded.registry);

    await writeFile(file, demoWithBadWindow());
    const rejected = await w.reload();
    expect(rejected.status).toBe('rejected');
    expect(rejected.registry).toBe(reloaded.registry);
    // An explicit reload reports a rejection each time, even of the same content.
    await w.reload();
    expect(errors).toHaveLength(2);
  });

  it('close() stops watching', async () => {
    const w = await openWatcher();
    await w.close();
    await writeFile(file, demoPlusOne());
    // Proving that nothing happens needs a wait: several debounce periods is ample.
    await new Promise((resolve) => setTimeout(resolve, DEBOUNCE_MS * 5));
    expect(w.current.size).toBe(5);
    expect(reloads).toEqual([]);
    expect(errors).toEqual([]);
  });
});
