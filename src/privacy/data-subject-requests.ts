/**
 * The data-subject requests of the GDPR (RODO art. 15 and 17): everything the gateway holds
 * about one person, shown (export) or anonymized (erase), wherever it is kept — the request
 * store and histories, the queues' jobs and event streams, the quarantine list, the per-address
 * and per-call records, the attachment files and the phone spool (docs/privacy.md lists them).
 *
 * Erasure refuses while the person has open requests or work still queued, unless forced: an
 * engineer may still need to call them back. Each changed request gets a `personal-data-removed`
 * event, and the deployment's audit list one line; neither names the person.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { RequestEvent } from '../domain/history.js';
import type { ServiceRequest } from '../domain/request.js';
import type { RequestStore } from '../store/request-store.js';
import { IntakeError } from '../errors.js';
import type { AttachmentStore } from '../intake/attachment-store.js';
import { eraseSubject, recordingsOf } from './anonymize.js';
import { isSubject, TraceMatcher, type DataSubject } from './data-subject.js';
import { isFinished, QueueTraces, type QueuedTrace } from './queue-traces.js';
import { everyRequest, referencedStorageKeys, type StoredRequest } from './request-scan.js';
import { rewriteAppendOnlyFile } from './redis-compaction.js';
import type { RecordingDeleter } from './recording-deleter.js';

export interface DataSubjectRequestsDeps {
  redis: Redis;
  store: RequestStore;
  prefix: string;
  attachments: AttachmentStore;
  /** The phone channel's spool folder (drafts of calls filed while Redis was down). */
  phoneSpoolDir: string;
  /** Deletes their call recordings at Twilio (none: only the addresses go). */
  recordings?: RecordingDeleter;
  now?: () => number;
}

/** What `privacy export` prints. */
export interface PersonalDataExport {
  subject: DataSubject;
  exportedAt: string;
  /** Requests they filed (`reporter`) or replied to (`replied`), or that mention them (`mentioned`). */
  requests: Array<{ role: 'reporter' | 'replied' | 'mentioned'; request: ServiceRequest; history: RequestEvent[] }>;
  attachments: Array<{ requestNumber: string; name: string; type: string; size: number; sha256: string; storedOnDisk: boolean }>;
  recordings: Array<{ requestNumber: string; url: string }>;
  /** Queue jobs naming them: messages to them, drafts waiting to be filed. */
  queuedJobs: QueuedTrace[];
  /** Mails from them that could not become requests (kept in the mailbox's Quarantine folder). */
  quarantinedMail: unknown[];
  /** Calls of theirs waiting in the phone spool for Redis. */
  spooledCalls: unknown[];
}

/** What `privacy erase` reports: counts and request numbers, nothing of the person. */
export interface ErasureReport {
  erasedAt: string;
  requests: Array<{ number: string; status: string; whole: boolean }>;
  /** Their call recordings deleted at Twilio. */
  recordingsDeleted: number;
  attachmentsDeleted: number;
  jobsRemoved: number;
  eventStreamEntriesDeleted: number;
  quarantineEntriesScrubbed: number;
  recordsDeleted: number;
  spoolFilesDeleted: number;
  /**
   * Places still naming the person when the erasure ended (a message queued meanwhile by a
   * reply of theirs racing the erasure): 0, or run the erasure again.
   */
  leftover: number;
  /** Redis's append-only file rewritten, so that the erased values leave the disk too; or why not. */
  appendOnlyFile: string;
}

interface Holdings {
  matcher: TraceMatcher;
  names: string[];
  requests: Array<StoredRequest & { role: 'reporter' | 'replied' | 'mentioned' }>;
  jobs: QueuedTrace[];
  quarantine: Array<{ index: number; text: string }>;
  spool: Array<{ file: string; draft: unknown }>;
}

export class DataSubjectRequests {
  private readonly now: () => number;

