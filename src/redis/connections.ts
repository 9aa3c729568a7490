/**
 * Builds the ioredis options of this deployment once — one node by URL (TLS when rediss://),
 * or a Sentinel group; ACL username and password; the private redis-server's URL and password
 * when no Redis is configured — and hands out every connection from them (the contract is in
 * ./redis-connections.ts).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { IntakeError, InternalFailure } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import { closeWithin, withTimeout } from '../util/timeouts.js';
import { explainStartFailure, type FailureContext } from './redis-failures.js';
import type { ConnectionTuning, RedisConnections } from './redis-connections.js';

export type RedisSettings = Readonly<Settings['redis']>;

export interface RedisConnectionsOptions {
  redis: RedisSettings;
  /** The private redis-server, when `redis.url` and `redis.sentinels` are empty. */
  embedded?: { url: string; password: string | undefined };
  /** Where a setting was set, for messages about it (LoadedSettings.sourceOf). */
  sourceOf?: (fieldPath: string) => string;
  logger?: Logger;
}

/**
 * Reconnects soon after Redis comes back (the default backoff of BullMQ's connections grows to
 * 20 s): 200 ms, 400 ms, … at most 2 s apart.
 */
const RECONNECT = (attempt: number): number => Math.min(attempt * 200, 2_000);

export function createRedisConnections(options: RedisConnectionsOptions): RedisConnections {
  return new Connections(options);
}

/** How many replicas WAIT needs: the setting, or 1 with Sentinel and 0 on one node. */
export function effectiveMinReplicasAcked(redis: Pick<RedisSettings, 'minReplicasAcked' | 'sentinels'>): number {
  return redis.minReplicasAcked ?? (redis.sentinels.length > 0 ? 1 : 0);
}

class Connections implements RedisConnections {
  readonly display: string;
  readonly minReplicasAcked: number;
  readonly waitTimeoutMs: number;
  private readonly base: RedisOptions;
  private readonly open = new Set<Redis>();
  /** What BullMQ duplicated from a connection handed to it (a worker's two). */
  private readonly duplicates = new WeakMap<Redis, Set<Redis>>();
  private readonly logger: Logger | undefined;
  private readonly failureContext: FailureContext;
  private latestError: string | undefined;
  /** A watched connection was lost and its loss logged; its return is logged once too. */
  private lost = false;

  constructor(options: RedisConnectionsOptions) {
    const { redis } = options;
    const sourceOf = options.sourceOf ?? ((fieldPath: string) => `setting ${fieldPath}`);
    const urlCredentials = /^rediss?:\/\/[^/]*@/.test(redis.url);
    // "Where was it set" only for what someone set: a default (or an empty value) was set by nobody.
    const setBy = (fieldPath: string): string | undefined => {
      const source = sourceOf(fieldPath);
      return /default\.json$/.test(source) ? undefined : source;
    };
    this.logger = options.logger;
    this.minReplicasAcked = effectiveMinReplicasAcked(redis);
    this.waitTimeoutMs = redis.waitTimeoutMs;
    const common: RedisOptions = { connectTimeout: redis.commandTimeoutMs, retryStrategy: RECONNECT };

    if (redis.sentinels.length > 0) {
      const tls = tlsOptions(redis, sourceOf);
      this.display = `Sentinel "${redis.sentinelName}" via ${redis.sentinels.join(',')}${tls ? ' (TLS)' : ''}`;
      this.failureContext = { display: this.display, sentinel: true, sourceOf: setBy, credentials: { username: redis.username !== '', password: redis.password !== '', inUrl: false, sentinelPassword: redis.sentinelPassword !== '' } };
      this.base = {
        ...common,
        sentinels: redis.sentinels.map(parseHostPort),
        name: redis.sentinelName,
        ...(redis.sentinelUsername ? { sentinelUsername: redis.sentinelUsername } : {}),
        ...(redis.sentinelPassword ? { sentinelPassword: redis.sentinelPassword } : {}),
        ...(redis.username ? { username: redis.username } : {}),
        ...(redis.password ? { password: redis.password } : {}),
        // With a CA configured, every Sentinel and every node it names speaks TLS.
        ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
      };
      return;
    }

    const url = redis.url || options.embedded?.url;
    if (!url) throw new IntakeError('INTERNAL', 'No Redis to connect to: neither redis.url, redis.sentinels nor a private redis-server.');
    const parsed = new URL(url);
    const secure = parsed.protocol === 'rediss:';
    const tls = secure ? (tlsOptions(redis, sourceOf) ?? {}) : undefined;
    const db = Number(parsed.pathname.replace(/^\//, '') || '0');
    const username = redis.username || decodeURIComponent(parsed.username);
    const password = redis.password || decodeURIComponent(parsed.password) || options.embedded?.password || '';
    this.display = displayUrl(url);
    this.failureContext = {
      display: this.display,
      sentinel: false,
      sourceOf: setBy,
      credentials: { username: redis.username !== '', password: redis.password !== '', inUrl: urlCredentials, sentinelPassword: false },
    };
    this.base = {
      ...common,
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port ? Number(parsed.port) : 6379,
      ...(Number.isInteger(db) && db > 0 ? { db } : {}),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls } : {}),
    };
  }

