/** Readings and alarm events with current timestamps, journaled in bursts like a polling gateway would. */
import type { Reading } from '@safeloop/contract';
import type { Journal, NewAlarmEvent } from '@safeloop/gateway/journal/index';
import { SITE } from './harness.ts';

let counter = 0;

export function liveReading(device: number, point: number): Reading {
  const t = Date.now();
  counter += 1;
  return { point: `${SITE}/dev${device}/p${point}`, value: counter % 1000, unit: 'ppm', quality: 'good', sourceTime: t, gatewayTime: t };
}

export function liveAlarm(n: number): NewAlarmEvent {
  const t = Date.now();
  return {
    type: 'alarm',
    point: `${SITE}/gas${n % 5}/conc`,
    kind: n % 2 === 0 ? 'raised' : 'cleared',
    level: 'GAS_1',
    direction: 'high',
    limit: 25,
    value: 30,
    unit: 'ppm',
    quality: 'good',
    sourceTime: t,
    gatewayTime: t,
  };
}

/** One poll cycle: `points` readings, plus an alarm every `alarmEvery` cycles. */
export function pollCycle(journal: Journal, cycle: number, points: number, alarmEvery: number, notify: () => void): void {
  journal.appendTelemetry(Array.from({ length: points }, (_, i) => liveReading(i % 20, i)));
  if (cycle % alarmEvery === 0) journal.appendAlarmEvents([liveAlarm(cycle)]);
  notify();
}

/** Run poll cycles every `intervalMs` for `cycles` cycles. */
export async function pollFor(journal: Journal, opts: { cycles: number; points: number; alarmEvery: number; intervalMs: number; notify: () => void; onCycle?: (c: number) => Promise<void> | void }): Promise<void> {
  for (let c = 1; c <= opts.cycles; c++) {
    pollCycle(journal, c, opts.points, opts.alarmEvery, opts.notify);
    await opts.onCycle?.(c);
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