  constructor(private readonly deps: DataSubjectRequestsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async export(subject: DataSubject): Promise<PersonalDataExport> {
    const held = await this.find(subject);
    const attachments: PersonalDataExport['attachments'] = [];
    for (const { request } of held.requests) {
      for (const a of request.attachments) {
        attachments.push({ requestNumber: request.number, name: a.name, type: a.type, size: a.size, sha256: a.sha256, storedOnDisk: await this.deps.attachments.exists(a.storageKey) });
      }
    }
    return {
      subject,
      exportedAt: new Date(this.now()).toISOString(),
      requests: held.requests.map(({ role, request, history }) => ({ role, request, history })),
      attachments,
      recordings: held.requests.flatMap(({ request, history }) => recordingsOf(request, history).map((url) => ({ requestNumber: request.number, url }))),
      queuedJobs: held.jobs,
      quarantinedMail: held.quarantine.map((entry) => JSON.parse(entry.text) as unknown),
      spooledCalls: held.spool.map((entry) => entry.draft),
    };
  }

  /**
   * Anonymizes everything held about the person. Without `force`, refuses (OPEN_REQUESTS_HELD,
   * nothing changed) while one of the requests is open or a job or spooled call of theirs waits.
   */
  async erase(subject: DataSubject, options: { force?: boolean; actor: string }): Promise<ErasureReport> {
    const held = await this.find(subject);
    const open = held.requests.filter(({ request }) => request.status !== 'closed').map(({ request }) => request.number);
    const pendingJobs = held.jobs.filter((job) => !isFinished(job.state));
    const pendingCalls = held.spool.filter((entry) => entry.file.endsWith('.json'));
    if (!options.force && (open.length > 0 || pendingJobs.length > 0 || pendingCalls.length > 0)) {
      const parts = [
        open.length > 0 ? `open requests ${open.join(', ')}` : '',
        pendingJobs.length > 0 ? `${pendingJobs.length} queued job(s)` : '',
        pendingCalls.length > 0 ? `${pendingCalls.length} call(s) waiting in the phone spool` : '',
      ].filter(Boolean);
      throw new IntakeError('OPEN_REQUESTS_HELD', `Nothing was erased: this person has ${parts.join(' and ')}. Close them first, or force the erasure (--force, "force": true).`, {
        details: open.map((number) => ({ path: number, message: 'open' })),
      });
    }
    const at = new Date(this.now()).toISOString();
    const context = { at, actor: options.actor, source: 'privacy' };
    const report: ErasureReport = { erasedAt: at, requests: [], recordingsDeleted: 0, attachmentsDeleted: 0, jobsRemoved: 0, eventStreamEntriesDeleted: 0, quarantineEntriesScrubbed: 0, recordsDeleted: 0, spoolFilesDeleted: 0, leftover: 0, appendOnlyFile: '' };
    // Their recordings go at Twilio first, before anything changes here: an address forgotten
    // first would leave a recording no one can find to delete.
    for (const { role, request, history } of held.requests) {
      if (role !== 'reporter') continue;
      for (const url of recordingsOf(request, history)) {
        try {
          if ((await this.deps.recordings?.delete(url)) === 'deleted') report.recordingsDeleted += 1;
        } catch (error) {
          throw new IntakeError('ERASURE_INCOMPLETE', `The erasure stopped before changing anything here: Twilio could not be asked to delete a recording of request ${request.number} (${(error as Error).message}); run the erasure again later.`);
        }
      }
    }
    const storageKeys = new Set<string>();
    const sourceKeys: string[] = [];
    for (const { request } of held.requests) {
      const result = await this.deps.store.rewrite(request.number, (current, history) => {
        const removal = eraseSubject(current, history, subject, held.names, context);
        if (removal) for (const key of removal.storageKeys) storageKeys.add(key);
        return removal;
      });
      if (!result.changed) continue;
      report.requests.push({ number: request.number, status: result.request.status, whole: result.request.personalDataRemoved !== undefined });
      if (isSubject(request.reporter, subject)) sourceKeys.push(request.sourceKey);
    }

    const queues = new QueueTraces(this.deps.redis, this.deps.prefix);
    const removed = await queues.remove(held.jobs);
    if (removed.busy.length > 0) {
      throw new IntakeError('ERASURE_INCOMPLETE', `The requests were anonymized, but ${removed.busy.length} job(s) naming this person are running now (${removed.busy.join(', ')}); run the erasure again in a minute.`);
    }
    report.jobsRemoved = removed.removed;
    report.eventStreamEntriesDeleted = await queues.scrubEventStreams(held.matcher);
    report.quarantineEntriesScrubbed = await this.scrubQuarantine(held);
    report.recordsDeleted = await this.deleteRecords(subject, sourceKeys, held.matcher);
    report.attachmentsDeleted = await this.deleteUnreferenced(storageKeys);
    for (const entry of held.spool) await rm(entry.file, { force: true });
    report.spoolFilesDeleted = held.spool.length;

    const after = await this.find(subject, held.names);
    report.leftover = after.requests.length + after.jobs.length + after.quarantine.length + after.spool.length;

    await this.deps.redis.rpush(`${this.deps.prefix}:privacy:audit`, JSON.stringify({ at, type: 'erasure', actor: options.actor, forced: options.force === true, requests: report.requests.map((r) => r.number), jobsRemoved: report.jobsRemoved, attachmentsDeleted: report.attachmentsDeleted }));
    report.appendOnlyFile = await rewriteAppendOnlyFile(this.deps.redis);
    return report;
  }

  /** Finds what is held: first by address or number (learning the names they gave), then by those names too. */
  private async find(subject: DataSubject, knownNames: readonly string[] = []): Promise<Holdings> {
    const names = new Set<string>(knownNames);
    for await (const { request, history } of everyRequest(this.deps.store)) {
      for (const reporter of [request.reporter, ...history.flatMap((e) => (e.type === 'reply' || e.type === 'escalation' ? [e.data.reporter] : []))]) {
        if (isSubject(reporter, subject) && reporter?.name) names.add(reporter.name);
      }
    }
    const matcher = new TraceMatcher({ emails: subject.email ? [subject.email] : [], phones: subject.phone ? [subject.phone] : [], names });
    const requests: Holdings['requests'] = [];
    for await (const stored of everyRequest(this.deps.store)) {
      const role = isSubject(stored.request.reporter, subject)
        ? 'reporter'
        : stored.history.some((e) => (e.type === 'reply' || e.type === 'escalation') && isSubject(e.data.reporter, subject))
          ? 'replied'
          : matcher.mentionedIn([stored.request, stored.history])
            ? 'mentioned'
            : undefined;
      if (role) requests.push({ ...stored, role });
    }
    const jobs = await new QueueTraces(this.deps.redis, this.deps.prefix).find(matcher);
    const quarantine = (await this.deps.redis.lrange(`${this.deps.prefix}:quarantine`, 0, -1)).flatMap((text, index) => (matcher.matches(text) ? [{ index, text }] : []));
    return { matcher, names: [...names], requests, jobs, quarantine, spool: await this.spooled(matcher) };
  }

  private async spooled(matcher: TraceMatcher): Promise<Holdings['spool']> {
    const dir = this.deps.phoneSpoolDir;
    const names = await readdir(dir).catch(() => [] as string[]);
    const found: Holdings['spool'] = [];
    for (const name of names.filter((n) => n.endsWith('.json') || n.endsWith('.json.rejected'))) {
      const file = path.join(dir, name);
      const text = await readFile(file, 'utf8').catch(() => '');
      if (!matcher.matches(text)) continue;
      let draft: unknown = text;
      try {
        draft = JSON.parse(text);
      } catch {
        // A half-written or damaged draft is exported as its text.
      }
      found.push({ file, draft });
    }
    return found;
  }

  /** Quarantine entries keep their reason and time; the sender's address and the rest of their traces go. */
  private async scrubQuarantine(held: Holdings): Promise<number> {
    const key = `${this.deps.prefix}:quarantine`;
    for (const entry of held.quarantine) {
      const parsed = JSON.parse(entry.text) as Record<string, unknown>;
      delete parsed.from;
      // The list is only ever appended to, so an index found stays the entry's.
      await this.deps.redis.lset(key, entry.index, JSON.stringify(held.matcher.scrubValue(parsed)));
    }
    return held.quarantine.length;
  }

  /**
   * The records keyed by the person or their calls and posts: the acknowledgment rate window of
   * their address, the portal's idempotency bindings and the phone's recording bindings of their
   * requests, and call sessions naming them.
   */
  private async deleteRecords(subject: DataSubject, sourceKeys: readonly string[], matcher: TraceMatcher): Promise<number> {
    const { redis, prefix } = this.deps;
    const keys: string[] = [];
    if (subject.email) keys.push(`${prefix}:notify:ack-rate:${createHash('sha256').update(subject.email).digest('hex').slice(0, 32)}`);
    for (const sourceKey of sourceKeys) {
      const portal = /^portal:([^:]+):(.+)$/.exec(sourceKey);
      if (portal) keys.push(`${prefix}:portal:idem2:${portal[1]}:${portal[2]}`);
      if (sourceKey.startsWith('call:')) keys.push(`${prefix}:phone:filed-recording:${sourceKey}`, `${prefix}:phone:filed-recording:${sourceKey}:recording`);
    }
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:phone:call:*`, 'COUNT', 500);
      cursor = next;
      const values = found.length > 0 ? await redis.mget(found) : [];
      found.forEach((key, i) => {
        if (matcher.matches(values[i] ?? '')) keys.push(key);
      });
    } while (cursor !== '0');
    return keys.length > 0 ? redis.del(...keys) : 0;
  }

  private async deleteUnreferenced(storageKeys: ReadonlySet<string>): Promise<number> {
    if (storageKeys.size === 0) return 0;
    const stillNamed = await referencedStorageKeys(this.deps.store);
    let deleted = 0;
    for (const key of storageKeys) {
      if (stillNamed.has(key) || !(await this.deps.attachments.exists(key))) continue;
      await rm(this.deps.attachments.pathOf(key), { force: true });
      deleted += 1;
    }
    return deleted;
  }
}
