/**
 * Reads the contract registry file (JSON exported from the ERP, see docs/contract-registry.md)
 * and turns it into a `ContractRegistry`, or into one IntakeError('REGISTRY_INVALID') that lists
 * every problem with its file, JSON path and line, so whoever fixes the export fixes it in one go.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { getNodePath, type Node } from 'jsonc-parser';
import { ContractRegistry } from '../domain/contracts.js';
import { formatPath, validateRegistryData, type RegistryProblem } from '../domain/registry-rules.js';
import { impossible, IntakeError, type IntakeErrorDetail } from '../errors.js';
import { locateJson, offsetOf } from '../json-text.js';

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
  const { text: source, lines, root, syntaxProblems } = locateJson(text);
  if (syntaxProblems.length > 0 || root === undefined) {
    throw invalid(file, syntaxProblems.map(({ line, message }) => ({ path: '$', file, line, message })));
  }
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
