/**
 * Search and the list's working set, per process: every stored request (open and closed) as a
 * slim row plus an index of its words, loaded from the store at start and kept in step with
 * the change feed the ops page already listens to (the store PUBLISHes every create and
 * update). Why in-process rather than Redis structures: prefix matching with our own folding
 * (Polish diacritics, "ł") over ten fields needs no Redis module, and a query is this process's
 * CPU instead of round trips (bench/search.bench.ts has the figures and the memory).
 *
 * The words sit in MiniSearch's radix tree (`minisearch/SearchableMap`), each with the set of
 * requests holding it; a query is the intersection, over its words, of the union of the sets
 * under each word as a prefix. MiniSearch's own search was the first version: it scores every
 * matching document (BM25), and the list never orders by relevance (it sorts by urgency or a
 * column), so on 20,000 requests the scores were all the cost — search p95 was 1.4x the time
 * of reading all 20,000 requests from Redis.
 *
 * A change made through this process is applied at once (`apply`), so the engineer who acted
 * sees it in the next list; a change made by another process arrives with the feed, within
 * milliseconds. Rows hold no texts: a page's requests are read fresh from the store.
 */
import SearchableMap from 'minisearch/SearchableMap';
import { normalizeEmail, normalizePhone, normalizeSerial } from '../domain/contract-terms.js';
import type { ServiceRequest } from '../domain/request.js';
import type { Logger } from '../logger.js';
import { rowOf, type RequestRow } from './list-query.js';

/** What the index reads: the store's bulk reads. */
export interface IndexSource {
  allNumbers(): Promise<string[]>;
  getMany(numbers: readonly string[]): Promise<Array<ServiceRequest | null>>;
  /** The stored versions, to find what the change feed did not bring (reconcile). */
  versions(numbers: readonly string[]): Promise<Array<number | null>>;
}

/** Where changes are announced (the ops page's ChangeFeed). */
export interface ChangeAnnouncements {
  start(): Promise<void>;
  listen(listener: (requestNumber: string) => void): () => void;
}

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

/** A text's words (runs of letters and digits), folded. */
function wordsOf(text: string): string[] {
  return text
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '')
    .map(foldTerm);
}

/** Words of a code-like field plus its compact form: "Q48 2407315" is found typed whole or in parts. */
function codeWords(text: string): string[] {
  const words = wordsOf(text);
  return words.length > 1 ? [...words, words.join('')] : words;
}

/** Every word a request is found by: number, customer, contract, serial, model, reporter, subject, description. */
function termsOf(request: ServiceRequest): Set<string> {
  const phone = request.reporter.phone ?? '';
  const national = (normalizePhone(phone) ?? '').replace(/^\+48/, '');
  return new Set([
    ...codeWords(request.number),
    ...wordsOf(request.customer ?? ''),
    ...codeWords(request.contractNumber ?? ''),
    ...codeWords(request.serialNumber ?? ''),
    ...codeWords(request.device?.serial ?? ''),
    ...wordsOf(request.device?.model ?? ''),
    ...wordsOf(request.reporter.name ?? ''),
    // An address's and a phone's parts are enough (their compact forms cost memory and found nothing more).
    ...wordsOf(request.reporter.email ?? ''),
    ...wordsOf(phone),
    ...(national ? [national] : []),
    ...wordsOf(request.subject ?? ''),
    ...wordsOf((request.description ?? '').slice(0, 20_000)),
  ]);
}

export class RequestIndex {
  private readonly rows = new Map<string, RequestRow>();
  /**
   * Word → the requests holding it: the number itself while one request does (most words —
   * numbers, serials, addresses — are one request's), a set once several do. A set per word
   * was 6.6 KB of heap per request at 20,000.
   */
  private readonly words = new SearchableMap<Holders>();
  /** Request → its words (space-separated: one string costs far less than a set), to take them out when it changes. */
  private readonly wordsByRequest = new Map<string, string>();
  private readonly byContract = new Map<string, Set<string>>();
  private readonly bySerial = new Map<string, Set<string>>();
  private readonly byReporter = new Map<string, Set<string>>();
  private loading: Promise<void> | undefined;
  private readonly pending = new Set<string>();
  private flushing: Promise<void> | undefined;
  private unlisten: (() => void) | undefined;
  private reconciling: NodeJS.Timeout | undefined;

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
    // A load that failed (Redis away at start) is tried again by the next list.
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /**
   * Resolves once loaded (starting the load if nobody did) and the changes announced so far are
   * applied: a list asked for right after a change that this process heard of shows it.
   */
  async ready(): Promise<void> {
    await this.start();
    while (this.flushing) await this.flushing;
  }

