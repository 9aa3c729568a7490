/**
 * A private redis-server for one test file: a free port, a temp dir, append-only on, so a test
 * can stop it and start it again on the same dir and port to prove what survives.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRedisConnections, type RedisSettings } from '../../src/redis/connections.js';
import { EmbeddedRedis } from '../../src/redis/embedded-redis.js';
import type { RedisConnections } from '../../src/redis/redis-connections.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';

export interface PrivateRedis {
  server: EmbeddedRedis;
  /** With the server's generated password in it: what REDIS_URL or a client takes. */
  url: string;
  /** Stops the server and removes its folder. */
  cleanup(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-redis-'));
  const server = await EmbeddedRedis.start({ dir });
  return {
    server,
    url: server.connectionUrl,
    async cleanup() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Connections to a test's Redis as the gateway makes them (src/redis/connections.ts): the
 * shipped redis defaults, the URL, and what a test overrides. Drop them with `disconnectAll()`.
 */
export function connectionsFor(url: string, overrides: Partial<RedisSettings> = {}): RedisConnections {
  const defaults = (JSON.parse(readFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.json'), 'utf8')) as { redis: RedisSettings }).redis;
  return createRedisConnections({ redis: { ...defaults, url, ...overrides } });
}
