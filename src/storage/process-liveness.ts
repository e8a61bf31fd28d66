/**
 * Whether a process of this host that once took a lock is still that process, alive. `kill(pid, 0)`
 * alone says yes to two kinds of dead holder: a zombie (killed, not yet reaped by its parent; in a
 * container without an init, never reaped) and a pid the kernel has since given to another program.
 * On Linux, /proc/<pid>/stat tells both apart: its state field (Z or X: dead) and its start time
 * (field 22, clock ticks since boot), which a lock records when it is taken. Without /proc (macOS,
 * Windows) only `kill(pid, 0)` is asked, as before.
 */
import { readFileSync } from 'node:fs';

/** What /proc/<pid>/stat says of a process: its one-letter state and start time (clock ticks since boot, as text). */
export interface ProcStat {
  state: string;
  startTicks: string;
}

/**
 * Reads /proc/<pid>/stat; undefined when there is no such file (no /proc here, or no such pid). The
 * command name (field 2) is in parentheses and may itself hold spaces and parentheses, so fields are
 * counted from the last ')'.
 */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
  const state = fields[0];
  const startTicks = fields[19];
  if (!state || !startTicks || !/^\d+$/.test(startTicks)) return undefined;
  return { state, startTicks };
}

/** True when /proc describes processes here (Linux): then its absence for a pid means the pid is gone. */
function procIsMounted(): boolean {
  return readProcStat(process.pid) !== undefined;
}

/** The start time (clock ticks since boot) of this process, to record in a lock; undefined without /proc. */
export function ownStartTicks(): string | undefined {
  return readProcStat(process.pid)?.startTicks;
}

/**
 * True when process `pid` of this host is not (any more) the live process that recorded
 * `startTicks`: it does not exist, it is a zombie or dead (state Z or X), or the pid now belongs to a
 * process started at another time. `startTicks` undefined (a lock written before start times were
 * recorded, or on a host without /proc) skips the reuse check.
 */
export function processIsDead(pid: number, startTicks?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, owned by another user.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const stat = readProcStat(pid);
  if (!stat) return procIsMounted();
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return true;
  return startTicks !== undefined && stat.startTicks !== startTicks;
}
