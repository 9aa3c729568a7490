import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPersonalData } from '../../src/logger.js';

describe('personal data in logs', () => {
  it.each([
    ['reporter jan.kowalski@firma.pl wrote', 'reporter j***@firma.pl wrote'],
    ['call from +48 600 100 200 ended', 'call from ***200 ended'],
    ['caller 0048122525600', 'caller ***600'],
    ['hotline 12 25 25 600', 'hotline ***600'],
  ])('masks %s', (input, expected) => {
    expect(maskPersonalData(input)).toBe(expected);
  });

  it('leaves request numbers, dates and serials readable', () => {
    const text = 'HZ-2026-000123 due 2026-11-30T08:30:00.000Z serial QS24-0001';
    expect(maskPersonalData(text)).toBe(text);
  });

  it('masks fields and messages of every log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info({ from: '+48600100200', reporter: { email: 'anna.nowak@example.pl' } }, 'mail from anna.nowak@example.pl');
    const line = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(JSON.stringify(line)).not.toMatch(/600100200|anna\.nowak/);
    expect(line.msg).toBe('mail from a***@example.pl');
  });
});
