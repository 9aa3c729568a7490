/**
 * The request list's rules, pure: which requests a query keeps (status, owner, the views
 * "breached", "due within 30 min", "escalated", "waiting for data", "mine"), in which order
 * (urgency by default: requests without a clock first, longest waiting first, then by
 * deadline; or any column), and keyset paging — a cursor names the last row's sort key, so a
 * page never repeats or skips a row when requests arrive or leave meanwhile, and `total`
 * always says how many there are (no silent cut).
 */
import { z } from 'zod';
import type { ServiceCalendar } from '../domain/calendar.js';
import { CHANNELS, REQUEST_STATUSES, type ServiceRequest } from '../domain/request.js';
import { remainingClockTime, runningClock } from '../domain/running-clock.js';
import { WAITING_STATUSES } from '../domain/workbench-rules.js';
import { IntakeError } from '../errors.js';

/** The slim copy of a request that the list filters and sorts on (no texts, no raw payload). */
export type RequestRow = Pick<
  ServiceRequest,
  | 'number'
  | 'status'
  | 'channel'
  | 'escalated'
  | 'sentAt'
  | 'contractNumber'
  | 'serialNumber'
  | 'customer'
  | 'device'
  | 'reporter'
  | 'subject'
  | 'owner'
  | 'window'
  | 'responseDeadline'
  | 'firstResponse'
  | 'deliveryDeadline'
  | 'returnDeadline'
  | 'resolution'
  | 'updatedAt'
  | 'version'
>;

