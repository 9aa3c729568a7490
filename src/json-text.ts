/**
 * Where things are in a JSON file a person edits (the contract registry export, config/*.json):
 * syntax mistakes with their line and column in plain words, and the line of a value found by
 * its path, so that a message points at the line to fix rather than at "the file".
 */
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';

/** JSON text parsed strictly for its locations (comments and trailing commas are mistakes). */
export interface LocatedJson {
  /** The text without a byte order mark (Windows editors add one). */
  readonly text: string;
  readonly lines: LineIndex;
  /** The syntax tree; undefined when the text holds no JSON value. */
  readonly root: Node | undefined;
  /** Syntax mistakes, one per line, in file order; empty when the text is valid JSON. */
  readonly syntaxProblems: readonly JsonSyntaxProblem[];
}

export interface JsonSyntaxProblem {
  line: number;
  column: number;
  /** e.g. `JSON syntax error at line 3, column 5: expected a comma between items`. */
  message: string;
}

export function locateJson(text: string): LocatedJson {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = new LineIndex(source);
  const errors: ParseError[] = [];
  const root = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const syntaxProblems = errors.length > 0 || root === undefined ? describeSyntaxErrors(errors, lines) : [];
  return { text: source, lines, root, syntaxProblems };
}

/** Line of the value at `path`, or of its nearest existing ancestor (a missing field points at its object). */
export function lineAt(located: LocatedJson, path: readonly (string | number)[]): number | undefined {
  if (!located.root) return undefined;
  return located.lines.lineOf(offsetOf(located.root, path));
}

/** Offset of the value at `path`, or of its nearest existing ancestor. */
export function offsetOf(root: Node, path: readonly (string | number)[]): number {
  for (let length = path.length; length >= 0; length -= 1) {
    const node = findNodeAtLocation(root, path.slice(0, length));
    if (node !== undefined) return node.offset;
  }
  return root.offset;
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

function describeSyntaxErrors(errors: readonly ParseError[], lines: LineIndex): JsonSyntaxProblem[] {
  if (errors.length === 0) return [{ line: 1, column: 1, message: 'JSON syntax error: the file holds no JSON value' }];
  const problems: JsonSyntaxProblem[] = [];
  let lastLine = 0;
  for (const error of errors) {
    const { line, column } = lines.positionOf(error.offset);
    // After one mistake the tolerant parser often reports knock-on errors at the same spot;
    // one per line keeps independent mistakes and drops the echoes.
    if (line === lastLine) continue;
    lastLine = line;
    const code = printParseErrorCode(error.error);
    problems.push({ line, column, message: `JSON syntax error at line ${line}, column ${column}: ${SYNTAX_WORDS[code] ?? code}` });
  }
  return problems;
}

/** Offset → 1-based line and column, by binary search over line starts. */
export class LineIndex {
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
