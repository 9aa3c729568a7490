/**
 * The layers of the settings as JSON: reading a file (with the line of each key, for messages),
 * merging one layer over another while remembering which layer set each leaf, and wording
 * a problem so that whoever fixes it knows the file, line and the key a typo meant.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { IntakeError, type IntakeErrorDetail } from './errors.js';
import { locateJson, type LocatedJson } from './json-text.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function settingsError(details: IntakeErrorDetail[]): IntakeError {
  return new IntakeError('SETTINGS_INVALID', 'The settings are invalid; the gateway did not start. Fix:', { details });
}

export function readJsonFile(file: string): { value: JsonObject; located: LocatedJson } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    throw settingsError([{ path: '(file)', file: displayPath(file), message: reason }]);
  }
  const located = locateJson(text);
  if (located.syntaxProblems.length > 0) {
    throw settingsError(located.syntaxProblems.map(({ line, message }) => ({ path: '(file)', file: displayPath(file), line, message })));
  }
  let value: unknown;
  try {
    // The tolerant parser only locates; what is loaded is what strict JSON.parse reads.
    value = JSON.parse(located.text);
  } catch (error) {
    throw settingsError([{ path: '(file)', file: displayPath(file), message: `not valid JSON: ${(error as Error).message}` }]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw settingsError([{ path: '(root)', file: displayPath(file), line: 1, message: 'expected a JSON object' }]);
  }
  return { value: value as JsonObject, located };
}

export function mergeInto(target: JsonObject, layer: JsonObject, prefix: string, source: string, provenance: Map<string, string>): void {
  for (const [key, value] of Object.entries(layer)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const fieldPath = prefix ? `${prefix}.${key}` : key;
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) {
      mergeInto(existing, value, fieldPath, source, provenance);
    } else {
      target[key] = value;
      provenance.set(fieldPath, source);
    }
  }
}

export function setPath(target: JsonObject, fieldPath: string, value: Json): void {
  const keys = fieldPath.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as JsonObject;
  }
  node[keys[keys.length - 1] as string] = value;
}

export function sourceOf(fieldPath: string, provenance: Map<string, string>, sources: readonly string[]): string {
  for (let p = fieldPath; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const source = provenance.get(p);
    if (source) return source;
  }
  return sources.map(displayPath).join(' + ');
}

/** The keys the defaults have at `at` (every setting is in default.json), to suggest the one meant. */
export function knownKeys(defaults: JsonObject, at: readonly PropertyKey[]): string[] {
  let node: Json | undefined = defaults;
  for (const key of at) node = isPlainObject(node) ? node[String(key)] : undefined;
  return isPlainObject(node) ? Object.keys(node) : [];
}

export function unknownSetting(key: string, known: readonly string[]): string {
  const closest = known
    .map((candidate) => ({ candidate, distance: editDistance(key.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ distance }) => distance <= Math.max(1, Math.floor(key.length / 3)))
    .sort((a, b) => a.distance - b.distance)[0];
  return `unknown setting "${key}"${closest ? ` (did you mean "${closest.candidate}"?)` : ''}`;
}

/** Edit distance counting a swap of neighbours as one edit ("prot" → "port"); setting names are short. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] as number;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown setting(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `missing; ${issue.message}`;
  return issue.message;
}

export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}

export function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
