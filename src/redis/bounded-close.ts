/**
 * BullMQ's Worker.close() waits for the blocking connection; right after a Redis restart,
 * while that connection is still reconnecting, it can wait indefinitely (seen here: more than
 * 20 s after a restart, immediately after a close). A stop must not hang on it: jobs are
 * at-least-once, so a job cut off here is picked up again as stalled by another worker.
 * Known: a close abandoned this way can later end in an unhandled "Connection is closed"
 * rejection inside BullMQ/ioredis once the process is tearing down (seen once under CI load).
 */
export async function boundedClose(close: () => Promise<unknown>, graceMs: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
    timer.unref();
  });
  const closing = close().then(
    () => 'closed' as const,
    () => 'closed' as const,
  );
  const result = await Promise.race([closing, timedOut]);
  clearTimeout(timer);
  if (result === 'timeout') onTimeout();
}
