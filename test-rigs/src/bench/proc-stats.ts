/** Process figures for benchmarks, read from /proc (Linux): another process's CPU, the load average. */
import { readFileSync } from 'node:fs';

/** CPU ms (user + system) a process has used so far; 0 when it is gone or /proc is unavailable. */
export function procCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** The 1, 5 and 15 minute load averages, e.g. "0.51 2.40 4.59" ('n/a' off Linux). */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}
