import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contractStatusAt, isValidOn, normalizePhone, warsawDateOf, type Contract } from '../../src/domain/contract-terms.js';
import { ContractRegistry } from '../../src/domain/contracts.js';
import { findContractRuleProblems } from '../../src/domain/registry-rules.js';
import { ImpossibleState, isIntakeError, type IntakeErrorDetail } from '../../src/errors.js';
import { parseRegistryText } from '../../src/registry/registry-file.js';

const DEMO_FILE = 'config/contracts.json';
const demo = parseRegistryText(readFileSync(DEMO_FILE, 'utf8'), DEMO_FILE);

function contract(number: string): Contract {
  const found = demo.findContract(number);
  if (found === undefined) throw new Error(`demo registry lacks ${number}`);
  return found;
}

/** The details of the IntakeError that parsing `text` throws, as `line path: message`. */
function problems(text: string, file = 'contracts.json'): IntakeErrorDetail[] {
  try {
    parseRegistryText(text, file);
  } catch (error) {
    if (isIntakeError(error) && error.code === 'REGISTRY_INVALID') return [...error.details];
    throw error;
  }
  throw new Error('expected the registry to be rejected');
}

function lines(details: readonly IntakeErrorDetail[]): string[] {
  return details.map((d) => `${d.line} ${d.path}: ${d.message}`);
}

/** A valid one-contract registry, pretty-printed like an ERP export, with `changes` applied to the contract. */
function registryText(changes: Record<string, unknown> = {}): string {
  const base = {
    number: 'HZ-2026-00500',
    customer: 'Zakłady Testowe sp. z o.o.',
    package: 'SOS',
    window: '8x5',
    onsite: 'NBD',
    validFrom: '2026-01-01',
    validTo: '2026-12-31',
    devices: [{ serial: 'Q24-26-00001', model: 'Qualstar Q24' }],
    representatives: [{ name: 'Jan Kowalski', email: 'jan.kowalski@example.pl', phone: '+48 600 100 200' }],
  };
  return JSON.stringify({ version: 1, contracts: [{ ...base, ...changes }] }, null, 2);
}

/** 1-based line of the first occurrence of `needle` in `text`, found independently of the parser. */
function lineOf(text: string, needle: string): number {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`${needle} not in text`);
  return text.slice(0, index).split('\n').length;
}

describe('the demo registry', () => {
  it('loads cleanly with the contracts the demo promises', () => {
    expect(demo.size).toBe(5);
    expect(demo.exportedAt).toBe('2026-11-25T18:00:00.000Z');
    expect(demo.contracts.map((c) => [c.number, c.package, c.window, c.onsite])).toEqual([
      ['HZ-2026-00123', 'SOS', '24x7', '8h'],
      ['HZ-2025-00017', 'SOS', '8x5', 'NBD'],
      ['HZ-2025-00208', 'AHB', '8x5', null],
      ['HZ-2024-00042', 'AHB', '24x7', null],
      ['HZ-2026-00311', 'AHB', '24x7', null],
    ]);
  });

  it('has current contracts valid through 2027, one expired in 2025 and one renewal not yet started on 2026-11-26', () => {
    const today = Date.parse('2026-11-26T10:00:00+01:00');
    expect(demo.contracts.map((c) => [c.number, contractStatusAt(c, today)])).toEqual([
      ['HZ-2026-00123', 'valid'],
      ['HZ-2025-00017', 'valid'],
      ['HZ-2025-00208', 'valid'],
      ['HZ-2024-00042', 'expired'],
      ['HZ-2026-00311', 'not-yet-valid'],
    ]);
    for (const number of ['HZ-2026-00123', 'HZ-2025-00017', 'HZ-2025-00208']) expect(isValidOn(contract(number), '2027-12-31')).toBe(true);
    expect(contract('HZ-2024-00042').validTo.startsWith('2025-')).toBe(true);
  });

  it('stores representatives’ phones in E.164', () => {
    expect(contract('HZ-2026-00123').representatives.map((r) => r.phone)).toEqual(['+48600100200', '+48123456789']);
  });

  it('is frozen, so no caller can change what the indexes were built from', () => {
    expect(Object.isFrozen(demo.contracts)).toBe(true);
    expect(Object.isFrozen(contract('HZ-2026-00123').devices[0])).toBe(true);
  });
});

