/**
 * A real Redis Sentinel group from redis-server, for tests and the fault suite: a primary,
 * its replicas (`replicaof`) and Sentinels (`redis-server <conf> --sentinel`), each on a free
 * port in a temp folder of its own, with optional passwords — the data nodes' (`requirepass`,
 * and `masterauth` so that a demoted primary can follow the new one; the Sentinels learn it
 * with `sentinel auth-pass`) and the Sentinels' own (`requirepass` on them, `sentinel
 * sentinel-pass` so that they can talk to each other).
 *
 * Failover is quick on purpose: a node is down after `downAfterMs` (default 1 s) and a failover
 * may take `failoverTimeoutMs` (default 3 s); a kill -9 of the primary is usually followed by a
 * promotion within 3 to 6 s here.
 *
 * ```ts
 * const group = await startSentinelGroup({ replicas: 2, password: 'data-secret', sentinelPassword: 'sentinel-secret' });
 * // gateway settings: group.redisSettings() (or REDIS_SENTINELS=group.sentinelList() ...)
 * const old = await group.killPrimary();        // kill -9
 * const promoted = await group.waitForPromotion(old);
 * await group.restart(old);                      // comes back as a replica of `promoted`
 * await group.cleanup();
 * ```
 */
import { Redis } from 'ioredis';
import { RedisNode } from './redis-node.js';

export interface SentinelGroupOptions {
  /** Replicas of the primary (default 1). */
  replicas?: number;
  /** Sentinels (default 3; quorum is a majority). 0: a primary and replicas only, no Sentinel. */
  sentinels?: number;
  /** The name the primary is monitored under (default `hezo`). */
  name?: string;
  /** The data nodes' password (requirepass and masterauth). */
  password?: string;
  /** The Sentinels' own password. */
  sentinelPassword?: string;
  downAfterMs?: number;
  failoverTimeoutMs?: number;
}

