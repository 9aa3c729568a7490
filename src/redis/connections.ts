/**
 * Builds the ioredis options of this deployment once — one node by URL (TLS when rediss://),
 * or a Sentinel group; ACL username and password; the private redis-server's URL and password
 * when no Redis is configured — and hands out every connection from them (the contract is in
 * ./redis-connections.ts).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { RedisOptions as BullConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { IntakeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Settings } from '../settings.js';
import { closeWithin } from '../util/timeouts.js';
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
  private readonly logger: Logger | undefined;
  private latestError: string | undefined;
  /** A watched connection was lost and its loss logged; its return is logged once too. */
  private lost = false;

  constructor(options: RedisConnectionsOptions) {
    const { redis } = options;
    const sourceOf = options.sourceOf ?? ((fieldPath: string) => `setting ${fieldPath}`);
    this.logger = options.logger;
    this.minReplicasAcked = effectiveMinReplicasAcked(redis);
    this.waitTimeoutMs = redis.waitTimeoutMs;
    const common: RedisOptions = { connectTimeout: redis.commandTimeoutMs, retryStrategy: RECONNECT };

    if (redis.sentinels.length > 0) {
      const tls = tlsOptions(redis, sourceOf);
      this.display = `Sentinel "${redis.sentinelName}" via ${redis.sentinels.join(',')}${tls ? ' (TLS)' : ''}`;
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

  client(tuning: ConnectionTuning): Redis {
    const client = new Redis({
      ...this.base,
      connectionName: `hezo:${tuning.purpose}`,
      enableAutoPipelining: tuning.autoPipelining ?? false,
      enableOfflineQueue: tuning.offlineQueue ?? true,
      maxRetriesPerRequest: tuning.maxRetriesPerRequest === undefined ? 1 : tuning.maxRetriesPerRequest,
    });
    this.open.add(client);
    client.once('end', () => this.open.delete(client));
    // Every connection has an error listener (an 'error' event without one ends the process);
    // what went wrong is kept for /readyz and, for the watched one, logged once per outage.
    client.on('error', (error: Error) => {
      this.latestError = describeRedisError(error);
      if (tuning.watched && !this.lost) {
        this.lost = true;
        this.logger?.warn({ redis: this.display, reason: this.latestError }, `Redis at ${this.display} is not answering (${this.latestError}); requests get 503 until it is back, and the gateway reconnects by itself`);
      } else {
        this.logger?.debug({ redis: this.display, purpose: tuning.purpose, reason: this.latestError }, 'redis connection error');
      }
    });
    if (tuning.watched) {
      client.on('ready', () => {
        this.latestError = undefined;
        if (!this.lost) return;
        this.lost = false;
        this.logger?.info({ redis: this.display }, `Redis at ${this.display} answers again`);
      });
    }
    return client;
  }

  bullmq(purpose: string, kind: 'queue' | 'worker'): BullConnectionOptions {
    // BullMQ declares its own (narrower) copy of the ioredis options type.
    const { retryStrategy: _retry, ...base } = this.base;
    return {
      ...base,
      retryStrategy: RECONNECT,
      connectionName: `hezo:${purpose}`,
      // A worker's blocking connection waits through reconnects (BullMQ requires it); a queue
      // command fails after one, so that a caller is not held for the length of an outage.
      maxRetriesPerRequest: kind === 'worker' ? null : 1,
    };
  }

  async close(client: Redis, ms: number): Promise<void> {
    if (client.status === 'end') return;
    // QUIT on a connection that is not up waits in the offline queue for a Redis that may never
    // come back (Notifier.close() hung there for ever): drop it instead.
    if (client.status !== 'ready') {
      client.disconnect();
      return;
    }
    await closeWithin(() => client.quit(), ms, () => client.disconnect());
  }

  lastError(): string | undefined {
    return this.latestError;
  }

  disconnectAll(): void {
    for (const client of this.open) client.disconnect();
    this.open.clear();
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