describe('findContract and findContractByDigits', () => {
  it.each(['HZ-2026-00123', 'hz 2026 00123', 'HZ202600123', '  hz-2026-00123 ', 'HZ–2026–00123'])(
    'finds HZ-2026-00123 written as %j',
    (text) => {
      expect(demo.findContract(text)?.number).toBe('HZ-2026-00123');
    },
  );

  it('answers undefined for unknown or empty numbers', () => {
    expect(demo.findContract('HZ-2026-99999')).toBeUndefined();
    expect(demo.findContract(' - ')).toBeUndefined();
    // The letters count for findContract: a different prefix is a different contract.
    expect(demo.findContract('HA-2026-00123')).toBeUndefined();
  });

  it('finds a contract by the digits typed on a keypad, ignoring # and *', () => {
    expect(demo.findContractByDigits('202600123')?.number).toBe('HZ-2026-00123');
    expect(demo.findContractByDigits('202500017#')?.number).toBe('HZ-2025-00017');
    expect(demo.findContractByDigits('2026')).toBeUndefined();
    expect(demo.findContractByDigits('#')).toBeUndefined();
  });
});

describe('findDevice, findDevicesBySuffix and findDeviceAnywhere', () => {
  const wawel = contract('HZ-2026-00123');

  it.each(['Q48-24-07315', 'q48-24-07315', 'Q48 24 07315', 'Q482407315', ' q48-2407315 '])('finds Q48-24-07315 written as %j', (serial) => {
    expect(demo.findDevice(wawel, serial)?.serial).toBe('Q48-24-07315');
  });

  it('does not find a device the contract does not list', () => {
    expect(demo.findDevice(wawel, 'Q80-25-00412')).toBeUndefined();
    expect(demo.findDevice(wawel, '07315')).toBeUndefined();
  });

  it('finds exactly one device by its last four digits', () => {
    for (const [suffix, serial] of [
      ['0517', 'XLS812-240517'],
      ['1842', 'Q80-23-11842'],
      ['7315', 'Q48-24-07315'],
      ['9315', 'Q48-24-09315'],
    ] as const) {
      expect(demo.findDevicesBySuffix(wawel, suffix).map((d) => d.serial)).toEqual([serial]);
    }
  });

  it('returns every device sharing the last three digits, so the caller can ask for more', () => {
    expect(demo.findDevicesBySuffix(wawel, '315').map((d) => d.serial)).toEqual(['Q48-24-07315', 'Q48-24-09315']);
  });

  it('matches suffixes with letters and separators, and digits across the separators', () => {
    expect(demo.findDevicesBySuffix(wawel, '24-09315').map((d) => d.serial)).toEqual(['Q48-24-09315']);
    expect(demo.findDevicesBySuffix(wawel, 'q48 24 09315').map((d) => d.serial)).toEqual(['Q48-24-09315']);
    expect(demo.findDevicesBySuffix(wawel, '2409315').map((d) => d.serial)).toEqual(['Q48-24-09315']);
  });

  it('matches typed digits against a serial whose letters sit between them', () => {
    const registry = new ContractRegistry([{ ...wawel, devices: [{ serial: 'QX12A34', model: 'Qualstar Q24' }] }]);
    const [only] = registry.contracts;
    expect(registry.findDevicesBySuffix(only as Contract, '1234').map((d) => d.serial)).toEqual(['QX12A34']);
    expect(registry.findDevicesBySuffix(only as Contract, 'A34').map((d) => d.serial)).toEqual(['QX12A34']);
  });

  it('returns nothing for an empty or unmatched suffix', () => {
    expect(demo.findDevicesBySuffix(wawel, '')).toEqual([]);
    expect(demo.findDevicesBySuffix(wawel, '#')).toEqual([]);
    expect(demo.findDevicesBySuffix(wawel, '0000')).toEqual([]);
  });

  it('answers for a contract from an earlier registry (held across a reload)', () => {
    const rebuilt = parseRegistryText(readFileSync(DEMO_FILE, 'utf8'), DEMO_FILE);
    expect(rebuilt.findDevice(wawel, 'q48-24-09315')?.serial).toBe('Q48-24-09315');
    expect(rebuilt.findDevicesBySuffix(wawel, '315')).toHaveLength(2);
  });

  it('finds a serial in every contract that lists it', () => {
    expect(demo.findDeviceAnywhere('q48 21 04410').map((m) => m.contract.number)).toEqual(['HZ-2024-00042', 'HZ-2026-00311']);
    expect(demo.findDeviceAnywhere('Q80-25-00412').map((m) => [m.contract.number, m.device.model])).toEqual([['HZ-2025-00017', 'Qualstar Q80']]);
    expect(demo.findDeviceAnywhere('Q80-99-99999')).toEqual([]);
  });
});

