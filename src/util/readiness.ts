/**
 * Readiness: every component that can make the gateway unable to take requests (Redis, the
 * contract registry, later each mailbox watcher) registers a check here, and `/readyz` reports
 * them all. A watcher that cannot reach its mailbox must show here — fetching never stops
 * silently (DESIGN.md section 5).
 */
import { withTimeout } from './timeouts.js';

/** The answer of one readiness check. */
export interface CheckResult {
  ok: boolean;
  /** What an operator needs to know, e.g. "PONG in 1 ms" or "connection refused". */
  detail: string;
}

export type ReadinessCheck = () => Promise<CheckResult> | CheckResult;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(private readonly timeoutMs = 1_000) {}

  /** Adds (or replaces) a named check. */
  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Runs every check at once; a check that throws or is slower than the timeout fails. */
  async report(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, CheckResult]> => {
        try {
          return [name, await withTimeout(Promise.resolve().then(check), this.timeoutMs, () => ({ ok: false, detail: `no answer within ${this.timeoutMs} ms` }))];
        } catch (error) {
          return [name, { ok: false, detail: error instanceof Error ? error.message : String(error) }];
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, result]) => result.ok), checks };
  }
}
