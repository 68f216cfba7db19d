/** Shared helpers for the field I/O tests: a recording sink, polling waits, device instances. */
import type { Logger, Reading } from '@safeloop/contract';
import { DeviceInstanceSchema, type DeviceInstance } from '../../src/field/config.ts';
import { scaledTimeout } from '@safeloop/test-rigs/test-time';

export interface Recorder {
  readonly readings: Reading[];
  sink: (rs: readonly Reading[]) => void;
  /** Readings of one point (path suffix `device/point`). */
  of(devicePoint: string): Reading[];
  last(devicePoint: string): Reading | undefined;
  clear(): void;
}

export function recorder(): Recorder {
  const readings: Reading[] = [];
  const of = (dp: string): Reading[] => readings.filter((r) => r.point.endsWith(`/${dp}`));
  return {
    readings,
    sink: (rs) => {
      readings.push(...rs);
    },
    of,
    last: (dp) => of(dp).at(-1),
    clear: () => {
      readings.length = 0;
    },
  };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + scaledTimeout(timeoutMs);
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out after ${scaledTimeout(timeoutMs)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function device(raw: Record<string, unknown>): DeviceInstance {
  return DeviceInstanceSchema.parse(raw);
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A Logger that keeps what it is told, for tests that assert on operator-facing messages. */
export function capturingLogger(entries: LogEntry[] = []): Logger & { entries: LogEntry[] } {
  const make = (bindings: Record<string, unknown>): Logger => ({
    debug: (obj, msg) => entries.push({ level: 'debug', obj: { ...bindings, ...obj }, msg }),
    info: (obj, msg) => entries.push({ level: 'info', obj: { ...bindings, ...obj }, msg }),
    warn: (obj, msg) => entries.push({ level: 'warn', obj: { ...bindings, ...obj }, msg }),
    error: (obj, msg) => entries.push({ level: 'error', obj: { ...bindings, ...obj }, msg }),
    child: (b) => make({ ...bindings, ...b }),
  });
  return Object.assign(make({}), { entries });
}