describe('representatives', () => {
  it('finds a representative by e-mail in any letter case', () => {
    const matches = demo.findRepresentativesByEmail('Anna.Nowak@EXAMPLE.PL');
    expect(matches.map((m) => [m.contract.number, m.representative.name])).toEqual([['HZ-2026-00123', 'Anna Nowak']]);
    expect(demo.findRepresentativesByEmail(' anna.nowak@example.pl ')).toHaveLength(1);
    expect(demo.findRepresentativesByEmail('nobody@example.pl')).toEqual([]);
  });

  it('finds a person who represents two customers on both contracts', () => {
    expect(demo.findRepresentativesByEmail('marek.zielinski@example.pl').map((m) => m.contract.number)).toEqual(['HZ-2025-00017', 'HZ-2025-00208']);
    expect(demo.findRepresentativesByPhone('603 400 500').map((m) => m.contract.number)).toEqual(['HZ-2025-00017', 'HZ-2025-00208']);
  });

  const hotlineLike = new ContractRegistry([
    {
      ...contract('HZ-2025-00017'),
      representatives: [{ name: 'Jan Kowalski', email: 'jan.kowalski@example.pl', phone: '+48 12 252 56 00' }],
    },
  ]);

  it.each(['12 25 25 600', '+48 12 252 56 00', '0048122525600', '(12) 252-56-00', '+48122525600', '0 12 252 56 00', '+48 (0) 12 252 56 00'])(
    'finds the representative whose phone is +48 12 252 56 00 by %j',
    (phone) => {
      expect(normalizePhone(phone)).toBe('+48122525600');
      expect(hotlineLike.findRepresentativesByPhone(phone).map((m) => m.representative.name)).toEqual(['Jan Kowalski']);
    },
  );

  it('finds demo representatives by mobile and landline numbers written differently from the file', () => {
    expect(demo.findRepresentativesByPhone('600100200').map((m) => m.representative.name)).toEqual(['Anna Nowak']);
    expect(demo.findRepresentativesByPhone('(12) 345-67-89').map((m) => m.representative.name)).toEqual(['Piotr Wiśniewski']);
  });

  it('finds nobody for caller IDs that are not valid numbers', () => {
    for (const callerId of ['anonymous', '', '+266696687', '+48 600 100 20', '123']) {
      expect(demo.findRepresentativesByPhone(callerId)).toEqual([]);
    }
    expect(normalizePhone('+48 600 100 20')).toBeNull();
    expect(normalizePhone('anonymous')).toBeNull();
    expect(normalizePhone('+44 20 7946 0000')).toBe('+442079460000');
  });
});

