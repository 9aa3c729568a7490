/**
 * Which process a pid recorded on disk names. A pid alone is not enough: after a reboot or a
 * busy day the kernel hands the same number to another process (a shell, a restart script
 * running the very same command line), and taking that one for a running gateway would refuse
 * every start, while taking it for our redis-server would signal a stranger. So a record keeps
 * the process's start time too (field 22 of /proc/<pid>/stat, in clock ticks since boot):
 * a pid together with its start time names one process for the life of the machine.
 * Where /proc is missing (macOS) only `kill(pid, 0)` is left, and the check is that weak.
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Start time from /proc (clock ticks since boot); absent where /proc is not there. */
  startTime?: string;
}

interface ProcStat {
  state: string;
  parentPid: number;
  startTime: string;
}

/** State, parent and start time of a process from /proc, or undefined (gone, or no /proc). */
function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, parentPid, startTime] = [fields[0], fields[1], fields[19]];
  if (state === undefined || parentPid === undefined || startTime === undefined) return undefined;
  return { state, parentPid: Number(parentPid), startTime };
}

/** This process, as a record on disk names it. */
export function ownIdentity(): ProcessIdentity {
  return identityOf(process.pid) ?? { pid: process.pid };
}

/** The identity of a running process, or undefined when no such process runs. */
export function identityOf(pid: number): ProcessIdentity | undefined {
  if (!signalable(pid)) return undefined;
  const stat = procStat(pid);
  if (stat?.state === 'Z') return undefined;
  return stat ? { pid, startTime: stat.startTime } : { pid };
}

/** Whether the process a record names still runs (not a zombie, not a later process on its pid). */
export function isRunning(identity: ProcessIdentity): boolean {
  const now = identityOf(identity.pid);
  if (!now) return false;
  if (identity.startTime === undefined || now.startTime === undefined) return true;
  return now.startTime === identity.startTime;
}

/** The parent of a running process (from /proc), or undefined. */
export function parentOf(pid: number): number | undefined {
  return procStat(pid)?.parentPid;
}

/** The command line of a running process (arguments joined by spaces), or '' when unreadable. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function signalable(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Blocks until the process has exited (or is a zombie: exited, not yet reaped by its parent,
 * and no longer holding its files or port), or `timeoutMs` has passed. Synchronous on purpose:
 * it also runs inside process.on('exit'), where nothing asynchronous runs any more.
 */
export function waitForExitSync(pids: readonly number[], timeoutMs: number): boolean {
  const until = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (pids.every((pid) => identityOf(pid) === undefined)) return true;
    if (Date.now() >= until) return false;
    Atomics.wait(pause, 0, 0, 10);
  }
}
