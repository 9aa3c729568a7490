import { describe, expect, it } from 'vitest';
import { isIntakeError, type IntakeErrorDetail } from '../../src/errors.js';
import { parseRegistryText } from '../../src/registry/registry-file.js';

/** A one-contract registry with `changes` applied to the contract and `device` to its device. */
function registryText(changes: Record<string, unknown> = {}, device: Record<string, unknown> = {}): string {
  const contract = {
    number: 'HZ-2026-00500',
    customer: 'Zakłady Testowe sp. z o.o.',
    package: 'AHB',
    window: '8x5',
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
    devices: [{ serial: 'Q24-26-00001', model: 'Qualstar Q24', ...device }],
    representatives: [{ name: 'Jan Kowalski', email: 'jan.kowalski@example.pl', phone: '+48 600 100 200' }],
    ...changes,
  };
  return JSON.stringify({ version: 1, contracts: [contract] }, null, 2);
}

function problems(text: string): string[] {
  try {
    parseRegistryText(text, 'contracts.json');
  } catch (error) {
    if (isIntakeError(error) && error.code === 'REGISTRY_INVALID') return error.details.map((d: IntakeErrorDetail) => `${d.path}: ${d.message}`);
    throw error;
  }
  throw new Error('expected the registry to be rejected');
}

describe('system care and reminder opt-ins in the registry', () => {
  it('reads system care, both opt-ins and a device’s last inspection', () => {
    const registry = parseRegistryText(
      registryText({ systemCare: true, inspectionMails: false, renewalReminders: true }, { lastInspection: '2025-02-28' }),
      'contracts.json',
    );
    const contract = registry.contracts[0];
    expect(contract?.systemCare).toBe(true);
    expect(contract?.inspectionMails).toBe(false);
    expect(contract?.renewalReminders).toBe(true);
    expect(contract?.devices[0]?.lastInspection).toBe('2025-02-28');
  });

  it('leaves them absent when the export has none (no care, inspection mails on, renewal reminders off)', () => {
    const contract = parseRegistryText(registryText(), 'contracts.json').contracts[0];
    expect(contract?.systemCare).toBeUndefined();
    expect(contract?.devices[0]?.lastInspection).toBeUndefined();
  });

  it('refuses a last inspection that is not a real day, and quoted booleans, naming each', () => {
    expect(problems(registryText({ systemCare: 'true', renewalReminders: 1 }, { lastInspection: '2025-02-29' }))).toEqual([
      'contracts[0].devices[0].lastInspection: expected a calendar date YYYY-MM-DD, e.g. "2026-01-01", got "2025-02-29"',
      'contracts[0].systemCare: expected true when system care (yearly inspections) is included, false or absent when not, got "true"',
      "contracts[0].renewalReminders: expected true to send the contract's representatives the renewal reminders; absent means sales only, got 1",
    ]);
  });
});
