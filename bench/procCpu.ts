/**
 * CPU time of processes, read from /proc (Linux), for the scale-out rows' CPU per request: the
 * kernel's `utime + stime` of a process (fields 14 and 15 of /proc/<pid>/stat, every thread of
 * the process summed, in clock ticks) read before and after a measured window. The difference,
 * divided by the requests answered in the window, is the CPU each request cost that process
 * (what a capacity model turns into requests per core: 1000 ÷ CPU ms per request).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on every common Linux). */
export function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/**
 * utime + stime of `pid` in clock ticks, from the text of /proc/<pid>/stat: "pid (comm) state
 * ppid ..."; comm may hold spaces and parentheses, so the fields are counted after the last ')'
 * (there, field 3 "state" is index 0, so utime (14) and stime (15) are indexes 11 and 12).
 */
export function ticksOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc stat line: ${stat.slice(0, 80)}`);
  return utime + stime;
}

/** utime + stime of each pid, in clock ticks; null for a pid that is gone (or where there is no /proc). */
export function cpuTicks(pids: number[], procDir = '/proc'): Map<number, number | null> {
  const ticks = new Map<number, number | null>();
  for (const pid of pids) {
    try {
      ticks.set(pid, ticksOfStat(fs.readFileSync(path.join(procDir, String(pid), 'stat'), 'utf8')));
    } catch {
      ticks.set(pid, null);
    }
  }
  return ticks;
}

/**
 * CPU seconds the processes used between two readings of `cpuTicks`: the sum over the pids of
 * (after − before) ÷ ticks per second. Null when any pid could not be read at either end (a
 * process that died or was replaced in the window: its CPU is unknown, so the sum would be short).
 */
export function cpuSecondsBetween(before: Map<number, number | null>, after: Map<number, number | null>, ticksPerSecond: number): number | null {
  let ticks = 0;
  for (const [pid, start] of before) {
    const end = after.get(pid);
    if (start === null || end === null || end === undefined) return null;
    ticks += end - start;
  }
  return ticks / ticksPerSecond;
}

/** CPU milliseconds per request: `seconds` × 1000 ÷ `requests`, to 3 decimals; null without requests or CPU time. */
export function cpuMsPerRequest(seconds: number | null, requests: number): number | null {
  if (seconds === null || requests <= 0) return null;
  return Math.round(((seconds * 1000) / requests) * 1000) / 1000;
}

/** Requests one core serves at that cost: 1000 ÷ CPU ms per request (the capacity model's unit); null when unknown or zero. */
export function requestsPerCore(msPerRequest: number | null): number | null {
  if (msPerRequest === null || msPerRequest <= 0) return null;
  return Math.round(1000 / msPerRequest);
}
