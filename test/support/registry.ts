/**
 * The shipped demo registry (config/contracts.json) as the tests use it: the same contracts,
 * customers, devices and representatives, except that the contracts still current when the
 * registry was exported never end. Tests on the real clock would otherwise start failing the
 * day a demo contract ends (one did on 2026-12-01, when a renewal began; the rest would from
 * 2028-03-01). Contracts that had ended before the export stay ended: the tests of an expired
 * contract need one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';

/** The last day of the current contracts in the tests' registry. */
export const TEST_CONTRACTS_END = '2099-12-31';

interface RegistryFile {
  exportedAt: string;
  contracts: Array<{ validTo: string }>;
}

/** The tests' registry, derived from the shipped one each time (so the two cannot drift apart). */
export function testRegistry(): RegistryFile {
  const demo = JSON.parse(readFileSync(path.join(DEFAULT_CONFIG_DIR, 'contracts.json'), 'utf8')) as RegistryFile;
  const exportedOn = demo.exportedAt.slice(0, 10);
  return { ...demo, contracts: demo.contracts.map((contract) => (contract.validTo >= exportedOn ? { ...contract, validTo: TEST_CONTRACTS_END } : contract)) };
}

/** Writes the tests' registry to `file`. */
export function writeTestRegistry(file: string): void {
  writeFileSync(file, `${JSON.stringify(testRegistry(), null, 2)}\n`);
}
