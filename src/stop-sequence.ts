/**
 * What Gateway.stop() runs, bounded in every Redis state (issue 16: with Redis gone, a stop
 * used to hang on a worker's close and then for ever on the notifier's QUIT).
 *
 * Each component registers its close when it starts, under a phase. Phases run in order; the
 * steps of one phase run at once, so that components stalled on the same dead Redis wait
 * together, not one after another. Every step gets what is left of one overall deadline,
 * capped at its own grace, and is expected to stop hard (disconnect) when its grace is over;
 * a step that still has not finished by then is left behind and logged. Whatever connection is
 * still open at the end is dropped by the `connections` phase.
 */
import type { Logger } from './logger.js';
import { closeWithin, StopBudget } from './util/timeouts.js';

/**
 * - `serving`: stop taking work and finish what is in hand — the HTTP server, the ops page's
 *   streams, the phone spool, the mailbox watchers, the queue workers.
 * - `intake`: then what in-flight requests still used — submit()'s connections, the general client.
 * - `connections`: drop every Redis connection still open.
 * - `processes`: the private redis-server and the registry watcher.
 */
export type StopPhase = 'serving' | 'intake' | 'connections' | 'processes';
const PHASES: readonly StopPhase[] = ['serving', 'intake', 'connections', 'processes'];

/** Gateway.stop() ends within this, whatever Redis does: inside the CLI's deadline (shutdown-signals.ts, 7.8 s), which leaves the exit guard its 2 s of the 10 s. */
export const STOP_BUDGET_MS = 6_500;

interface StopStep {
  phase: StopPhase;
  what: string;
  capMs: number;
  close: (graceMs: number) => unknown;
}

export class StopSequence {
  private readonly steps: StopStep[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly budgetMs = STOP_BUDGET_MS,
  ) {}

  /** Registers a close: it gets at most `capMs` (less when the overall deadline is nearer). */
  add(phase: StopPhase, what: string, capMs: number, close: (graceMs: number) => unknown): void {
    this.steps.push({ phase, what, capMs, close });
  }

  /** Runs every registered step once (a second call waits for the first). */
  run(): Promise<void> {
    this.running ??= this.runOnce();
    return this.running;
  }

  private async runOnce(): Promise<void> {
    const budget = new StopBudget(this.budgetMs);
    for (const phase of PHASES) {
      const steps = this.steps.filter((step) => step.phase === phase);
      await Promise.all(
        steps.map(async (step) => {
          const grace = budget.grace(step.capMs);
          this.logger.debug({ step: step.what, graceMs: grace }, 'stopping');
          // A little past the step's own grace: the step stops hard at its grace; this only
          // catches one that does not, so that the next phase is not held by it.
          const stopped = await closeWithin(async () => step.close(grace), grace + 100, () => undefined);
          if (!stopped) this.logger.warn({ step: step.what, graceMs: grace }, 'did not stop in time; left behind');
        }),
      );
    }
  }
}