  async checkAtStart(timeoutMs: number, keyPrefix: string): Promise<string | undefined> {
    const probe = this.client({ purpose: 'start-check', offlineQueue: false, maxRetriesPerRequest: 0 });
    try {
      const connected = new Promise<Error | undefined>((resolve) => {
        probe.once('ready', () => resolve(undefined));
        probe.once('error', (error: Error) => resolve(error));
      });
      let failure = await withTimeout(connected, timeoutMs, () => new RedisProbeFailure(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT'));
      if (!failure) {
        // Connected and signed in; an ACL user may still lack what the gateway needs, and a
        // replica refuses writes: one write as the gateway makes them (a script, a key of ours).
        failure = await withTimeout(
          probe.eval("return redis.call('SET', KEYS[1], '1', 'PX', 10000)", 1, `${keyPrefix}:start-check`).then(
            () => undefined,
            (error: unknown) => (error instanceof Error ? error : new RedisProbeFailure(String(error))),
          ),
          timeoutMs,
          () => new RedisProbeFailure(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT'),
        );
      }
      return failure ? explainStartFailure(failure, this.failureContext) : undefined;
    } finally {
      probe.disconnect();
    }
  }

  client(tuning: ConnectionTuning, extra: RedisOptions = {}): Redis {
    const client = new Redis({
      ...this.base,
      connectionName: `hezo:${tuning.purpose}`,
      enableAutoPipelining: tuning.autoPipelining ?? false,
      enableOfflineQueue: tuning.offlineQueue ?? true,
      maxRetriesPerRequest: tuning.maxRetriesPerRequest === undefined ? 1 : tuning.maxRetriesPerRequest,
      ...extra,
    });
    this.open.add(client);
    client.once('end', () => this.open.delete(client));
    // Every connection has an error listener (an 'error' event without one ends the process);
    // what went wrong is kept for /readyz and, for the watched one, logged once per outage —
    // once it was up: a Redis missing at start is told by checkAtStart()'s one line.
    let wasReady = false;
    client.on('error', (error: Error) => {
      this.latestError = describeRedisError(error);
      if (tuning.watched && wasReady && !this.lost) {
        this.lost = true;
        this.logger?.warn({ redis: this.display, reason: this.latestError }, `Redis at ${this.display} is not answering (${this.latestError}); requests get 503 until it is back, and the gateway reconnects by itself`);
      } else {
        this.logger?.debug({ redis: this.display, purpose: tuning.purpose, reason: this.latestError }, 'redis connection error');
      }
    });
    if (tuning.watched) {
      client.on('ready', () => {
        this.latestError = undefined;
        if (!wasReady) {
          wasReady = true;
          this.logger?.info({ redis: this.display }, `connected to Redis at ${this.display}`);
        }
        if (!this.lost) return;
        this.lost = false;
        this.logger?.info({ redis: this.display }, `Redis at ${this.display} answers again`);
      });
    }
    return client;
  }

  bullmq(purpose: string, kind: 'queue' | 'worker'): Redis {
    // A worker's connections wait through reconnects (BullMQ requires it of its blocking one); a
    // queue command fails after one, so that a caller is not held for the length of an outage.
    const tuning: ConnectionTuning = { purpose, maxRetriesPerRequest: kind === 'worker' ? null : 1 };
    // Connects at once, even a worker's (which works on its duplicates): BullMQ calls connect()
    // on a lazy connection, and when that first connect is refused (Redis not up yet) the worker
    // fails for good; a connection that is still trying is simply waited for.
    const handed = this.client(tuning);
    const made = new Set<Redis>();
    this.duplicates.set(handed, made);
    // BullMQ duplicates with its own connection name only; everything else stays ours.
    handed.duplicate = (override?: Partial<RedisOptions>): Redis => {
      const duplicate = this.client({ ...tuning, purpose: `${purpose}-${made.size + 1}` }, { ...(override?.connectionName ? { connectionName: `hezo:${purpose}:${override.connectionName}` } : {}) });
      made.add(duplicate);
      return duplicate;
    };
    return handed;
  }

  connected(client: Redis): boolean {
    return [client, ...(this.duplicates.get(client) ?? [])].some((member) => member.status === 'ready');
  }

  async close(client: Redis, ms: number): Promise<void> {
    const family = [client, ...(this.duplicates.get(client) ?? [])];
    await Promise.all(
      family.map(async (member) => {
        if (member.status === 'end') return;
        // QUIT on a connection that is not up waits in the offline queue for a Redis that may
        // never come back (Notifier.close() hung there for ever): drop it instead.
        if (member.status !== 'ready') {
          member.disconnect();
          return;
        }
        await closeWithin(() => member.quit(), ms, () => member.disconnect());
      }),
    );
  }

  lastError(): string | undefined {
    return this.latestError;
  }

  notConnected(): string[] {
    const waiting = [...this.open].filter((client) => client.status === 'connecting' || client.status === 'connect' || client.status === 'reconnecting');
    return [...new Set(waiting.map((client) => (client.options.connectionName ?? '').replace(/^hezo:/, '').split(':')[0] ?? ''))].sort();
  }

  disconnectAll(): void {
    for (const client of this.open) client.disconnect();
    this.open.clear();
  }
}

/** What the start-up check saw instead of an answer; read by explainStartFailure (its `code` as a socket error's). */
export class RedisProbeFailure extends InternalFailure {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super('RedisProbeFailure', message);
  }
}

/** The URL without its credentials: what may be printed and logged. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(an unparsable Redis URL)';
  }
}

/** A connection error as one short phrase: `connect ECONNREFUSED 10.0.0.1:6379`, `WRONGPASS ...`. */
export function describeRedisError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message.split('\n')[0] ?? '';
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function parseHostPort(hostPort: string): { host: string; port: number } {
  const at = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(at + 1)) };
}