export interface SentinelGroup {
  name: string;
  /** The data nodes: [0] is the first primary, then the replicas. Which one is primary now: currentPrimary(). */
  nodes: RedisNode[];
  sentinels: RedisNode[];
  /** The Sentinels as `host:port`, comma-separated (REDIS_SENTINELS). */
  sentinelList(): string;
  /** The `redis` settings a gateway needs for this group (without minReplicasAcked). */
  redisSettings(): { sentinels: string[]; sentinelName: string; password: string; sentinelPassword: string };
  /** A client of the node on `port` (with the data password); disconnect it after use. */
  clientOf(node: RedisNode): Redis;
  /** The primary as the Sentinels report it. */
  currentPrimary(): Promise<RedisNode>;
  /** kill -9 of the current primary; returns it (restart it with restart()). */
  killPrimary(): Promise<RedisNode>;
  /** Waits until the Sentinels name another primary than `old` and it answers as primary. */
  waitForPromotion(old: RedisNode, timeoutMs?: number): Promise<RedisNode>;
  /** Waits until the current primary has `count` replicas online (all Sentinels agree). */
  waitForReplicas(count: number, timeoutMs?: number): Promise<void>;
  /** Starts a stopped or killed node again on its folder and port. */
  restart(node: RedisNode): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<SentinelGroup> {
  const name = options.name ?? 'hezo';
  const password = options.password ?? '';
  const sentinelPassword = options.sentinelPassword ?? '';
  const auth = password ? [`requirepass ${password}`, `masterauth ${password}`] : [];
  const started: RedisNode[] = [];
  const cleanup = async (): Promise<void> => {
    await Promise.all(started.map((node) => node.cleanup().catch(() => undefined)));
  };
  try {
    const primary = await RedisNode.start({ config: auth, ...(password ? { password } : {}) });
    started.push(primary);
    const replicas: RedisNode[] = [];
    for (let i = 0; i < (options.replicas ?? 1); i++) {
      const replica = await RedisNode.start({ config: [...auth, `replicaof 127.0.0.1 ${primary.port}`], ...(password ? { password } : {}) });
      started.push(replica);
      replicas.push(replica);
    }
    const nodes = [primary, ...replicas];
    const sentinels: RedisNode[] = [];
    const count = options.sentinels ?? 3;
    for (let i = 0; i < count; i++) {
      const sentinel = await RedisNode.start({
        sentinel: true,
        config: [
          // Addresses as numbers: a Sentinel announcing "localhost" would be another node.
          'sentinel resolve-hostnames no',
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} ${Math.floor(count / 2) + 1}`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3000}`,
          `sentinel parallel-syncs ${name} 1`,
          ...(password ? [`sentinel auth-pass ${name} ${password}`] : []),
          ...(sentinelPassword ? [`requirepass ${sentinelPassword}`, `sentinel sentinel-pass ${sentinelPassword}`] : []),
        ],
        ...(sentinelPassword ? { password: sentinelPassword } : {}),
      });
      started.push(sentinel);
      sentinels.push(sentinel);
    }

    const clientOf = (node: RedisNode): Redis =>
      new Redis({ port: node.port, host: '127.0.0.1', ...(password ? { password } : {}), lazyConnect: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    const askSentinels = async <T>(ask: (client: Redis) => Promise<T>): Promise<T[]> =>
      Promise.all(
        sentinels.map(async (sentinel) => {
          const client = new Redis({ port: sentinel.port, host: '127.0.0.1', ...(sentinelPassword ? { password: sentinelPassword } : {}), maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
          client.on('error', () => undefined);
          try {
            return await ask(client);
          } finally {
            client.disconnect();
          }
        }),
      );
    const nodeOnPort = (port: number): RedisNode => {
      const found = nodes.find((node) => node.port === port);
      if (!found) throw new Error(`no node of this group listens on ${port}`);
      return found;
    };
    const primaryPort = async (): Promise<number> => {
      if (sentinels.length === 0) return primary.port;
      const [answer] = await askSentinels((client) => client.call('SENTINEL', 'get-master-addr-by-name', name) as Promise<[string, string] | null>);
      return Number(answer?.[1]);
    };
    const role = async (node: RedisNode): Promise<string> => {
      const client = clientOf(node);
      client.on('error', () => undefined);
      try {
        return /role:(\w+)/.exec(await client.info('replication'))?.[1] ?? '';
      } catch {
        return 'down';
      } finally {
        client.disconnect();
      }
    };
    const poll = async <T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> => {
      const until = Date.now() + timeoutMs;
      let last: unknown;
      while (Date.now() < until) {
        try {
          const answer = await attempt();
          if (answer !== undefined) return answer;
        } catch (error) {
          last = error;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    };

    const group: SentinelGroup = {
      name,
      nodes,
      sentinels,
      sentinelList: () => sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(','),
      redisSettings: () => ({ sentinels: sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`), sentinelName: name, password, sentinelPassword }),
      clientOf,
      currentPrimary: async () => nodeOnPort(await primaryPort()),
      async killPrimary() {
        const current = nodeOnPort(await primaryPort());
        await current.kill();
        return current;
      },
      waitForPromotion: (old, timeoutMs = 30_000) =>
        poll('promotion of a new primary', timeoutMs, async () => {
          const ports = await askSentinels((client) => client.call('SENTINEL', 'get-master-addr-by-name', name) as Promise<[string, string] | null>);
          const port = Number(ports[0]?.[1]);
          if (port === old.port || ports.some((answer) => Number(answer?.[1]) !== port)) return undefined;
          const promoted = nodeOnPort(port);
          return (await role(promoted)) === 'master' ? promoted : undefined;
        }),
      waitForReplicas: (count, timeoutMs = 30_000) =>
        poll(`${count} replica(s) online`, timeoutMs, async () => {
          const current = nodeOnPort(await primaryPort());
          const client = clientOf(current);
          client.on('error', () => undefined);
          try {
            const online = ((await client.info('replication')).match(/^slave\d+:.*state=online/gm) ?? []).length;
            if (online < count) return undefined;
          } finally {
            client.disconnect();
          }
          if (sentinels.length === 0) return true;
          // And every Sentinel knows them (and the other Sentinels), so a failover can be decided.
          const views = await askSentinels(async (client) => Object.fromEntries(chunk((await client.call('SENTINEL', 'master', name)) as string[])));
          return views.every((view) => Number(view['num-slaves']) >= count && Number(view['num-other-sentinels']) >= sentinels.length - 1) ? true : undefined;
        }).then(() => undefined),
      restart: (node) => node.restart(),
      cleanup,
    };
    await group.waitForReplicas(replicas.length);
    return group;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function chunk(flat: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] as string, flat[i + 1] as string]);
  return pairs;
}
