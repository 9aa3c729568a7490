/** CPU time that benchmarks report beside their rates: unlike req/s, it does not depend on what else the machine runs. */
import type { Redis } from 'ioredis';

/** redis-server's user + system CPU so far, in milliseconds (INFO cpu). */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}

/** What redis-server has done so far: CPU, Lua script calls, and every command (inside scripts too). */
export interface RedisWork {
  cpuMs: number;
  scripts: number;
  commands: number;
}

/**
 * A snapshot of INFO cpu and INFO commandstats. `commands` counts what scripts run inside them
 * and leaves out the scripts themselves and INFO (the snapshots' own calls).
 */
export async function redisWork(redis: Redis): Promise<RedisWork> {
  const cpuMs = await redisCpuMs(redis);
  const stats = await redis.info('commandstats');
  let scripts = 0;
  let commands = 0;
  for (const [, name, calls] of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name === 'evalsha' || name === 'eval' || name === 'fcall') scripts += Number(calls);
    else if (name !== 'info') commands += Number(calls);
  }
  return { cpuMs, scripts, commands };
}

/** The difference of two snapshots, per request. */
export function redisWorkPer(before: RedisWork, after: RedisWork, requests: number): RedisWork {
  return {
    cpuMs: (after.cpuMs - before.cpuMs) / requests,
    scripts: (after.scripts - before.scripts) / requests,
    commands: (after.commands - before.commands) / requests,
  };
}
