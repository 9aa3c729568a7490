/**
 * The embedded redis-server runs in a process group of its own (so that Ctrl-C in a terminal
 * reaches the gateway alone, which then drains before stopping Redis), which also means that
 * nothing takes it down when Node ends. Whatever way Node ends short of kill -9 — an uncaught
 * exception, process.exit() after a stop deadline or a second Ctrl-C — runs process.on('exit'),
 * and there, synchronously (nothing asynchronous runs any more), every server still running
 * is stopped: SIGTERM (Redis fsyncs its append-only file and exits) with SIGCONT in case it
 * was stalled, then SIGKILL for one that did not go within a second. After kill -9 of Node the
 * next start finds the orphan by its record instead (embedded-redis.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { waitForExitSync } from './process-identity.js';

const TERM_GRACE_MS = 1_000;

const running = new Set<ChildProcess>();
let installed = false;

/** Takes `child` down when this process exits, if it has not exited by then. */
export function stopAtExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!installed) {
    installed = true;
    process.on('exit', () => stopSync([...running]));
  }
}

/** Stops the children synchronously: SIGTERM (and SIGCONT), then SIGKILL after a grace. */
export function stopSync(children: readonly ChildProcess[]): void {
  const pids = children.filter((child) => child.exitCode === null && child.signalCode === null).map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
  for (const pid of pids) signal(pid, 'SIGTERM');
  if (waitForExitSync(pids, TERM_GRACE_MS)) return;
  for (const pid of pids) signal(pid, 'SIGKILL');
  waitForExitSync(pids, TERM_GRACE_MS);
}

/** Sends `name`, and SIGCONT so that a stopped (SIGSTOP) process acts on it. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
    if (name !== 'SIGKILL') process.kill(pid, 'SIGCONT');
  } catch {
    // Already gone.
  }
}
