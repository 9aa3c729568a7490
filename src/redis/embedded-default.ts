/**
 * The embedded default as `serve` runs it when REDIS_URL is unset: the data folder's lock
 * first (data-folder-lock.ts: a second gateway on the folder is refused before it touches
 * anything), then a supervised private redis-server whose restarts are logged, one line each.
 */
import type { Logger } from '../logger.js';
import { DataFolderLock, type LockRecord } from './data-folder-lock.js';
import { EmbeddedRedis, type RestartReport } from './embedded-redis.js';
import { readRedisRecord } from './redis-files.js';

export interface EmbeddedDefault {
  server: EmbeddedRedis;
  /** Records the HTTP address in the lock, for the message a second start prints. */
  listening(httpUrl: string): void;
  /** Stops the server (never restarted after this) and releases the lock. */
  stop(): Promise<void>;
}

export async function startEmbeddedDefault(dir: string, logger: Logger): Promise<EmbeddedDefault> {
  const lock = await DataFolderLock.acquire(dir, (owner) => describeOwner(dir, owner));
  try {
    const server = await EmbeddedRedis.start({ dir, ownProcessGroup: true, onRestart: (report) => logRestart(logger, report) });
    // A stop signal means the gateway is going down: a Redis exit from then on (systemd signals
    // the whole service at once) is not restarted. Only beside a listener that stops the
    // gateway (serve's): a lone listener would take away the signal's default, ending Node.
    const goingDown = (): void => server.endSupervision();
    for (const name of ['SIGTERM', 'SIGINT'] as const) {
      if (process.listenerCount(name) > 0) process.on(name, goingDown);
    }
    return {
      server,
      listening: (httpUrl) => lock.recordHttpUrl(httpUrl),
      async stop() {
        process.off('SIGTERM', goingDown);
        process.off('SIGINT', goingDown);
        try {
          await server.stop();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** "pid 4242, port 8080, Redis port 40123": what a second start needs to find the first. */
function describeOwner(dir: string, owner: LockRecord): string {
  const parts = [`pid ${owner.pid}`];
  if (owner.httpUrl) parts.push(`port ${new URL(owner.httpUrl).port || owner.httpUrl}`);
  else parts.push('not listening yet');
  const redis = readRedisRecord(dir);
  if (redis) parts.push(`Redis port ${redis.port}`);
  return parts.join(', ');
}

function logRestart(logger: Logger, report: RestartReport): void {
  const { port, attempt, exit, failure, nextTryMs } = report;
  if (failure === undefined) {
    logger.warn({ port, attempt, exit }, `the private redis-server ${exit}; restarted it on port ${port} (attempt ${attempt})`);
  } else {
    logger.error({ port, attempt, exit, nextTryMs }, `the private redis-server ${exit}; restart attempt ${attempt} on port ${port} failed (${failure}); trying again in ${nextTryMs} ms`);
  }
}
