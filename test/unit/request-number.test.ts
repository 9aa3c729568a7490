/**
 * The request number, spelled in one place: formatted, parsed back from any case, found in
 * text, read from keypad digits, and handed to the allocation script as a template.
 */
import { describe, expect, it } from 'vitest';
import {
  formatRequestNumber,
  parseRequestNumber,
  REQUEST_NUMBER,
  REQUEST_NUMBER_IN_TEXT,
  requestNumberFromKeypad,
  requestNumbersIn,
  requestNumberTemplate,
} from '../../src/domain/request-number.js';

describe('request numbers', () => {
  it('the 123rd request of 2026 is HZ-2026-000123', () => {
    expect(formatRequestNumber(2026, 123)).toBe('HZ-2026-000123');
    expect(REQUEST_NUMBER.test(formatRequestNumber(2026, 999_999))).toBe(true);
  });

  it('the allocation script gets the year as a printf template with the same padding', () => {
    expect(requestNumberTemplate(2026)).toBe('HZ-2026-%06d');
  });

  it('reads a whole number typed in any case back in capitals, and nothing else', () => {
    expect(parseRequestNumber('hz-2026-000123')).toBe('HZ-2026-000123');
    expect(parseRequestNumber('HZ-2026-000123')).toBe('HZ-2026-000123');
    for (const text of ['HZ-2026-00123', 'HZ-2026-0001234', ' HZ-2026-000123', 'HZ-2026-000123 ', 'XHZ-2026-000123', 'HZ2026000123', '']) {
      expect(parseRequestNumber(text), JSON.stringify(text)).toBeNull();
    }
  });

  it('finds the numbers in a subject once each, in order, and not inside longer words', () => {
    expect(requestNumbersIn('Re: [hz-2026-000124] i HZ-2026-000123, HZ-2026-000124')).toEqual(['HZ-2026-000124', 'HZ-2026-000123']);
    expect(requestNumbersIn('XHZ-2026-000123 HZ-2026-0001234 umowa HZ-2026-00123')).toEqual([]);
    expect('Re: HZ-2026-000123 [HZ-2026-000124]'.replace(REQUEST_NUMBER_IN_TEXT, '#')).toBe('Re: # [#]');
  });

  it('reads a number typed on a keypad as ten digits of a year 20xx', () => {
    expect(requestNumberFromKeypad('2026000123')).toBe('HZ-2026-000123');
    for (const digits of ['1999000123', '202600012', '20260001234', '', '20260001a3']) {
      expect(requestNumberFromKeypad(digits), digits).toBeNull();
    }
  });
});
