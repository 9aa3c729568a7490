import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTwiml } from '../../src/channels/phone/twiml-reader.js';
import { ERROR_CODES, impossible, ImpossibleState, INTERNAL_FAILURES, InternalFailure, IntakeError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const documented = readFileSync(path.join(ROOT, 'docs/errors.md'), 'utf8');

/** The rows of the table under `heading` in docs/errors.md, by their first (backticked) cell. */
function tableRows(heading: string): Map<string, string[]> {
  const lines = documented.split('\n');
  const start = lines.indexOf(heading);
  const end = lines.findIndex((line, at) => at > start && line.startsWith('#'));
  const rows = new Map<string, string[]>();
  for (const line of start === -1 ? [] : lines.slice(start + 1, end === -1 ? undefined : end)) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    const name = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
    if (name) rows.set(name, cells);
  }
  return rows;
}

const codeRows = tableRows('# Error codes');
const internalRows = tableRows('## Internal failures');

/** Every .ts file under src/ (the ops page's browser script is not the gateway's: its errors stay in the browser). */
function sourceFiles(dir = path.join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const ERROR_NAME = /(?:Error|Failure)$/;
const known = (name: string): boolean => name === 'IntakeError' || Object.hasOwn(INTERNAL_FAILURES, name);

/**
 * What in one source file escapes the two lists: an error class that is not an internal
 * failure (or one not built on InternalFailure, which reads `retryable` from the list), and an
 * error made of a class in neither list — `new Error(...)`, `new RangeError(...)`, `Error(...)`.
 */
function errorProblems(file: string, text: string): string[] {
  const problems: string[] = [];
  const inErrorsTs = file === 'src/errors.ts';
  for (const [, name, base] of text.matchAll(/\bclass\s+(\w+)\s+extends\s+(\w+)/g)) {
    if (!ERROR_NAME.test(base!) && base !== 'ImpossibleState') continue;
    if (inErrorsTs && ['IntakeError', 'InternalFailure', 'ImpossibleState'].includes(name!)) continue;
    if (!Object.hasOwn(INTERNAL_FAILURES, name!)) problems.push(`${file}: class ${name} extends ${base} is neither an error code nor listed in INTERNAL_FAILURES`);
    else if (base !== 'InternalFailure') problems.push(`${file}: class ${name} extends ${base}, not InternalFailure`);
  }
  for (const [, name] of text.matchAll(/(?:\bnew\s+|\bthrow\s+)([A-Z]\w*)\s*\(/g)) {
    if (ERROR_NAME.test(name!) && !known(name!)) {
      problems.push(`${file}: ${name}(...) is neither an IntakeError with a code nor a listed internal failure (an assertion is impossible(...))`);
    }
  }
  return problems;
}

describe('error codes', () => {
  it.each(Object.entries(ERROR_CODES))('%s is documented in docs/errors.md with its status', (code, spec) => {
    const row = documented.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row).toContain(`| ${spec.status} |`);
    expect(row).toContain(`| ${spec.retryable ? 'yes' : 'no'} |`);
  });

  it('docs/errors.md lists no code that src/errors.ts does not have', () => {
    expect(codeRows.size).toBeGreaterThan(0);
    expect([...codeRows.keys()].filter((code) => !Object.hasOwn(ERROR_CODES, code))).toEqual([]);
  });

  it('an IntakeError carries its code, status and whether a retry can help', () => {
    const error = new IntakeError('REDIS_UNAVAILABLE', 'Redis is down; try again.');
    expect(error.name).toBe('IntakeError');
    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'REDIS_UNAVAILABLE', message: 'Redis is down; try again.', retryable: true });
  });

  it('a reply of the IVR that is not TwiML is TWIML_INVALID', () => {
    expect(() => readTwiml('<Response><Say>x</Gather></Response>')).toThrow(expect.objectContaining({ code: 'TWIML_INVALID', status: 502 }));
    expect(() => readTwiml('<html></html>')).toThrow(expect.objectContaining({ code: 'TWIML_INVALID' }));
  });
});

describe('internal failures', () => {
  it.each(Object.entries(INTERNAL_FAILURES))('%s is documented under "Internal failures" with where it is raised and whether a retry helps', (name, spec) => {
    const cells = internalRows.get(name);
    expect(cells, `docs/errors.md has no internal-failure row for ${name}`).toBeDefined();
    expect(cells?.[1]).toBe(`\`${spec.raisedIn}\``);
    expect(cells?.[2]).toBe(spec.retryable ? 'yes' : 'no');
    expect(cells?.[3]).toBe(spec.meaning);
  });

  it('docs/errors.md lists no internal failure that src/errors.ts does not have, and none that also has a code', () => {
    expect([...internalRows.keys()].filter((name) => !Object.hasOwn(INTERNAL_FAILURES, name))).toEqual([]);
    expect([...internalRows.keys()].filter((name) => codeRows.has(name))).toEqual([]);
  });

  it.each(Object.entries(INTERNAL_FAILURES))('%s is made where the list says', (name, spec) => {
    const text = readFileSync(path.join(ROOT, spec.raisedIn), 'utf8');
    // BullMQ's class is only thrown by us; our own classes are declared there.
    const made = name === 'UnrecoverableError' ? new RegExp(`\\bnew ${name}\\(`) : new RegExp(`\\bclass ${name} extends InternalFailure\\b`);
    expect(text).toMatch(made);
  });

  it('an assertion of an impossible state says so and that no retry helps', () => {
    const thrown = (() => {
      try {
        impossible('INBOX not open');
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(ImpossibleState);
    expect(thrown).toBeInstanceOf(InternalFailure);
    expect(thrown).toMatchObject({ name: 'ImpossibleState', message: 'INBOX not open', retryable: false });
  });
});

describe('errors thrown in src/', () => {
  it('finds a raw Error, a built-in error and an unlisted error class, and lets codes and listed failures pass', () => {
    expect(errorProblems('src/x.ts', "if (!ok) throw new Error('broken');")).toHaveLength(1);
    expect(errorProblems('src/x.ts', 'throw Error(`broken`);')).toHaveLength(1);
    expect(errorProblems('src/x.ts', 'reject(new RangeError(`no`));')).toHaveLength(1);
    expect(errorProblems('src/x.ts', 'export class DiskFull extends Error {}\nexport class QuotaError extends TypeError {}')).toHaveLength(2);
    expect(errorProblems('src/x.ts', 'class MailMoveError extends Error {}')).toEqual(['src/x.ts: class MailMoveError extends Error, not InternalFailure']);
    expect(errorProblems('src/x.ts', "throw new IntakeError('USAGE', 'x'); throw new MailMoveError([1], 'P'); impossible('x'); new Map(); new Date();")).toEqual([]);
  });

  it('every error in src/ has a code or is a listed internal failure', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(50);
    const problems = files.flatMap((file) => errorProblems(path.relative(ROOT, file).split(path.sep).join('/'), readFileSync(file, 'utf8')));
    expect(problems).toEqual([]);
  });
});
