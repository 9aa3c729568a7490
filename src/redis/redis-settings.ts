/**
 * The `redis` settings: where Redis is and how to reach it, checked as a whole (url or Sentinels,
 * TLS, replicas). Part of src/settings.ts's schema; src/redis/connections.ts turns them into
 * connection options.
 */
import { z } from 'zod';

/** `host:port` of one Sentinel. */
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/, 'expected host:port, e.g. 10.0.0.5:26379');

/**
 * Where Redis is and how to reach it: one node by URL (redis:// or rediss://), or a Sentinel
 * group; credentials (ACL username and password) apart from the URL so that they can come from
 * files (REDIS_PASSWORD_FILE); and how many replicas must confirm a request before its source
 * is acknowledged (WAIT). The combinations are checked below; src/redis/connections.ts turns
 * these into connection options.
 */
export const redisSchema = z
  .object({
    /** redis:// or rediss:// (TLS). Empty, and no sentinels: start a private redis-server (the embedded default) with data in `embeddedDir`. */
    url: z.union([z.literal(''), z.string().regex(/^rediss?:\/\/[^\s]+$/, 'expected redis://host:port or rediss://host:port (or empty for the private redis-server)')]),
    embeddedDir: z.string().min(1),
    /** How long submit() waits for Redis before answering "unavailable, retry". */
    commandTimeoutMs: z.number().int().positive(),
    /** ACL user (Redis 6+); empty: the default user. Overrides a user in the URL. */
    username: z.string(),
    /** Overrides a password in the URL; prefer REDIS_PASSWORD_FILE to keep it out of files and `ps`. */
    password: z.string(),
    /** For rediss:// and for a Sentinel group over TLS (then every node and Sentinel speaks TLS). */
    tls: z
      .object({
        /** PEM file of the CA that signed the servers' certificates; empty: the system's CAs. */
        caFile: z.string(),
        /** A client certificate and its key (PEM), when the servers ask for one (`tls-auth-clients`). */
        certFile: z.string(),
        keyFile: z.string(),
        /** The name the servers' certificates carry, when it is not the host connected to. */
        servername: z.string(),
      })
      .strict(),
    /** Sentinels as host:port; set with `sentinelName` instead of `url`. */
    sentinels: z.array(hostPort),
    /** The name the Sentinels monitor the primary under (`sentinel monitor <name> ...`). */
    sentinelName: z.string(),
    /** The Sentinels' own ACL user and password (their `requirepass`), apart from the data nodes'. */
    sentinelUsername: z.string(),
    sentinelPassword: z.string(),
    /**
     * Replicas that must confirm a request's writes (WAIT) before its source is acknowledged.
     * null: 1 with Sentinel, 0 on one node.
     */
    minReplicasAcked: z.number().int().min(0).nullable(),
    /** How long a WAIT may take before the channel answers as when Redis is down (503, fallback, mail kept). */
    waitTimeoutMs: z.number().int().positive(),
  })
  .strict()
  .superRefine((redis, ctx) => {
    if (redis.sentinels.length > 0 && redis.sentinelName === '') {
      // Reported against the setting that was set (its source is named), not the missing one.
      ctx.addIssue({ code: 'custom', path: ['sentinels'], message: 'redis.sentinels is set but redis.sentinelName is empty: name the primary the Sentinels monitor' });
    }
    if (redis.sentinelName !== '' && redis.sentinels.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['sentinelName'], message: 'redis.sentinelName is set but redis.sentinels is empty: list the Sentinels (host:port)' });
    }
    if (redis.sentinels.length > 0 && redis.url !== '') {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'set either redis.url (one node) or redis.sentinels (a Sentinel group), not both' });
    }
    if ((redis.tls.certFile === '') !== (redis.tls.keyFile === '')) {
      ctx.addIssue({ code: 'custom', path: ['tls', redis.tls.certFile === '' ? 'certFile' : 'keyFile'], message: 'a client certificate needs both redis.tls.certFile and redis.tls.keyFile' });
    }
    const tlsSet = redis.tls.caFile !== '' || redis.tls.certFile !== '' || redis.tls.servername !== '';
    if (tlsSet && redis.url.startsWith('redis://')) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'redis.tls is set but the URL is redis:// (plain text): use rediss:// for TLS' });
    }
    if (tlsSet && redis.url === '' && redis.sentinels.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'redis.tls is set but no Redis is configured: the private redis-server speaks plain text on 127.0.0.1' });
    }
    if (redis.url === '' && redis.sentinels.length === 0 && (redis.minReplicasAcked ?? 0) > 0) {
      ctx.addIssue({ code: 'custom', path: ['minReplicasAcked'], message: 'the private redis-server (redis.url empty) has no replicas to confirm writes: use 0, or configure a Redis with replicas' });
    }
  });
