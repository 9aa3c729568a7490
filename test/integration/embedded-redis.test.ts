import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { IntakeError } from '../../src/errors.js';
import { EmbeddedRedis } from '../../src/redis/embedded-redis.js';

const dirs: string[] = [];
const servers: EmbeddedRedis[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hezo-embedded-'));
  dirs.push(dir);
  return dir;
}

describe('the private redis-server', () => {
  it('runs append-only with everysec fsync and noeviction, as production must', async () => {
    const server = await EmbeddedRedis.start({ dir: tempDir() });
    servers.push(server);
    const client = new Redis(server.url);
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    } finally {
      client.disconnect();
    }
  });

  it('keeps what was written across a stop and a restart on the same dir and port', async () => {
    const server = await EmbeddedRedis.start({ dir: tempDir() });
    servers.push(server);
    const client = new Redis(server.url, { maxRetriesPerRequest: null });
    try {
      await client.set('hezo:test', 'survives');
      const port = server.port;
      await server.stop();
      expect(server.running).toBe(false);
      await server.restart();
      expect(server.port).toBe(port);
      expect(await client.get('hezo:test')).toBe('survives');
    } finally {
      client.disconnect();
    }
  });

  it('stops an orphaned server left on the same folder before starting a new one', async () => {
    const dir = tempDir();
    const orphan = await EmbeddedRedis.start({ dir });
    const orphanPid = orphan.pid as number;
    const second = await EmbeddedRedis.start({ dir });
    servers.push(second, orphan);
    expect(() => process.kill(orphanPid, 0)).toThrow();
    expect(second.running).toBe(true);
    expect(existsSync(path.join(dir, 'embedded-redis.json'))).toBe(true);
  });

  it('refuses to start on a port another Redis holds, instead of taking that server for its own', async () => {
    const other = await EmbeddedRedis.start({ dir: tempDir() });
    servers.push(other);
    const error = await EmbeddedRedis.start({ dir: tempDir(), port: other.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).message).toMatch(/exited at start/);
  });

  it('says exactly what to install when redis-server is missing', async () => {
    const error = await EmbeddedRedis.start({ dir: tempDir(), executable: 'redis-server-not-installed' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).code).toBe('REDIS_MISSING');
    expect((error as IntakeError).message).toContain('apt-get install -y redis-server');
  });
});
