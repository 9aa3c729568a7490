/**
 * Reads the requests a report may need from the request store's Redis keys: every request
 * number (the per-status sets hold them all, closed ones too), the requests in batches of MGET,
 * and — only for those with a delivery or return clock — the history events that say when the
 * device was delivered and returned. A request numbered in a year before the period cannot have
 * been sent in it (a number is allocated at submit, never before the request was sent), so those
 * are not read at all.
 */
import type { Redis } from 'ioredis';
import { readStoredHistory } from '../domain/history.js';
import { REQUEST_STATUSES, type ServiceRequest } from '../domain/request.js';
import type { IntakeKeys } from '../intake/queues.js';
import type { ReportRequest } from './sla-report.js';

const BATCH = 1000;

export interface ReportSource {
  /** Requests that may have been sent on or after `fromDate` (`YYYY-MM-DD`), with their milestones. */
  requestsFrom(fromDate: string): Promise<ReportRequest[]>;
}

export class RedisReportSource implements ReportSource {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Pick<IntakeKeys, 'byStatus' | 'request' | 'history'>,
  ) {}

  async requestsFrom(fromDate: string): Promise<ReportRequest[]> {
    const fromYear = Number(fromDate.slice(0, 4));
    const sets = await Promise.all(REQUEST_STATUSES.map((status) => this.redis.smembers(this.keys.byStatus(status))));
    const numbers = [...new Set(sets.flat())].filter((number) => Number(/-(\d{4})-/.exec(number)?.[1] ?? fromYear) >= fromYear);
    const requests: ReportRequest[] = [];
    for (let i = 0; i < numbers.length; i += BATCH) {
      const values = await this.redis.mget(numbers.slice(i, i + BATCH).map((number) => this.keys.request(number)));
      for (const value of values) if (value) requests.push(JSON.parse(value) as ServiceRequest);
    }
    await this.addMilestones(requests.filter((request) => request.deliveryDeadline || request.returnDeadline));
    return requests;
  }

  /** deliveredAt / returnedAt from the `delivered` and `returned` events (the last of each). */
  private async addMilestones(requests: ReportRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH) {
      const batch = requests.slice(i, i + BATCH);
      const pipeline = this.redis.pipeline();
      for (const request of batch) pipeline.lrange(this.keys.history(request.number), 0, -1);
      const results = (await pipeline.exec()) ?? [];
      batch.forEach((request, index) => {
        const stored = results[index]?.[1];
        if (!Array.isArray(stored)) return;
        const milestones: NonNullable<ReportRequest['milestones']> = {};
        for (const event of readStoredHistory(stored as string[])) {
          if (event.type === 'delivered') milestones.deliveredAt = event.at;
          if (event.type === 'returned') milestones.returnedAt = event.at;
        }
        request.milestones = milestones;
      });
    }
  }
}
