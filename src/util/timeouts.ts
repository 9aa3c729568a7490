/**
 * The one timeout helper of the code base (issue 17: there were five copies). Two shapes:
 * `withTimeout` gives a piece of work a deadline and says what to answer when it passes;
 * `closeWithin` gives a close() a deadline and stops the thing hard when it passes.
 *
 * The work itself is never cancelled — a promise cannot be — only no longer waited for. Its
 * late outcome is swallowed (Promise.race keeps a handler on it), so a command that fails
 * after its caller gave up never becomes an unhandled rejection.
 */

/**
 * Settles as `work` does, or — once `ms` have passed first — as `onTimeout()` does: return a
 * fallback value, or throw the error the caller should see. The timer does not hold the
 * process open.
 */
export async function withTimeout<T, F = never>(work: Promise<T>, ms: number, onTimeout: () => F | Promise<F>): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = Symbol('timed out');
  const deadline = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), Math.max(0, ms));
    timer.unref();
  });
  try {
    const outcome = await Promise.race([work, deadline]);
    if (outcome === timedOut) return await onTimeout();
    return outcome as T;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits up to `ms` for `close()`; when it has not settled by then, calls `hardStop()` (a
 * `disconnect()`, a socket destroy) and resolves anyway. A close that fails counts as closed:
 * what it could not release is released by the hard stop of whatever owns it, and a stop must
 * go on to the next component. Resolves true when it closed in time.
 *
 * Why closes need it: BullMQ's Worker.close() waits for its blocking connection, and right
 * after a Redis restart, while that connection still reconnects, it waited more than 20 s here;
 * against a stalled (SIGSTOPped) Redis, an ioredis quit() never answers. Jobs are at-least-once,
 * so a job cut off by the hard stop is picked up again as stalled by another worker.
 */
export async function closeWithin(close: () => Promise<unknown>, ms: number, hardStop: () => void): Promise<boolean> {
  let closing: Promise<unknown>;
  try {
    closing = close().catch(() => undefined);
  } catch {
    closing = Promise.resolve();
  }
  const closed = await withTimeout(closing.then(() => true), ms, () => false);
  if (!closed) {
    try {
      hardStop();
    } catch {
      // Already gone: nothing left to stop.
    }
  }
  return closed;
}

/**
 * A deadline shared by the steps of one stop: each step gets what is left of it, capped at
 * its own grace, so that a stalled step cannot eat the time of the steps after it.
 */
export class StopBudget {
  private readonly endsAt: number;

  constructor(totalMs: number) {
    this.endsAt = Date.now() + totalMs;
  }

  /** Milliseconds a step may take: its own cap or what is left, whichever is less (never below 0). */
  grace(capMs: number): number {
    return Math.max(0, Math.min(capMs, this.endsAt - Date.now()));
  }

  get spent(): boolean {
    return Date.now() >= this.endsAt;
  }
}
