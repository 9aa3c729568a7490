/**
 * Prometheus metrics (`GET /metrics`, prom-client). Counters of what happened — requests
 * filed per channel and status, the sent→stamped time, first responses met or breached — are
 * derived from the store's change feed, each request counted once per deployment by a Redis
 * SET NX marker: any number of web instances and restarts count each event exactly once, so
 * `sum()` across instances is right. Gauges of what is — open requests per status, queue
 * depths and failures, mailbox watcher state — are read at scrape time.
 */
import { Router } from 'express';
import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import client from 'prom-client';
import type { RequestStore } from '../store/request-store.js';
import { QUEUE_NAMES } from '../intake/queues.js';
import type { Logger } from '../logger.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { closeBullmq } from '../redis/connections.js';
import type { ChangeFeed } from './ops-page/change-feed.js';

/** One mailbox watcher as the metrics see it (the mail channel reports these). */
export interface MailboxWatcherState {
  mailbox: string;
  /** e.g. `idle`, `draining`, `reconnecting`, `failed`. */
  state: string;
  connected: boolean;
}

export interface MetricsDeps {
  redis: Redis;
  connections: RedisConnections;
  prefix: string;
  store: RequestStore;
  changes: ChangeFeed;
  logger: Logger;
}

export interface Metrics {
  registry: client.Registry;
  /** Serves `GET /metrics`. */
  router: Router;
  /** The mailbox watchers' state, read at each scrape (wired by main.ts once the mail channel runs). */
  setMailboxStates(read: () => readonly MailboxWatcherState[]): void;
  /** Subscribes to the change feed; counters move from then on. */
  start(): Promise<void>;
  /** Closes the metrics' queues within `graceMs`, then drops them. */
  close(graceMs?: number): Promise<void>;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'hezo_' });
  let readMailboxes: () => readonly MailboxWatcherState[] = () => [];

  const filed = new client.Counter({
    name: 'hezo_requests_filed_total',
    help: 'Requests filed, by channel and by how they were stamped (accepted, needs-info, unauthorized-reporter, contract-expired).',
    labelNames: ['channel', 'status'] as const,
    registers: [registry],
  });
  const sentToStamped = new client.Histogram({
    name: 'hezo_request_sent_to_stamped_seconds',
    help: 'From when the customer sent a request to when the dispatcher stamped it.',
    labelNames: ['channel'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
    registers: [registry],
  });
  const responses = new client.Counter({
    name: 'hezo_first_responses_total',
    help: 'First responses recorded by engineers, met or breached against the response deadline.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const queues = Object.values(QUEUE_NAMES).map((name) => {
    const connection = deps.connections.bullmq(`metrics-${name}`, 'queue');
    return Object.assign(new Queue(name, { connection, prefix: deps.prefix }), { handed: connection });
  });
  for (const queue of queues) queue.on('error', (error) => deps.logger.debug({ err: error, queue: queue.name }, 'metrics queue error'));

  new client.Gauge({
    name: 'hezo_queue_jobs',
    help: 'Jobs per queue and state (waiting and delayed are the depth; failed are failures kept for inspection).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await Promise.all(queues.map((queue) => queue.getJobCounts(...JOB_STATES)));
      queues.forEach((queue, i) => {
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[i]?.[state] ?? 0);
      });
    },
  });
  new client.Gauge({
    name: 'hezo_open_requests',
    help: 'Requests per status now (closed included).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [status, count] of Object.entries(await deps.store.countByStatus())) this.set({ status }, count);
    },
  });
  new client.Gauge({
    name: 'hezo_mailbox_watcher_up',
    help: 'Mailbox watcher connected (1) or not (0), with its state as a label.',
    labelNames: ['mailbox', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const watcher of readMailboxes()) this.set({ mailbox: watcher.mailbox, state: watcher.state }, watcher.connected ? 1 : 0);
    },
  });

  /**
   * True the first time anyone in the deployment claims this event. The marker is kept as long
   * as the request is (a few bytes beside it): with an expiry, any change after it — a note,
   * a return reminder on a request open for weeks — counted the request a second time.
   */
  const firstClaim = async (what: string, number: string): Promise<boolean> =>
    (await deps.redis.set(`${deps.prefix}:ops:metrics:${what}:${number}`, '1', 'NX')) === 'OK';

  const onChange = async (number: string): Promise<void> => {
    const request = await deps.store.get(number);
    if (!request) return;
    if (await firstClaim('filed', number)) {
      filed.inc({ channel: request.channel, status: request.acceptability });
      const seconds = (Date.parse(request.stampedAt) - Date.parse(request.sentAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) sentToStamped.observe({ channel: request.channel }, seconds);
    }
    if (request.firstResponse && (await firstClaim('responded', number))) {
      responses.inc({ result: request.firstResponse.met ? 'met' : 'breached' });
    }
  };
  let unlisten: (() => void) | undefined;

  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const text = await registry.metrics();
    res.set('Content-Type', registry.contentType).send(text);
  });

  return {
    registry,
    router,
    setMailboxStates(read) {
      readMailboxes = read;
    },
    async start() {
      unlisten ??= deps.changes.listen((number) => {
        onChange(number).catch((error: unknown) => deps.logger.warn({ err: error, requestNumber: number }, 'metrics: change not counted'));
      });
      await deps.changes.start();
    },
    async close(graceMs = 1_000) {
      unlisten?.();
      await Promise.all(queues.map((queue) => closeBullmq(queue, queue.handed, deps.connections, graceMs)));
    },
  };
}
