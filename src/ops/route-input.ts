/**
 * Input parsing shared by the engineer API and the ops page: a request number from the URL
 * and a zod-checked body or query, each failing as INPUT_INVALID (400) with field details.
 */
import type { z } from 'zod';
import { parseRequestNumber } from '../domain/request-number.js';
import { IntakeError } from '../errors.js';

/** `hz-2026-000123` → `HZ-2026-000123`; anything else is a 400 naming the field. */
export function requestNumberParam(text: string | undefined): string {
  const number = parseRequestNumber(text ?? '');
  if (number === null) {
    throw new IntakeError('INPUT_INVALID', 'number must be a request number like HZ-2026-000123.', { details: [{ path: 'number', message: 'expected HZ-YYYY-NNNNNN' }] });
  }
  return number;
}

/** Parses with a zod schema; every field's problem at once. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new IntakeError('INPUT_INVALID', 'The request is malformed; see details.', {
    details: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message })),
  });
}
