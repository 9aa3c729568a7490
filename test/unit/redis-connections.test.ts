import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedisConnections, displayUrl, effectiveMinReplicasAcked, type RedisSettings } from '../../src/redis/connections.js';
import { DEFAULT_CONFIG_DIR } from '../../src/settings.js';

const defaults = (JSON.parse(readFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.json'), 'utf8')) as { redis: RedisSettings }).redis;
const settings = (overrides: Partial<RedisSettings>): RedisSettings => ({ ...defaults, ...overrides });

describe('the Redis connection factory', () => {
  it('never shows credentials in the display form of a URL', () => {
    expect(displayUrl('redis://gateway:s3cret@10.0.0.1:6379/2')).toBe('redis://10.0.0.1:6379/2');
    expect(displayUrl('rediss://:s3cret@redis.internal:6380')).toBe('rediss://redis.internal:6380');
    const connections = createRedisConnections({ redis: settings({ url: 'redis://gateway:s3cret@10.0.0.1:6379', password: 'other' }) });
    expect(connections.display).toBe('redis://10.0.0.1:6379');
    expect(JSON.stringify(connections.display)).not.toContain('s3cret');
  });

  it('names a Sentinel group by its primary and Sentinels', () => {
    const connections = createRedisConnections({ redis: settings({ sentinels: ['10.0.0.5:26379', '10.0.0.6:26379'], sentinelName: 'hezo', sentinelPassword: 'x' }) });
    expect(connections.display).toBe('Sentinel "hezo" via 10.0.0.5:26379,10.0.0.6:26379');
  });

  it('hands BullMQ workers connections that wait through reconnects, and queues ones that fail after one', () => {
    const connections = createRedisConnections({ redis: settings({ url: 'redis://10.0.0.1:6379', username: 'gateway', password: 's3cret' }) });
    try {
      const worker = connections.bullmq('dispatcher', 'worker');
      expect(worker.options).toMatchObject({ host: '10.0.0.1', port: 6379, username: 'gateway', password: 's3cret', maxRetriesPerRequest: null, connectionName: 'hezo:dispatcher' });
      // What BullMQ duplicates from it is ours too (and dropped with it).
      expect(worker.duplicate().options).toMatchObject({ username: 'gateway', password: 's3cret', maxRetriesPerRequest: null });
      expect(connections.bullmq('board', 'queue').options).toMatchObject({ maxRetriesPerRequest: 1 });
    } finally {
      connections.disconnectAll();
    }
  });

  it('takes the settings credentials over those in the URL, and the private server’s password last', () => {
    const options = (redis: Partial<RedisSettings>, embedded?: { url: string; password: string }) => {
      const connections = createRedisConnections({ redis: settings(redis), ...(embedded ? { embedded } : {}) });
      const { options: made } = connections.bullmq('x', 'queue');
      connections.disconnectAll();
      return made;
    };
    expect(options({ url: 'redis://urluser:urlpass@10.0.0.1:6379' })).toMatchObject({ username: 'urluser', password: 'urlpass' });
    expect(options({ url: 'redis://urluser:urlpass@10.0.0.1:6379', username: 'gateway', password: 'setting' })).toMatchObject({ username: 'gateway', password: 'setting' });
    expect(options({}, { url: 'redis://127.0.0.1:6390', password: 'generated' })).toMatchObject({ host: '127.0.0.1', port: 6390, password: 'generated' });
  });

  it('needs one replica to confirm with Sentinel and none on one node, unless set', () => {
    expect(effectiveMinReplicasAcked({ minReplicasAcked: null, sentinels: ['h:1'] })).toBe(1);
    expect(effectiveMinReplicasAcked({ minReplicasAcked: null, sentinels: [] })).toBe(0);
    expect(effectiveMinReplicasAcked({ minReplicasAcked: 2, sentinels: [] })).toBe(2);
    expect(effectiveMinReplicasAcked({ minReplicasAcked: 0, sentinels: ['h:1'] })).toBe(0);
  });

  it('refuses an unreadable CA file as a settings error naming redis.tls.caFile and its source', () => {
    const make = () =>
      createRedisConnections({
        redis: settings({ url: 'rediss://redis.internal:6380', tls: { caFile: '/nonexistent/ca.pem', certFile: '', keyFile: '', servername: '' } }),
        sourceOf: () => 'environment REDIS_TLS_CA_FILE',
      });
    expect(make).toThrow(expect.objectContaining({ code: 'SETTINGS_INVALID', details: [expect.objectContaining({ path: 'redis.tls.caFile', file: 'environment REDIS_TLS_CA_FILE' })] }));
  });
});
