/**
 * Search and the list's working set, per process: every stored request (open and closed) as a
 * slim row plus a MiniSearch full-text index, loaded from the store at start and kept in step
 * with the change feed the ops page already listens to (the store PUBLISHes every create and
 * update). Why in-process rather than Redis structures: MiniSearch gives prefix matching and
 * our own term folding (Polish diacritics, "ł") over ten fields without a Redis module, and a
 * query is a few milliseconds of this process's CPU instead of round trips — at 20,000 requests
 * the index takes tens of megabytes (bench/search.bench.ts).
 *
 * A change made through this process is applied at once (`apply`), so the engineer who acted
 * sees it in the next list; a change made by another process arrives with the feed, within
 * milliseconds. Rows hold no texts: a page's requests are read fresh from the store.
 */
import MiniSearch from 'minisearch';
import type { ContractRegistry } from '../domain/contracts.js';
import { normalizeEmail, normalizePhone, normalizeSerial } from '../domain/contracts.js';
import type { ServiceRequest } from '../domain/request.js';
import type { Logger } from '../logger.js';
import { rowOf, type RequestRow } from './list-query.js';

/** What the index reads: the store's bulk reads. */
export interface IndexSource {
  allNumbers(): Promise<string[]>;
  getMany(numbers: readonly string[]): Promise<Array<ServiceRequest | null>>;
}

/** Where changes are announced (the ops page's ChangeFeed). */
export interface ChangeAnnouncements {
  start(): Promise<void>;
  listen(listener: (requestNumber: string) => void): () => void;
}

interface SearchDocument {
  id: string;
  number: string;
  customer: string;
  contract: string;
  serial: string;
  model: string;
  reporterName: string;
  reporterEmail: string;
  reporterPhone: string;
  subject: string;
  description: string;
}

const FIELDS = ['number', 'customer', 'contract', 'serial', 'model', 'reporterName', 'reporterEmail', 'reporterPhone', 'subject', 'description'] as const;

/**
 * Lower case without diacritics: "Łódź" → "lodz", "MLECZARSKA" → "mleczarska". NFD splits
 * ą, ę, ó, ś, ź, ż, ć, ń into a letter and a combining mark; ł has no decomposition.
 */
export function foldTerm(term: string): string {
  return term
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/ł/g, 'l');
}

/** Words of a text (letters and digits runs), plus for codes their compact form. */
function tokenize(text: string): string[] {
  const words = text.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== '');
  const compact = text.replace(/[^\p{L}\p{N}]+/gu, '');
  // "HZ-2026-000123", "Q48 2407315", "+48 600 100 200": found typed whole or in parts.
  return words.length > 1 && compact.length <= 40 ? [...words, compact] : words;
}

function documentOf(request: ServiceRequest): SearchDocument {
  const phone = request.reporter.phone ?? '';
  const national = (normalizePhone(phone) ?? '').replace(/^\+48/, '');
  return {
    id: request.number,
    number: request.number,
    customer: request.customer ?? '',
    contract: request.contractNumber ?? '',
    serial: [request.serialNumber, request.device?.serial].filter(Boolean).join(' '),
    model: request.device?.model ?? '',
    reporterName: request.reporter.name ?? '',
    reporterEmail: request.reporter.email ?? '',
    reporterPhone: `${phone} ${national}`.trim(),
    subject: request.subject ?? '',
    description: (request.description ?? '').slice(0, 20_000),
  };
}

