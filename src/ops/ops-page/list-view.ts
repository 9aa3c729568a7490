/**
 * The ops list's views over list rows: the engineer's filters, sort by any column, and keyset
 * pages. Requests waiting for data or for a reporter's confirmation have no clock; sorted by a
 * deadline they would sink below every running clock and be forgotten, so they form their own
 * group at the top whatever the sort. Pages are keyset pages (the cursor is the last row's sort
 * key, not an offset), so a request filed while the engineer reads page one neither repeats
 * nor hides a row on page two; `total` tells how many match, so nothing is cut silently. Pure.
 */
import { z } from 'zod';
import { CHANNELS, REQUEST_STATUSES } from '../../domain/request.js';
import { IntakeError } from '../../errors.js';
import type { RequestRow } from './request-view.js';

/** The engineer's views: one at a time, beside the status/channel/contract selects. */
export const LIST_FILTERS = ['breached', 'due-soon', 'escalated', 'waiting', 'mine', 'unowned'] as const;
export type ListFilter = (typeof LIST_FILTERS)[number];

/** Every column of the list can order it; `due` is the running deadline (the default). */
export const SORT_COLUMNS = ['urgency', 'number', 'status', 'channel', 'customer', 'contract', 'model', 'subject', 'reporter', 'owner', 'sent'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

/** "Due within 30 min": the fixed view, apart from the configurable warning colours. */
const DUE_SOON_MS = 30 * 60_000;

export const PAGE_SIZE_DEFAULT = 500;
export const PAGE_SIZE_MAX = 10_000;

export const pageListQuery = z
  .object({
    view: z.enum(LIST_FILTERS).optional(),
    status: z.enum([...REQUEST_STATUSES, 'open', 'all']).optional(),
    channel: z.enum(CHANNELS).optional(),
    contract: z.string().max(100).optional(),
    q: z.string().max(200).optional(),
    sort: z.enum(SORT_COLUMNS).default('urgency'),
    order: z.enum(['asc', 'desc']).default('asc'),
    cursor: z.string().max(2000).optional(),
    limit: z.coerce.number().int().min(1).max(PAGE_SIZE_MAX).default(PAGE_SIZE_DEFAULT),
  })
  .strict();
export type PageListQuery = z.output<typeof pageListQuery>;

export interface RowPage {
  rows: RequestRow[];
  /** Rows matching the filters, on every page together. */
  total: number;
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

type SortValue = string | number | null;
/** [group, value, number]: the group first, then the column, then the number as a tiebreak. */
type SortKey = [number, SortValue, string];

/** Waiting-for-data rows first, then the rest. */
function groupRank(row: RequestRow): number {
  return row.waiting ? 0 : 1;
}

function valueOf(row: RequestRow, column: SortColumn): SortValue {
  switch (column) {
    case 'urgency':
      // Waiting rows have no deadline: the longest waiting comes first.
      if (row.waiting) return Date.parse(row.sentAt);
      return row.countdown ? Date.parse(row.countdown.dueAt) : null;
    case 'sent':
      return Date.parse(row.sentAt);
    case 'contract':
      return row.contractNumber;
    case 'model':
      return row.device === null ? null : row.device.toLocaleLowerCase('pl');
    default:
      return row[column] === null ? null : String(row[column]).toLocaleLowerCase('pl');
  }
}

function keyOf(row: RequestRow, column: SortColumn): SortKey {
  return [groupRank(row), valueOf(row, column), row.number];
}

const collator = new Intl.Collator('pl', { sensitivity: 'base', numeric: true });

/** Empty values last in either direction: a blank customer is never the "first" one. */
function compareKeys(a: SortKey, b: SortKey, descending: boolean): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  const [x, y] = [a[1], b[1]];
  if (x === null || y === null) {
    if (x !== y) return x === null ? 1 : -1;
  } else if (x !== y) {
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
    if (order !== 0) return descending ? -order : order;
  }
  return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
}

function matchesFilter(row: RequestRow, filter: ListFilter | undefined, viewer: string): boolean {
  const remaining = row.countdown ? row.countdown.remainingMs : null;
  switch (filter) {
    case undefined:
      return true;
    case 'breached':
      return remaining !== null && remaining <= 0;
    case 'due-soon':
      return remaining !== null && remaining > 0 && remaining <= DUE_SOON_MS;
    case 'escalated':
      return row.escalated && row.status !== 'closed';
    case 'waiting':
      return row.waiting;
    case 'mine':
      return row.owner === viewer && row.status !== 'closed';
    case 'unowned':
      return row.owner === null && row.status !== 'closed';
  }
}

function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): SortKey {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === 3 &&
      typeof key[0] === 'number' &&
      (key[1] === null || typeof key[1] === 'string' || typeof key[1] === 'number') &&
      typeof key[2] === 'string'
    ) {
      return key as SortKey;
    }
  } catch {
    // reported below
  }
  throw new IntakeError('INPUT_INVALID', 'cursor is not one this list gave out; start again without it.', { details: [{ path: 'cursor', message: 'unknown cursor' }] });
}

/**
 * One page of the rows matching the query, for the engineer `viewer` (their login: "mine").
 * `rows` are every candidate row (open requests, or closed ones for the closed view).
 */
export function selectRows(rows: readonly RequestRow[], query: PageListQuery, viewer: string): RowPage {
  const contract = query.contract?.trim().toUpperCase();
  const matching = rows.filter(
    (row) =>
      matchesFilter(row, query.view, viewer) &&
      (!query.status || query.status === 'open' ? row.status !== 'closed' : query.status === 'all' || row.status === query.status) &&
      (!query.channel || row.channel === query.channel) &&
      (!contract || (row.contractNumber ?? '').toUpperCase().includes(contract)),
  );
  const descending = query.order === 'desc';
  const keyed = matching.map((row) => ({ row, key: keyOf(row, query.sort) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key, descending));
  let start = 0;
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    start = keyed.findIndex((entry) => compareKeys(entry.key, after, descending) > 0);
    if (start === -1) start = keyed.length;
  }
  const page = keyed.slice(start, start + query.limit);
  const last = page.at(-1);
  return {
    rows: page.map((entry) => entry.row),
    total: matching.length,
    nextCursor: last && start + page.length < keyed.length ? encodeCursor(last.key) : null,
  };
}
