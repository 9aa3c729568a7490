/** CPU time that benchmarks report beside their rates: unlike req/s, it does not depend on what else the machine runs. */
import type { Redis } from 'ioredis';

/** redis-server's user + system CPU so far, in milliseconds (INFO cpu). */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}