export function rowOf(request: ServiceRequest): RequestRow {
  const strip = (deadline: ServiceRequest['responseDeadline']) => (deadline ? { at: deadline.at, trace: '' } : undefined);
  const row: RequestRow = {
    number: request.number,
    status: request.status,
    channel: request.channel,
    escalated: request.escalated,
    sentAt: request.sentAt,
    reporter: request.reporter,
    updatedAt: request.updatedAt,
    version: request.version,
  };
  const optional = {
    contractNumber: request.contractNumber,
    serialNumber: request.serialNumber,
    customer: request.customer,
    device: request.device,
    subject: request.subject?.slice(0, 200),
    owner: request.owner,
    window: request.window,
    responseDeadline: strip(request.responseDeadline),
    firstResponse: request.firstResponse,
    deliveryDeadline: strip(request.deliveryDeadline),
    returnDeadline: strip(request.returnDeadline),
    resolution: request.resolution,
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(row, { [key]: value });
  return row;
}

export const LIST_VIEWS = ['breached', 'due-soon', 'escalated', 'waiting', 'mine', 'unowned'] as const;
export type ListView = (typeof LIST_VIEWS)[number];
export const SORT_COLUMNS = ['urgency', 'number', 'status', 'channel', 'customer', 'contract', 'serial', 'model', 'reporter', 'subject', 'owner', 'sent', 'deadline', 'updated'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

/** "Due within 30 min" counts window time, as the countdowns and warnings do. */
export const DUE_SOON_MS = 30 * 60_000;

const commaList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')).filter((item) => item !== ''))
    .pipe(z.array(z.enum(values)));

/** The list's query string (engineer API and the ops page's JSON); `maxLimit` is the door's. */
export function listQuerySchema(maxLimit: number, defaultLimit: number) {
  return z
    .object({
      q: z.string().max(200).optional(),
      /** A status, `open` (every status but closed), `closed`, or `all`; default open, all with `q`. */
      status: z.enum([...REQUEST_STATUSES, 'open', 'all']).optional(),
      channel: z.enum(CHANNELS).optional(),
      contract: z.string().max(100).optional(),
      /** `me`, `none`, or an engineer's login. */
      owner: z.string().min(1).max(200).optional(),
      view: commaList(LIST_VIEWS).optional(),
      sort: z.enum(SORT_COLUMNS).default('urgency'),
      order: z.enum(['asc', 'desc']).default('asc'),
      cursor: z.string().max(2000).optional(),
      limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
    })
    .strict();
}
export type ListQuery = z.output<ReturnType<typeof listQuerySchema>>;

type SortKey = [number, number | string, string];

export interface ListContext {
  nowMs: number;
  calendar: ServiceCalendar;
  /** The login of who asks (for `owner=me` and the view `mine`). */
  me: string;
  /** The numbers the search matched, when `q` was given. */
  matched?: ReadonlySet<string>;
}

export interface ListPage {
  numbers: string[];
  total: number;
  nextCursor: string | null;
}

/** Filters, sorts and pages the rows. */
export function listPage(rows: Iterable<RequestRow>, query: ListQuery, context: ListContext): ListPage {
  const status = query.status ?? (query.q ? 'all' : 'open');
  const views = new Set(query.view ?? []);
  const owner = query.owner === 'me' || views.has('mine') ? context.me : query.owner === 'none' || views.has('unowned') ? null : query.owner;
  const kept: Array<{ key: SortKey; number: string }> = [];
  for (const row of rows) {
    if (context.matched && !context.matched.has(row.number)) continue;
    if (status === 'open' ? row.status === 'closed' : status !== 'all' && row.status !== status) continue;
    if (query.channel && row.channel !== query.channel) continue;
    if (query.contract && row.contractNumber !== query.contract) continue;
    if (owner === null ? row.owner !== undefined : owner !== undefined && row.owner !== owner) continue;
    if (views.has('escalated') && !row.escalated) continue;
    if (views.has('waiting') && !WAITING_STATUSES.includes(row.status)) continue;
    if (views.has('breached') || views.has('due-soon')) {
      const clock = runningClock(row);
      if (!clock) continue;
      const remaining = remainingClockTime(clock, context.nowMs, context.calendar);
      if (views.has('breached') && remaining >= 0) continue;
      if (views.has('due-soon') && (remaining < 0 || remaining > DUE_SOON_MS)) continue;
    }
    kept.push({ key: sortKey(row, query.sort), number: row.number });
  }
  const direction = query.order === 'desc' ? -1 : 1;
  const compare = (a: SortKey, b: SortKey): number => direction * compareKeys(a, b);
  kept.sort((a, b) => compare(a.key, b.key));
  let start = 0;
  if (query.cursor) {
    const after = decodeCursor(query.cursor, query.sort);
    // Binary search for the first row past the cursor's key.
    let low = 0;
    let high = kept.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (compare((kept[middle] as { key: SortKey }).key, after) <= 0) low = middle + 1;
      else high = middle;
    }
    start = low;
  }
  const page = kept.slice(start, start + query.limit);
  const last = page.at(-1);
  const more = start + query.limit < kept.length;
  return { numbers: page.map((row) => row.number), total: kept.length, nextCursor: more && last ? encodeCursor(query.sort, last.key) : null };
}

/** The list's groups in urgency order: waiting for data or a person, a running clock, open without one, closed. */
export type ListGroup = 'waiting' | 'clock' | 'open' | 'closed';

export function listGroupOf(row: Pick<RequestRow, 'status' | 'window' | 'responseDeadline' | 'firstResponse' | 'deliveryDeadline' | 'returnDeadline'>): ListGroup {
  if (WAITING_STATUSES.includes(row.status)) return 'waiting';
  if (runningClock(row)) return 'clock';
  return row.status === 'closed' ? 'closed' : 'open';
}

/**
 * The sort key: a group, a value and the number (ties broken by number, so a cursor is exact).
 * Urgency: 0 waiting for data or a person (longest waiting first), 1 a running clock (soonest
 * deadline first), 2 open without a clock (contacted), 3 closed (latest first).
 */
function sortKey(row: RequestRow, sort: SortColumn): SortKey {
  const text = (value: string | undefined): [number, string] => (value === undefined || value === '' ? [1, ''] : [0, value.toLocaleLowerCase('pl')]);
  const sentMs = Date.parse(row.sentAt);
  switch (sort) {
    case 'urgency': {
      if (WAITING_STATUSES.includes(row.status)) return [0, sentMs, row.number];
      const clock = runningClock(row);
      if (clock) return [1, clock.dueMs, row.number];
      if (row.status !== 'closed') return [2, sentMs, row.number];
      return [3, -Date.parse(row.resolution?.at ?? row.updatedAt), row.number];
    }
    case 'number':
      return [0, row.number, row.number];
    case 'status':
      return [REQUEST_STATUSES.indexOf(row.status), 0, row.number];
    case 'channel':
      return [0, row.channel, row.number];
    case 'customer':
      return [...text(row.customer), row.number];
    case 'contract':
      return [...text(row.contractNumber), row.number];
    case 'serial':
      return [...text(row.device?.serial ?? row.serialNumber), row.number];
    case 'model':
      return [...text(row.device?.model), row.number];
    case 'reporter':
      return [...text(row.reporter.name ?? row.reporter.email ?? row.reporter.phone), row.number];
    case 'subject':
      return [...text(row.subject), row.number];
    case 'owner':
      return [...text(row.owner), row.number];
    case 'sent':
      return [0, sentMs, row.number];
    case 'deadline': {
      const clock = runningClock(row);
      return clock ? [0, clock.dueMs, row.number] : [1, sentMs, row.number];
    }
    case 'updated':
      return [0, Date.parse(row.updatedAt), row.number];
  }
}

function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < 3; i += 1) {
    const x = a[i] as number | string;
    const y = b[i] as number | string;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

function encodeCursor(sort: SortColumn, key: SortKey): string {
  return Buffer.from(JSON.stringify([sort, ...key])).toString('base64url');
}

/** A cursor of another sort order, or one that does not decode, is a 400 naming `cursor`. */
function decodeCursor(cursor: string, sort: SortColumn): SortKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 4 &&
      parsed[0] === sort &&
      typeof parsed[1] === 'number' &&
      (typeof parsed[2] === 'number' || typeof parsed[2] === 'string') &&
      typeof parsed[3] === 'string'
    ) {
      return [parsed[1], parsed[2], parsed[3]];
    }
  } catch {
    // Falls through to the answer below.
  }
  throw new IntakeError('INPUT_INVALID', 'cursor is not one this list gave (or belongs to another sort order); start again without it.', { details: [{ path: 'cursor', message: 'unknown cursor' }] });
}
