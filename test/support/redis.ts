/**
 * A private redis-server for one test file: a free port, a temp dir, append-only on, so a test
 * can stop it and start it again on the same dir and port to prove what survives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedRedis } from '../../src/redis/embedded-redis.js';

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
