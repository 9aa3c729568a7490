/**
 * How `hezo-intake serve` ends on SIGTERM or SIGINT. The first signal starts the orderly stop
 * (drain, close, stop the private Redis). Whatever state Redis is in — gone, stalled, coming
 * back — the process must end soon after: a supervisor (systemd, Docker, a person at Ctrl-C)
 * waits about 10 s before killing with -9, and a kill -9 of Node leaves the private
 * redis-server behind. So a deadline runs from the first signal; when it passes, the process
 * exits with one line naming what was still open, and exit-guard.ts takes the private
 * redis-server down on the way out. A second signal means "now": exit at once, the same way.
 */
import { constants } from 'node:os';

/** What is left of the 10 s after the deadline: exit-guard.ts gives Redis 1 s after SIGTERM, 1 s after SIGKILL. */
export const STOP_DEADLINE_MS = 7_800;
/** The exit code when the deadline ended the process: the drain did not finish. */
const EXIT_DEADLINE = 1;

export interface ShutdownSignalsOptions {
  stderr: NodeJS.WritableStream;
  deadlineMs?: number;
}

export class ShutdownSignals {
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly first: Promise<NodeJS.Signals>;
  private resolveFirst: (signal: NodeJS.Signals) => void = () => undefined;
  private received = 0;
  private deadline: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly deadlineMs: number;

  constructor(private readonly options: ShutdownSignalsOptions) {
    this.deadlineMs = options.deadlineMs ?? STOP_DEADLINE_MS;
    this.first = new Promise((resolve) => (this.resolveFirst = resolve));
    // Listened for from the start: a signal while the gateway starts would otherwise end Node
    // at once, before it could stop the redis-server it had spawned.
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /**
   * The orderly stop has finished. The process should now end by itself; the deadline stays,
   * unreferenced, for a connection or timer that would keep it alive regardless.
   */
  markStopped(): void {
    this.stopped = true;
    this.deadline?.unref();
  }

  /** Stops listening (the command ends without a stop to supervise, e.g. a refused start). */
  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    clearTimeout(this.deadline);
  }

  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.received += 1;
    if (this.received === 1) {
      this.deadline = setTimeout(() => this.deadlinePassed(), this.deadlineMs);
      this.resolveFirst(signal);
      return;
    }
    this.options.stderr.write(`hezo-intake: second ${signal}: exiting now, without waiting for the orderly stop\n`);
    process.exit(128 + constants.signals[signal]);
  };

  private deadlinePassed(): void {
    const seconds = this.deadlineMs / 1000;
    const open = describeOpenResources();
    this.options.stderr.write(
      this.stopped
        ? `hezo-intake: stopped, but ${open} still kept the process alive ${seconds} s after the signal; exiting\n`
        : `hezo-intake: the orderly stop did not finish within ${seconds} s (still open: ${open}); exiting without it\n`,
    );
    process.exit(EXIT_DEADLINE);
  }
}

const RESOURCE_NAMES: Record<string, string> = {
  TCPSocketWrap: 'connection',
  TCPServerWrap: 'listening socket',
  Timeout: 'timer',
  ProcessWrap: 'child process',
  PipeWrap: 'pipe',
  FSReqCallback: 'file operation',
};

/** "4 connections, 2 timers": what keeps the event loop running, as Node counts it. */
function describeOpenResources(): string {
  const counts = new Map<string, number>();
  for (const resource of process.getActiveResourcesInfo()) {
    const name = RESOURCE_NAMES[resource] ?? resource;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  if (counts.size === 0) return 'nothing Node can name';
  return [...counts].map(([name, count]) => `${count} ${name}${count === 1 ? '' : 's'}`).join(', ');
}
