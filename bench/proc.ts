/** Memory of a process and its descendants, from /proc (Linux), for the bench's RSS column. */
import { readFileSync } from 'node:fs';

function status(pid: number): { now: number; peak: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
    return { now: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return { now: 0, peak: 0 };
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * RSS now and peak (VmHWM) in MB of the largest process in `pid`'s tree: `npm run digest`
 * sends from a grandchild (npm → tsx → node), a worker from the process itself.
 */
export function treeRssMb(pid: number): { now: number; peak: number } {
  let best = status(pid);
  for (const child of childrenOf(pid)) {
    const r = treeRssMb(child);
    if (r.peak > best.peak) best = r;
  }
  return best;
}

/** CPU seconds (user + system) used so far by `pid` and its live descendants. */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks = Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
  let seconds = ticks / 100;
  for (const child of childrenOf(pid)) seconds += treeCpuSeconds(child);
  return seconds;
}
