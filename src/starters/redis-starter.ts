/**
 * Redis for this process: the private redis-server when none is configured, the one connection
 * factory every client comes from, and the check at start that tells once what is wrong with
 * a Redis that does not answer (the gateway runs on and connects in the background).
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { createRedisConnections } from '../redis/connections.js';
import { startEmbeddedDefault, type EmbeddedDefault } from '../redis/embedded-default.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { Settings } from '../settings.js';
import type { StopSequence } from '../stop-sequence.js';
import { withTimeout } from '../util/timeouts.js';

export interface StartedRedis {
  connections: RedisConnections;
  /** The private redis-server, when REDIS_URL (and Sentinel) is unset. */
  embeddedDefault: EmbeddedDefault | undefined;
  /** The one plain line saying what failed at start, or undefined when Redis answered. */
  redisProblem: string | undefined;
  connected(what: Promise<unknown>): Promise<void>;
  /** A client whose close is registered in the `intake` phase. */
  connect(purpose: string, autoPipelining: boolean, watched?: boolean): Redis;
}

export async function startRedis(
  settings: Readonly<Settings>,
  sourceOf: (fieldPath: string) => string,
  logger: Logger,
  stopping: StopSequence,
): Promise<StartedRedis> {
  let embedded: { url: string; password: string | undefined } | undefined;
  let embeddedDefault: EmbeddedDefault | undefined;
  if (!settings.redis.url && settings.redis.sentinels.length === 0) {
    const started = await startEmbeddedDefault(settings.redis.embeddedDir, logger);
    embeddedDefault = started;
    stopping.add('processes', 'private redis-server', 3_000, () => started.stop());
    // The generated password goes to the connection factory, never into a URL that is logged.
    embedded = { url: started.server.url, password: started.server.password };
    logger.info({ dir: started.server.dir, port: started.server.port }, 'started a private redis-server (REDIS_URL is unset)');
  }
  const connections = createRedisConnections({ redis: settings.redis, sourceOf, logger, ...(embedded ? { embedded } : {}) });
  // Whatever a close left open (or a stop cut short) is dropped here.
  stopping.add('connections', 'Redis connections', 0, () => connections.disconnectAll());
  // Never blocks on a Redis that is not there: it is told once, and everything below connects
  // in the background. Only a Redis that refuses us (password, certificate) stops the start.
  const redisProblem = await connections.checkAtStart(settings.redis.commandTimeoutMs + 500, settings.intake.prefix);
  if (redisProblem) logger.warn({ redis: connections.display }, redisProblem);
  const connected = async (what: Promise<unknown>): Promise<void> => {
    if (redisProblem) {
      what.catch(() => undefined);
      return;
    }
    await withTimeout(what.then(() => undefined), settings.redis.commandTimeoutMs * 2, () => undefined);
  };
  const connect = (purpose: string, autoPipelining: boolean, watched = false): Redis => {
    const client = connections.client({ purpose, autoPipelining, watched });
    stopping.add('intake', `redis client ${purpose}`, 1_000, (grace) => connections.close(client, grace));
    return client;
  };
  return { connections, embeddedDefault, redisProblem, connected, connect };
}
