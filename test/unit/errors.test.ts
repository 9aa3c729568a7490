import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, IntakeError } from '../../src/errors.js';

describe('error codes', () => {
  const documented = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it.each(Object.entries(ERROR_CODES))('%s is documented in docs/errors.md with its status', (code, spec) => {
    const row = documented.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${spec.status} |`);
    expect(row).toContain(`| ${spec.retryable ? 'yes' : 'no'} |`);
  });

  it('an IntakeError carries its code, status and whether a retry can help', () => {
    const error = new IntakeError('REDIS_UNAVAILABLE', 'Redis is down; try again.');
    expect(error.name).toBe('IntakeError');
    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'REDIS_UNAVAILABLE', message: 'Redis is down; try again.', retryable: true });
  });
});
