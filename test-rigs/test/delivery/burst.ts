/** Readings and alarm events with current timestamps, journaled in bursts like a polling gateway would. */
import { randomBytes } from 'node:crypto';
import type { Reading } from '@safeloop/contract';
import type { Journal, NewAlarmEvent } from '@safeloop/gateway/journal/index';
import { SITE } from './harness.ts';

let counter = 0;

/** `noisy`: with a random detail, so the journal's deflated rows stay about as large as the text. */
export function liveReading(device: number, point: number, noisy = false): Reading {
  const t = Date.now();
  counter += 1;
  const r: Reading = { point: `${SITE}/dev${device}/p${point}`, value: counter % 1000, unit: 'ppm', quality: 'good', sourceTime: t, gatewayTime: t };
  if (noisy) r.detail = randomBytes(72).toString('base64');
  return r;
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
export function pollCycle(journal: Journal, cycle: number, points: number, alarmEvery: number, notify: () => void, noisy = false): void {
  journal.appendTelemetry(Array.from({ length: points }, (_, i) => liveReading(i % 20, i, noisy)));
  if (cycle % alarmEvery === 0) journal.appendAlarmEvents([liveAlarm(cycle)]);
  notify();
}

/** Run poll cycles every `intervalMs` for `cycles` cycles. */
export async function pollFor(
  journal: Journal,
  opts: { cycles: number; points: number; alarmEvery: number; intervalMs: number; notify: () => void; onCycle?: (c: number) => Promise<void> | void; noisy?: boolean },
): Promise<void> {
  for (let c = 1; c <= opts.cycles; c++) {
    pollCycle(journal, c, opts.points, opts.alarmEvery, opts.notify, opts.noisy);
    await opts.onCycle?.(c);
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