export class RequestIndex {
  private readonly rows = new Map<string, RequestRow>();
  private readonly search = new MiniSearch<SearchDocument>({
    fields: [...FIELDS],
    idField: 'id',
    tokenize,
    processTerm: (term) => foldTerm(term),
    searchOptions: { prefix: true, combineWith: 'AND', boost: { number: 3, contract: 2, serial: 2, customer: 2 } },
  });
  private readonly byContract = new Map<string, Set<string>>();
  private readonly bySerial = new Map<string, Set<string>>();
  private readonly byReporter = new Map<string, Set<string>>();
  private loading: Promise<void> | undefined;
  private readonly pending = new Set<string>();
  private flushing: Promise<void> | undefined;
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly source: IndexSource,
    private readonly logger: Logger,
    private readonly changes?: ChangeAnnouncements,
  ) {}

  /** Listens for changes, then loads every stored request; resolves when loaded. */
  start(): Promise<void> {
    this.loading ??= (async () => {
      if (this.changes) {
        this.unlisten = this.changes.listen((number) => this.changed(number));
        await this.changes.start().catch((error: unknown) => this.logger.warn({ err: error }, 'request index: change feed not subscribed; lists follow this process only'));
      }
      const started = Date.now();
      const numbers = await this.source.allNumbers();
      for (let i = 0; i < numbers.length; i += 1000) {
        for (const request of await this.source.getMany(numbers.slice(i, i + 1000))) if (request) this.apply(request);
      }
      this.logger.info({ requests: this.rows.size, ms: Date.now() - started }, 'request index loaded');
    })();
    return this.loading;
  }

  /** Resolves once loaded (starting the load if nobody did). */
  ready(): Promise<void> {
    return this.start();
  }

  stop(): void {
    this.unlisten?.();
    this.unlisten = undefined;
  }

  get size(): number {
    return this.rows.size;
  }

  /** Takes a request as stored now (a newer version than the one held, or a new request). */
  apply(request: ServiceRequest): void {
    const held = this.rows.get(request.number);
    if (held && Date.parse(held.updatedAt) > Date.parse(request.updatedAt)) return;
    if (held) this.unlink(held);
    const row = rowOf(request);
    this.rows.set(request.number, row);
    this.link(row);
    const document = documentOf(request);
    if (this.search.has(request.number)) this.search.replace(document);
    else this.search.add(document);
  }

  /** The numbers a query matches: every word (folded) as a prefix of some field's word. */
  match(q: string): Set<string> {
    // The compact form is for documents; each of the query's words must match.
    const words = q.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== '');
    if (words.length === 0) return new Set(this.rows.keys());
    return new Set(this.search.search({ queries: words, combineWith: 'AND' }).map((result) => String(result.id)));
  }

  rowsView(): IterableIterator<RequestRow> {
    return this.rows.values();
  }

  row(number: string): RequestRow | undefined {
    return this.rows.get(number);
  }

  /**
   * The same contract's, device's and reporter's other requests, open first (most recent first
   * within each), each with why it is related.
   */
  related(request: ServiceRequest, limit = 50): Array<{ row: RequestRow; via: Array<'contract' | 'device' | 'reporter'> }> {
    const via = new Map<string, Set<'contract' | 'device' | 'reporter'>>();
    const add = (numbers: Set<string> | undefined, why: 'contract' | 'device' | 'reporter'): void => {
      for (const number of numbers ?? []) {
        if (number === request.number) continue;
        const reasons = via.get(number) ?? new Set();
        reasons.add(why);
        via.set(number, reasons);
      }
    };
    const row = rowOf(request);
    for (const key of contractKeys(row)) add(this.byContract.get(key), 'contract');
    for (const key of serialKeys(row)) add(this.bySerial.get(key), 'device');
    for (const key of reporterKeys(row)) add(this.byReporter.get(key), 'reporter');
    return [...via]
      .map(([number, reasons]) => ({ row: this.rows.get(number), via: [...reasons] }))
      .filter((item): item is { row: RequestRow; via: Array<'contract' | 'device' | 'reporter'> } => item.row !== undefined)
      .sort((a, b) => Number(a.row.status === 'closed') - Number(b.row.status === 'closed') || Date.parse(b.row.sentAt) - Date.parse(a.row.sentAt))
      .slice(0, limit);
  }

  /** Contracts whose number starts with `prefix` (letters, digits; dashes and case ignored). */
  static contractsByPrefix(registry: ContractRegistry, prefix: string, limit = 20): ContractRegistry['contracts'] {
    const wanted = prefix.replace(/[^0-9a-z]/gi, '').toLowerCase();
    const digits = prefix.replace(/\D/g, '');
    return registry.contracts
      .filter((contract) => {
        const compact = contract.number.replace(/[^0-9a-z]/gi, '').toLowerCase();
        return compact.startsWith(wanted) || (digits !== '' && digits === wanted && compact.replace(/\D/g, '').startsWith(digits)) || foldTerm(contract.customer).includes(foldTerm(prefix.trim()));
      })
      .slice(0, limit);
  }

  private changed(number: string): void {
    this.pending.add(number);
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      try {
        while (this.pending.size > 0) {
          const numbers = [...this.pending].slice(0, 500);
          for (const number of numbers) this.pending.delete(number);
          const requests = await this.source.getMany(numbers);
          for (const request of requests) if (request) this.apply(request);
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'request index: could not read changed requests; they show as before until their next change');
      } finally {
        this.flushing = undefined;
      }
    });
  }

  private link(row: RequestRow): void {
    for (const key of contractKeys(row)) addTo(this.byContract, key, row.number);
    for (const key of serialKeys(row)) addTo(this.bySerial, key, row.number);
    for (const key of reporterKeys(row)) addTo(this.byReporter, key, row.number);
  }

  private unlink(row: RequestRow): void {
    for (const key of contractKeys(row)) this.byContract.get(key)?.delete(row.number);
    for (const key of serialKeys(row)) this.bySerial.get(key)?.delete(row.number);
    for (const key of reporterKeys(row)) this.byReporter.get(key)?.delete(row.number);
  }
}

function addTo(map: Map<string, Set<string>>, key: string, number: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(number);
  map.set(key, set);
}

function contractKeys(row: RequestRow): string[] {
  return row.contractNumber ? [row.contractNumber.replace(/[^0-9a-z]/gi, '').toLowerCase()] : [];
}

function serialKeys(row: RequestRow): string[] {
  return [...new Set([row.device?.serial, row.serialNumber].filter((s): s is string => Boolean(s)).map(normalizeSerial))];
}

function reporterKeys(row: RequestRow): string[] {
  const keys: string[] = [];
  if (row.reporter.email) keys.push(`e:${normalizeEmail(row.reporter.email)}`);
  const phone = row.reporter.phone ? normalizePhone(row.reporter.phone) : null;
  if (phone) keys.push(`p:${phone}`);
  return keys;
}
