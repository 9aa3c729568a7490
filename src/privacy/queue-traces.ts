/**
 * A person's traces in the BullMQ queues: a job's data (an intake draft, a reply to send), its
 * result, its failure text and logs, and the queue's event stream. Finished jobs are removed
 * (they are kept for a while only for diagnosis); a job still to run is pending work, removed
 * only when the caller forces it; a job running now cannot be removed and is reported busy.
 */
import { Queue, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAMES } from '../intake/queues.js';
import type { TraceMatcher } from './data-subject.js';

/** A job that names the person, as exported. */
export interface QueuedTrace {
  queue: string;
  jobId: string;
  name: string;
  state: string;
  data: unknown;
  returnvalue?: unknown;
  failedReason?: string;
}

const FINISHED = new Set(['completed', 'failed']);
const STATES: JobType[] = ['completed', 'failed', 'waiting', 'delayed', 'prioritized', 'waiting-children', 'active'];

/** Every queue whose jobs can carry personal data (timers carry request numbers only, but are looked at all the same). */
export const PERSONAL_QUEUES = [QUEUE_NAMES.intake, QUEUE_NAMES.timers, QUEUE_NAMES.notify] as const;

export class QueueTraces {
  constructor(
    private readonly connection: Redis,
    private readonly prefix: string,
  ) {}

  /** The jobs naming the person, in every state. */
  async find(matcher: TraceMatcher): Promise<QueuedTrace[]> {
    const found: QueuedTrace[] = [];
    for (const name of PERSONAL_QUEUES) {
      const queue = this.queue(name);
      try {
        for (const state of STATES) {
          for (const job of await queue.getJobs([state], 0, -1)) {
            if (!job?.id) continue;
            if (!matcher.mentionedIn([job.data, job.returnvalue ?? null, job.failedReason ?? '', job.stacktrace ?? []])) continue;
            found.push({ queue: name, jobId: job.id, name: job.name, state, data: job.data, ...(job.returnvalue ? { returnvalue: job.returnvalue } : {}), ...(job.failedReason ? { failedReason: job.failedReason } : {}) });
          }
        }
      } finally {
        await queue.close();
      }
    }
    return found;
  }

  /**
   * Finished jobs (completed, failed) that belong to these requests: an intake job's draft, a
   * message sent about one, a timer of one. By number, not by traces: cheaper when a sweep
   * anonymizes thousands.
   */
  async findFinishedOf(numbers: ReadonlySet<string>): Promise<QueuedTrace[]> {
    const found: QueuedTrace[] = [];
    for (const name of PERSONAL_QUEUES) {
      const queue = this.queue(name);
      try {
        for (const state of FINISHED) {
          for (const job of await queue.getJobs([state as JobType], 0, -1)) {
            if (!job?.id || !numbers.has(requestNumberOf(job.data) ?? '')) continue;
            found.push({ queue: name, jobId: job.id, name: job.name, state, data: job.data });
          }
        }
      } finally {
        await queue.close();
      }
    }
    return found;
  }

  /** Removes the jobs found (the caller decided pending ones may go); the ids of those it could not. */
  async remove(traces: readonly QueuedTrace[]): Promise<{ removed: number; busy: string[] }> {
    let removed = 0;
    const busy: string[] = [];
    for (const name of PERSONAL_QUEUES) {
      const queue = this.queue(name);
      try {
        for (const trace of traces.filter((t) => t.queue === name)) {
          try {
            await queue.remove(trace.jobId);
            removed += 1;
          } catch {
            // A job locked by a worker (running now) cannot be removed.
            busy.push(`${name}/${trace.jobId}`);
          }
        }
      } finally {
        await queue.close();
      }
    }
    return { removed, busy };
  }

  /**
   * Deletes the event-stream entries (job added, completed, failed...) that name the person;
   * `failuresOnly`: only `failed` entries, the ones with free text (a provider's refusal).
   */
  async scrubEventStreams(matcher: TraceMatcher, failuresOnly = false): Promise<number> {
    let deleted = 0;
    for (const name of PERSONAL_QUEUES) {
      const key = `${this.prefix}:${name}:events`;
      let start = '-';
      for (;;) {
        const entries = await this.connection.xrange(key, start, '+', 'COUNT', 1000);
        const doomed = entries.filter(([, fields]) => (!failuresOnly || fields.includes('failed')) && matcher.mentionedIn(fields)).map(([id]) => id);
        if (doomed.length > 0) deleted += await this.connection.xdel(key, ...doomed);
        if (entries.length < 1000) break;
        start = `(${entries[entries.length - 1]?.[0] ?? ''}`;
      }
    }
    return deleted;
  }

  private queue(name: string): Queue {
    return new Queue(name, { connection: this.connection, prefix: this.prefix });
  }
}

/** The request a job belongs to: intake and timer jobs name it, notify jobs name it in their message. */
function requestNumberOf(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const record = data as { requestNumber?: unknown; notification?: { requestNumber?: unknown } };
  const number = record.requestNumber ?? record.notification?.requestNumber;
  return typeof number === 'string' ? number : undefined;
}

/** Whether a job state is finished work (removed on erasure without asking). */
export function isFinished(state: string): boolean {
  return FINISHED.has(state);
}