  /**
   * Checks every request's stored version against the one held and reads again those that
   * differ or are new. Pub/sub delivers at most once: a change published while the feed's
   * connection was down (a Redis restart, a failover) never arrives, and without this the list
   * would show that request as it was until its next change. Runs every `everyMs` once started.
   */
  async reconcile(): Promise<number> {
    const numbers = await this.source.allNumbers();
    const versions = await this.source.versions(numbers);
    const stale = numbers.filter((number, i) => {
      const stored = versions[i];
      const held = this.rows.get(number);
      return !held || (stored !== null && stored !== undefined && stored !== held.version);
    });
    for (let i = 0; i < stale.length; i += 500) for (const request of await this.source.getMany(stale.slice(i, i + 500))) if (request) this.apply(request);
    if (stale.length > 0) this.logger.info({ requests: stale.length }, 'request index: changes the feed missed were read again');
    return stale.length;
  }

  /** Reconciles every `everyMs` (default one minute) until stop(). */
  reconcileEvery(everyMs = 60_000): void {
    if (this.reconciling) return;
    this.reconciling = setInterval(() => {
      if (!this.loading) return;
      this.reconcile().catch((error: unknown) => this.logger.debug({ err: error }, 'request index: reconcile failed; next round tries again'));
    }, everyMs);
    this.reconciling.unref();
  }

  stop(): void {
    this.unlisten?.();
    this.unlisten = undefined;
    if (this.reconciling) clearInterval(this.reconciling);
    this.reconciling = undefined;
  }

  get size(): number {
    return this.rows.size;
  }

  /** Takes a request as stored now (a newer version than the one held, or a new request). */
  apply(request: ServiceRequest): void {
    const held = this.rows.get(request.number);
    if (held && held.version > request.version) return;
    if (held) this.unlink(held);
    const row = rowOf(request);
    this.rows.set(request.number, row);
    this.link(row);
    for (const word of this.wordsByRequest.get(request.number)?.split(' ') ?? []) {
      const holders = this.words.get(word);
      if (holders === request.number) this.words.delete(word);
      else if (typeof holders === 'object') {
        holders.delete(request.number);
        if (holders.size === 1) this.words.set(word, holders.values().next().value as string);
      }
    }
    const terms = termsOf(request);
    this.wordsByRequest.set(request.number, [...terms].join(' '));
    for (const word of terms) {
      const holders = this.words.get(word);
      if (holders === undefined) this.words.set(word, request.number);
      else if (typeof holders === 'string') {
        if (holders !== request.number) this.words.set(word, new Set([holders, request.number]));
      } else holders.add(request.number);
    }
  }

  /**
   * The numbers a query matches: each of its words (folded) begins a word of the request — or,
   * for a code typed with its dashes or spaces ("Q48-2", "HZ-2026-0001"), the compact form
   * begins one. A one-letter word must be a whole word ("a" would otherwise match every request).
   */
  match(q: string): Set<string> {
    const words = [...new Set(wordsOf(q))];
    if (words.length === 0) return new Set(this.rows.keys());
    const sets = words.map((word) => (word.length === 1 ? asSet(this.words.get(word)) : this.startingWith(word)));
    sets.sort((x, y) => x.size - y.size);
    const [smallest, ...others] = sets;
    const matched = new Set<string>();
    for (const number of smallest ?? []) if (others.every((set) => set.has(number))) matched.add(number);
    if (words.length > 1) for (const number of this.startingWith(words.join(''))) matched.add(number);
    return matched;
  }

  private startingWith(prefix: string): Set<string> {
    const union = new Set<string>();
    for (const holders of this.words.atPrefix(prefix).values()) {
      if (typeof holders === 'string') union.add(holders);
      else for (const number of holders) union.add(number);
    }
    return union;
  }

  /** The rows of these numbers (the ones the index holds). */
  rowsOf(numbers: ReadonlySet<string>): RequestRow[] {
    const found: RequestRow[] = [];
    for (const number of numbers) {
      const row = this.rows.get(number);
      if (row) found.push(row);
    }
    return found;
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

/** The requests holding a word: one number, or a set of several. */
type Holders = string | Set<string>;

function asSet(holders: Holders | undefined): Set<string> {
  return holders === undefined ? new Set() : typeof holders === 'string' ? new Set([holders]) : holders;
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
