/** Test helpers for the bridge tests: a logger that records, a reading collector, polling waits. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, Reading } from '@safeloop/contract';
import { scaledTimeout } from '../../src/test-time.ts';

export interface LogEntry {
  level: string;
  msg: string | undefined;
  fields: Record<string, unknown>;
}

export function recordingLogger(entries: LogEntry[] = [], bindings: Record<string, unknown> = {}): Logger & { entries: LogEntry[] } {
  const at = (level: string) => (obj: object, msg?: string) => {
    entries.push({ level, msg, fields: { ...bindings, ...(obj as Record<string, unknown>) } });
  };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => recordingLogger(entries, { ...bindings, ...b }),
  };
}

export function collector(): { readings: Reading[]; sink: (r: readonly Reading[]) => void } {
  const readings: Reading[] = [];
  return { readings, sink: (r) => readings.push(...r) };
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + scaledTimeout(timeoutMs);
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