describe('validity on a day', () => {
  // validFrom 2026-01-01 and validTo 2027-06-30: one boundary in winter (UTC+1), one in summer (UTC+2).
  const term: Contract = { ...contract('HZ-2025-00017'), validFrom: '2026-01-01', validTo: '2027-06-30' };

  it('includes both validFrom and validTo', () => {
    expect(isValidOn(term, '2025-12-31')).toBe(false);
    expect(isValidOn(term, '2026-01-01')).toBe(true);
    expect(isValidOn(term, '2027-06-30')).toBe(true);
    expect(isValidOn(term, '2027-07-01')).toBe(false);
  });

  it('rejects a day that is not YYYY-MM-DD', () => {
    expect(() => isValidOn(term, '2026-1-1')).toThrow(ImpossibleState);
    expect(() => isValidOn(term, '2026-02-30')).toThrow(ImpossibleState);
  });

  it('counts the Warsaw day: 23:30 UTC on 31 Dec is already 1 Jan in Warsaw', () => {
    expect(contractStatusAt(term, Date.parse('2025-12-31T22:59:59.999Z'))).toBe('not-yet-valid');
    expect(contractStatusAt(term, Date.parse('2025-12-31T23:00:00.000Z'))).toBe('valid');
    expect(contractStatusAt(term, Date.parse('2025-12-31T23:30:00.000Z'))).toBe('valid');
  });

  it('ends at Warsaw midnight after validTo, which is 22:00 UTC in summer', () => {
    expect(contractStatusAt(term, Date.parse('2027-06-30T21:59:59.999Z'))).toBe('valid');
    expect(contractStatusAt(term, Date.parse('2027-06-30T22:00:00.000Z'))).toBe('expired');
  });

  it('gives the Warsaw date of an instant and refuses a non-instant', () => {
    expect(warsawDateOf(Date.parse('2026-03-28T23:30:00Z'))).toBe('2026-03-29');
    expect(() => warsawDateOf(Number.NaN)).toThrow(ImpossibleState);
  });
});

