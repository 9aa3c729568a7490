/**
 * What system care keeps in Redis beside the requests: the date of each device's last
 * inspection recorded by the gateway (it overrides the registry's), and once-markers that make
 * every reminder and alert of the daily sweep go out once whatever restarts or processes.
 */
import type { Redis } from 'ioredis';
import type { NotificationJob } from '../notify/notification-channel.js';
import type { NotificationSink } from '../notify/notification-sink.js';
import { normalizeSerial } from '../domain/contract-terms.js';

/**
 * HSET only when later: an inspection closed again (a retry) or an older one closed late never
 * moves a device's last inspection back. ISO dates compare as strings.
 * KEYS[1] hash; ARGV serial, date. Returns the date kept.
 */
const RECORD_IF_LATER = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (not current) or current < ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return ARGV[2]
end
return current`;

/** How long a once-marker is kept: longer than any reminder's period (a year of weekly alerts). */
const MARKER_SECONDS = 400 * 86_400;

export class CareRecords {
  readonly #keys: { done: string; marker: (key: string) => string };

  /** Keys under `<prefix>:care-records:`, apart from the `care` queue's own (`<prefix>:care:`), which BullMQ may clean. */
  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.#keys = { done: `${prefix}:care-records:inspections-done`, marker: (key) => `${prefix}:care-records:once:${key}` };
    if (!('hezoRecordInspection' in redis)) redis.defineCommand('hezoRecordInspection', { numberOfKeys: 1, lua: RECORD_IF_LATER });
  }

  /** Records that the device was inspected on `date` (Warsaw `YYYY-MM-DD`); an earlier date changes nothing. */
  async recordInspection(serial: string, date: string): Promise<string> {
    return (this.redis as Redis & { hezoRecordInspection(key: string, serial: string, date: string): Promise<string> }).hezoRecordInspection(
      this.#keys.done,
      normalizeSerial(serial),
      date,
    );
  }

  /** Normalized serial → last inspection date the gateway recorded. */
  async inspectionsDone(): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(this.#keys.done)));
  }

  /** Whether the once-marker `key` is set (the message went out). */
  async sent(key: string): Promise<boolean> {
    return (await this.redis.exists(this.#keys.marker(key))) === 1;
  }

  /**
   * Queues each message once: skipped when its marker is set; otherwise queued under its fixed
   * job id, and the marker set after. A crash between the two queues it again next time under
   * the same id, which the notify queue and its sent markers turn into one delivery.
   * Returns whether anything was queued.
   */
  async enqueueOnce(key: string, notifier: NotificationSink, jobs: ReadonlyArray<{ jobId: string; job: NotificationJob }>): Promise<boolean> {
    if (await this.sent(key)) return false;
    for (const { jobId, job } of jobs) await notifier.enqueue(jobId, job);
    await this.redis.set(this.#keys.marker(key), new Date().toISOString(), 'EX', MARKER_SECONDS);
    return true;
  }
}
