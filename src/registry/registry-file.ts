/**
 * Reads the contract registry file (JSON exported from the ERP, see docs/contract-registry.md)
 * and turns it into a `ContractRegistry`, or into one IntakeError('REGISTRY_INVALID') that lists
 * every problem with its file, JSON path and line, so whoever fixes the export fixes it in one go.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { findNodeAtLocation, getNodePath, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { ContractRegistry, formatPath, validateRegistryData, type RegistryProblem } from '../domain/contracts.js';
import { impossible, IntakeError, type IntakeErrorDetail } from '../errors.js';

/** The bytes of a registry file, decoded, with a fingerprint to tell whether it changed. */
export interface RegistrySource {
  readonly file: string;
  readonly text: string;
  /** sha256 of the bytes, hex. */
  readonly sha256: string;
}

/** Reads and validates `file`; throws IntakeError('REGISTRY_INVALID') with every problem found. */
export function readRegistryFile(file: string): ContractRegistry {
  return parseRegistryText(readRegistrySourceSync(file).text, file);
}

/** Reads `file` without validating it; throws IntakeError('REGISTRY_INVALID') when it cannot be read or is not UTF-8. */
export async function readRegistrySource(file: string): Promise<RegistrySource> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw unreadable(file, error);
  }
  return decode(bytes, file);
}

/** Synchronous `readRegistrySource`, for boot and the CLI. */
export function readRegistrySourceSync(file: string): RegistrySource {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw unreadable(file, error);
  }
  return decode(bytes, file);
}

/**
 * Validates registry JSON text; `file` only names it in messages. Syntax errors come with line
 * and column; otherwise every schema and rule problem with its JSON path and line.
 */
export function parseRegistryText(text: string, file: string): ContractRegistry {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = new LineIndex(source);
  const errors: ParseError[] = [];
  const root = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });

  if (errors.length > 0 || root === undefined) throw invalid(file, syntaxDetails(errors, lines, file));
  let json: unknown;
  try {
    // The tolerant parser only maps paths to lines; what gets loaded is what strict JSON.parse reads.
    json = JSON.parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(file, [{ path: '$', file, message: `JSON syntax error: ${reason}` }]);
  }

  const problems: LocatedProblem[] = [...findDuplicateKeys(root)];
  const validation = validateRegistryData(json);
  if (!validation.ok) problems.push(...validation.problems);
  if (problems.length > 0) {
    const details = problems.map((problem) => ({
      path: formatPath(problem.path),
      message: problem.message,
      file,
      line: lines.lineOf(problem.offset ?? offsetOf(root, problem.path)),
    }));
    // Stable sort: file order, and within a line the order the checks found them.
    details.sort((a, b) => a.line - b.line);
    throw invalid(file, details);
  }
  if (!validation.ok) impossible('the registry failed validation without naming a problem');
  return new ContractRegistry(validation.data.contracts, { exportedAt: validation.data.exportedAt });
}

const NOT_UTF8 = 'the file is not UTF-8 (an export in Windows-1250 or ISO-8859-2 would garble Polish letters): save it as UTF-8';

function decode(bytes: Buffer, file: string): RegistrySource {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw invalid(
      file,
      [{ path: '$', file, message: NOT_UTF8 }],
      error,
    );
  }
  return { file, text, sha256: createHash('sha256').update(bytes).digest('hex') };
}

function unreadable(file: string, error: unknown): IntakeError {
  const reason = error instanceof Error ? error.message : String(error);
  return new IntakeError('REGISTRY_INVALID', `Cannot read the contract registry ${file}: ${reason}`, {
    details: [{ path: '$', file, message: `cannot read the file: ${reason}` }],
    cause: error,
  });
}

function invalid(file: string, details: IntakeErrorDetail[], cause?: unknown): IntakeError {
  const first = details[0];
  const where = first?.line === undefined ? '' : ` at line ${first.line}`;
  const summary = first === undefined ? '' : `; the first${where}: ${first.path}: ${first.message}`;
  const count = details.length === 1 ? '1 problem' : `${details.length} problems`;
  const message = `Contract registry ${file} is invalid (${count}${summary}). Fix the file; nothing in it was loaded.`;
  return new IntakeError('REGISTRY_INVALID', message, { details, cause });
}

const SYNTAX_WORDS: Record<string, string> = {
  InvalidSymbol: 'unexpected character (strings and keys need double quotes; no NaN or undefined)',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a key in double quotes (is there a comma too many?)',
  ValueExpected: 'expected a value (is there a comma too many, or is the file empty?)',
  ColonExpected: 'expected a colon after the key',
  CommaExpected: 'expected a comma between items',
  CloseBraceExpected: 'expected } to close the object',
  CloseBracketExpected: 'expected ] to close the list',
  EndOfFileExpected: 'expected the end of the file after the top-level object',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'malformed number',
  InvalidUnicode: 'malformed \\u escape',
  InvalidEscapeCharacter: 'unknown escape after a backslash',
  InvalidCharacter: 'control character inside a string (escape it, e.g. \\n)',
};

function syntaxDetails(errors: readonly ParseError[], lines: LineIndex, file: string): IntakeErrorDetail[] {
  if (errors.length === 0) return [{ path: '$', file, line: 1, message: 'JSON syntax error: the file holds no JSON value' }];
  const details: IntakeErrorDetail[] = [];
  let lastLine = 0;
  for (const error of errors) {
    const { line, column } = lines.positionOf(error.offset);
    // After one mistake the tolerant parser often reports knock-on errors at the same spot;
    // one per line keeps independent mistakes and drops the echoes.
    if (line === lastLine) continue;
    lastLine = line;
    const code = printParseErrorCode(error.error);
    const words = SYNTAX_WORDS[code] ?? code;
    details.push({ path: '$', file, line, message: `JSON syntax error at line ${line}, column ${column}: ${words}` });
  }
  return details;
}

/** A problem that may already know where it is (a repeated key cannot be found again by path). */
type LocatedProblem = RegistryProblem & { readonly offset?: number };

/** JSON keeps only the last of repeated keys; a silently dropped field would mislead whoever edits the export. */
function findDuplicateKeys(node: Node): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  if (node.type === 'object') {
    const seen = new Set<string>();
    for (const property of node.children ?? []) {
      const key = property.children?.[0]?.value;
      if (typeof key !== 'string') continue;
      if (seen.has(key)) {
        problems.push({
          path: getNodePath(property.children?.[1] ?? property),
          offset: property.offset,
          message: `duplicate key "${key}": JSON keeps only the last one, so the earlier value would be ignored`,
        });
      }
      seen.add(key);
    }
  }
  for (const child of node.children ?? []) problems.push(...findDuplicateKeys(child));
  return problems;
}

/** Offset of the value at `path`, or of its nearest existing ancestor (a missing field points at its object). */
function offsetOf(root: Node, path: readonly (string | number)[]): number {
  for (let length = path.length; length >= 0; length -= 1) {
    const node = findNodeAtLocation(root, path.slice(0, length));
    if (node !== undefined) return node.offset;
  }
  return root.offset;
}

/** Offset → 1-based line and column, by binary search over line starts. */
class LineIndex {
  readonly #starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) === 10) this.#starts.push(i + 1);
  }

  lineOf(offset: number): number {
    return this.positionOf(offset).line;
  }

  positionOf(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.#starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (this.#starts[low] ?? 0) + 1 };
  }
}
