/**
 * Redis keeps every write in its append-only file (DESIGN.md section 6: appendonly yes), so a
 * value overwritten in memory is still on disk until the file is rewritten. After personal data
 * is removed, the file is rewritten (BGREWRITEAOF) and the rewrite waited for, so that the disk
 * holds only what memory holds. A managed Redis may refuse the command: that is reported, not
 * thrown (docs/privacy.md says what is then left on its disks).
 */
import type { Redis } from 'ioredis';

/** Rewrites the append-only file and waits for it; says what happened, in one line. */
export async function rewriteAppendOnlyFile(redis: Redis, timeoutMs = 60_000): Promise<string> {
  try {
    const enabled = /aof_enabled:1/.test(await redis.info('persistence'));
    if (!enabled) return 'not used (append-only persistence is off on this Redis)';
    await startRewrite(redis);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await redis.info('persistence');
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) {
        return /aof_last_bgrewrite_status:ok/.test(info) ? 'rewritten' : `rewrite failed (${/aof_last_bgrewrite_status:(\w+)/.exec(info)?.[1] ?? 'unknown'}); see the Redis log`;
      }
      if (Date.now() > deadline) return `rewrite still running after ${timeoutMs} ms; it finishes on its own`;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    return `not rewritten: ${(error as Error).message}`;
  }
}

async function startRewrite(redis: Redis): Promise<void> {
  try {
    await redis.bgrewriteaof();
  } catch (error) {
    // One already running started before our writes: wait for it, then start ours.
    if (!/already in progress/i.test((error as Error).message)) throw error;
    for (let i = 0; i < 600 && /aof_rewrite_in_progress:1/.test(await redis.info('persistence')); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.bgrewriteaof();
  }
}