describe('registry validation', () => {
  it('reports every problem in a file at once, each with its path, line and what is expected', () => {
    const file = 'test/fixtures/registry/many-problems.json';
    const details = problems(readFileSync(file, 'utf8'), file);
    expect(details.every((d) => d.file === file)).toBe(true);
    expect(lines(details)).toEqual([
      '4 contracts[0].onsite: an SOS contract needs an on-site time: expected "8h" or "NBD"',
      '8 contracts[0].window: expected "8x5" or "24x7", got "24/7"',
      '10 contracts[0].validTo: expected a date on or after validFrom ("2026-01-01"), got "2025-12-31"; both dates are inclusive',
      '13 contracts[0].devices[1].serial: duplicate serial "q48 1" in this contract: devices[0] is "Q48-1" (case, spaces and dashes are ignored when comparing)',
      '16 contracts[0].representatives[0].email: expected an e-mail address like "jan.kowalski@example.pl"',
      '16 contracts[0].representatives[0].phone: expected a valid phone number, e.g. "+48 600 100 200" (without a country code it is read as Polish)',
      '20 contracts[1].number: duplicate contract number "hz-2026-00123": contracts[0] is "HZ-2026-00123" (case, spaces and dashes are ignored when comparing)',
      '21 contracts[1].customer: expected the customer\'s name, got ""',
      '24 contracts[1].onsite: an AHB contract has no on-site service: expected null or no "onsite" field, got "NBD"',
      '25 contracts[1].validFrom: expected a calendar date YYYY-MM-DD, e.g. "2026-01-01", got "2026-02-30"',
      '27 contracts[1].devices: expected at least one device: a contract covers the devices it names',
      '29 contracts[1].representatives[0].email: missing; expected an e-mail address like "jan.kowalski@example.pl"',
      '33 contracts[2].number: keypad digits 202600123 of "HA-2026-00123" are the same as those of contracts[0] "HZ-2026-00123": a caller typing them on a phone could not tell the two apart',
      '35 contracts[2].package: expected "SOS" or "AHB", got "sos"',
      '37 contracts[2].onsite: expected "8h", "NBD" or null, got "4h"',
      '41 contracts[2].representatives: expected at least one representative: only they may report failures',
    ]);
  });

  it('names the file, the count and the first problem in the error message', () => {
    try {
      parseRegistryText(registryText({ window: '24/7' }), 'config/contracts.json');
      expect.unreachable();
    } catch (error) {
      expect(isIntakeError(error) && error.code).toBe('REGISTRY_INVALID');
      expect((error as Error).message).toBe(
        'Contract registry config/contracts.json is invalid (1 problem; the first at line 8: contracts[0].window: expected "8x5" or "24x7", got "24/7"). Fix the file; nothing in it was loaded.',
      );
    }
  });

  it.each([
    [{ number: 'HZ 2026 00500' }, '"number"', 'contracts[0].number', 'expected a contract number like "HZ-2026-00123": letters and digits in groups joined by single dashes, with at least one digit, got "HZ 2026 00500"'],
    [{ number: 'HZ-ABC' }, '"number"', 'contracts[0].number', 'expected a contract number like "HZ-2026-00123": letters and digits in groups joined by single dashes, with at least one digit, got "HZ-ABC"'],
    [{ number: 123 }, '"number"', 'contracts[0].number', 'expected a contract number like "HZ-2026-00123": letters and digits in groups joined by single dashes, with at least one digit, got 123'],
    [{ customer: null }, '"customer"', 'contracts[0].customer', "expected the customer's name, got null"],
    [{ window: '8X5' }, '"window"', 'contracts[0].window', 'expected "8x5" or "24x7", got "8X5"'],
    [{ onsite: null }, '"onsite"', 'contracts[0].onsite', 'an SOS contract needs an on-site time: expected "8h" or "NBD"'],
    [{ package: 'AHB', onsite: '8h' }, '"onsite"', 'contracts[0].onsite', 'an AHB contract has no on-site service: expected null or no "onsite" field, got "8h"'],
    [{ validFrom: '01.01.2026' }, '"validFrom"', 'contracts[0].validFrom', 'expected a calendar date YYYY-MM-DD, e.g. "2026-01-01", got "01.01.2026"'],
    [{ validTo: '2025-12-31' }, '"validTo"', 'contracts[0].validTo', 'expected a date on or after validFrom ("2026-01-01"), got "2025-12-31"; both dates are inclusive'],
    [{ devices: 'Q24-26-00001' }, '"devices"', 'contracts[0].devices', 'expected a list of devices, got "Q24-26-00001"'],
    [{ devices: [{ serial: '', model: 'Qualstar Q24' }] }, '"serial"', 'contracts[0].devices[0].serial', 'expected the serial number: letters and digits, optionally grouped by dashes, dots, slashes or spaces, got ""'],
    [{ representatives: [{ name: 'Jan Kowalski', email: 'jan.kowalski(at)example.pl', phone: '600 100 200' }] }, '"email"', 'contracts[0].representatives[0].email', 'expected an e-mail address like "jan.kowalski@example.pl"'],
    [{ representatives: [{ name: 'Jan Kowalski', email: 'jan.kowalski@example.pl', phone: '12 345' }] }, '"phone"', 'contracts[0].representatives[0].phone', 'expected a valid phone number, e.g. "+48 600 100 200" (without a country code it is read as Polish)'],
    [{ representatives: [{ name: ' ', email: 'jan.kowalski@example.pl', phone: '600 100 200' }] }, '"name"', 'contracts[0].representatives[0].name', 'expected the representative\'s name, got ""'],
  ])('rejects %j at the field with a message saying what is expected', (changes, needle, path, message) => {
    const text = registryText(changes);
    expect(lines(problems(text))).toEqual([`${lineOf(text, needle)} ${path}: ${message}`]);
  });

  it('does not quote e-mail addresses and phone numbers, which are personal data that reaches logs', () => {
    const text = registryText({ representatives: [{ name: 'Jan Kowalski', email: 'jan.kowalski@', phone: '+48 600 100 20' }] });
    for (const detail of problems(text)) {
      expect(detail.message).not.toContain('jan.kowalski@"');
      expect(detail.message).not.toContain('100 20"');
    }
  });

  it('points a missing field at the line of its object', () => {
    const text = '{\n  "version": 1,\n  "contracts": [\n    {\n      "number": "HZ-2026-00500"\n    }\n  ]\n}\n';
    const details = problems(text);
    expect(details.map((d) => d.path)).toEqual([
      'contracts[0].customer',
      'contracts[0].package',
      'contracts[0].window',
      'contracts[0].validFrom',
      'contracts[0].validTo',
      'contracts[0].devices',
      'contracts[0].representatives',
    ]);
    expect(new Set(details.map((d) => d.line))).toEqual(new Set([4]));
    expect(details[0]?.message).toBe("missing; expected the customer's name");

    const withDevice = registryText({ devices: [{ serial: 'Q24-1' }] });
    expect(lines(problems(withDevice))).toEqual([
      `${lineOf(withDevice, '"serial"') - 1} contracts[0].devices[0].model: missing; expected the device model, e.g. "Qualstar Q48"`,
    ]);
  });

  it('checks the file envelope: version, exportedAt and a non-empty contracts list', () => {
    expect(lines(problems('{\n  "version": 2,\n  "exportedAt": "yesterday",\n  "contracts": []\n}'))).toEqual([
      '2 version: expected 1 (the only registry format version this gateway reads), got 2',
      '3 exportedAt: expected an ISO-8601 instant such as "2026-11-25T18:00:00Z", got "yesterday"',
      '4 contracts: expected at least one contract; an empty export would make every request unacceptable',
    ]);
    expect(lines(problems('[]'))).toEqual(['1 $: expected an object { "version": 1, "contracts": [...] }, got a list']);
  });

  it('flags a repeated key at the line of the repetition, since JSON would silently keep only the last', () => {
    const text = registryText().replace('"window": "8x5",', '"window": "8x5",\n      "window": "24x7",');
    expect(lines(problems(text))).toEqual([
      `${lineOf(text, '"window": "24x7"')} contracts[0].window: duplicate key "window": JSON keeps only the last one, so the earlier value would be ignored`,
    ]);
  });

  it('gives line and column for JSON syntax errors, one per line, and validates nothing else', () => {
    expect(lines(problems('{\n  "version": 1,\n  "contracts": [\n    { "number": "HZ-1" },\n  ]\n}\n'))).toEqual([
      '5 $: JSON syntax error at line 5, column 3: expected a value (is there a comma too many, or is the file empty?)',
    ]);
    expect(lines(problems('{\n  "version": 1\n  "contracts": [],,\n  "x": [1 2]\n}'))).toEqual([
      '3 $: JSON syntax error at line 3, column 3: expected a comma between items',
      '4 $: JSON syntax error at line 4, column 11: expected a comma between items',
    ]);
    expect(lines(problems('{\n  // exported by the ERP\n  "version": 1\n}'))).toEqual(['2 $: JSON syntax error at line 2, column 3: comments are not allowed in JSON']);
    expect(lines(problems('{\n  "version": 1,\n  "contracts": [\n'))).toEqual(['4 $: JSON syntax error at line 4, column 1: expected ] to close the list']);
    expect(lines(problems(''))).toEqual(['1 $: JSON syntax error at line 1, column 1: expected a value (is there a comma too many, or is the file empty?)']);
  });

  it('accepts a UTF-8 byte order mark and CRLF line ends, as Windows exports have them', () => {
    const text = `\uFEFF${registryText().replace(/\n/g, '\r\n')}`;
    expect(parseRegistryText(text, 'contracts.json').size).toBe(1);
    expect(lines(problems(text.replace('"8x5"', '"8x6"')))).toEqual([`${lineOf(text, '"window"')} contracts[0].window: expected "8x5" or "24x7", got "8x6"`]);
  });

  it('accepts an AHB contract without an onsite field and reads it as null', () => {
    const text = registryText({ package: 'AHB', onsite: undefined });
    expect(text).not.toContain('onsite');
    expect(parseRegistryText(text, 'contracts.json').contracts[0]?.onsite).toBeNull();
  });

  it('refuses to build a registry from contracts that break the cross-record rules', () => {
    const wawel = contract('HZ-2026-00123');
    expect(() => new ContractRegistry([wawel, { ...wawel, number: 'hz2026-00123' }])).toThrow(/duplicate contract number/);
    expect(findContractRuleProblems([wawel, { ...wawel, number: 'XY-2026-00123' }])).toEqual([
      {
        path: ['contracts', 1, 'number'],
        message:
          'keypad digits 202600123 of "XY-2026-00123" are the same as those of contracts[0] "HZ-2026-00123": a caller typing them on a phone could not tell the two apart',
      },
    ]);
  });
});