function tlsOptions(redis: RedisSettings, sourceOf: (fieldPath: string) => string): TlsOptions | undefined {
  const { caFile, certFile, keyFile, servername } = redis.tls;
  if (!caFile && !certFile && !servername) return undefined;
  const read = (field: 'caFile' | 'certFile' | 'keyFile', file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new IntakeError('SETTINGS_INVALID', 'The settings are invalid; the gateway did not start. Fix:', {
        details: [{ path: `redis.tls.${field}`, file: sourceOf(`redis.tls.${field}`), message: `cannot read ${file}: ${(error as Error).message}` }],
      });
    }
  };
  return {
    ...(caFile ? { ca: read('caFile', caFile) } : {}),
    ...(certFile ? { cert: read('certFile', certFile), key: read('keyFile', keyFile) } : {}),
    ...(servername ? { servername } : {}),
  };
}

/**
 * Worker options every BullMQ worker of ours takes. `runRetryDelay`: after a connection error a
 * worker's loop waits this long before it tries again — BullMQ's 15 s meant a worker took up to
 * 15 s to resume after Redis came back, and a stop while Redis was away kept the process alive
 * that long after Gateway.stop() had returned (a timer that is not unref'd).
 */
export const WORKER_DEFAULTS = { runRetryDelay: 1_000 } as const;

/**
 * Closes a BullMQ Queue or Worker within `graceMs`, then the connection it was handed (with
 * the duplicates a worker made of it): what BullMQ did not release in time is dropped. Resolves
 * true when BullMQ closed in time.
 *
 * A worker whose Redis is not connected is closed with `force`: no job in hand can finish
 * without Redis anyway, and BullMQ's graceful close first waits for a connection that may never
 * come — and until that close ends, its lock-renewal timer keeps the process alive for ever.
 */
export async function closeBullmq(target: { close(force?: boolean): Promise<void> }, connection: Redis, connections: RedisConnections, graceMs: number): Promise<boolean> {
  const force = !connections.connected(connection);
  const closed = await closeWithin(() => target.close(force), graceMs, () => undefined);
  await connections.close(connection, closed ? 500 : 0);
  return closed;
}
