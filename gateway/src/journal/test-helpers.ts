/** Builders for journal and uplink tests and benches (not used by production code). */
import type { Reading } from '@safeloop/contract';
import type { NewAlarmEvent } from './alarm-bodies.ts';

export const T0 = 1_760_000_000_000;

export function reading(i: number, opts: Partial<Reading> = {}): Reading {
  return {
    point: `site1/dev${i % 10}/p${i % 1000}`,
    value: i * 0.5,
    unit: 'ppm',
    quality: 'good',
    sourceTime: T0 + i,
    gatewayTime: T0 + i,
    ...opts,
  };
}

export function alarm(i: number, opts: Partial<NewAlarmEvent> = {}): NewAlarmEvent {
  return {
    type: 'alarm',
    point: `site1/gas${i % 10}/conc`,
    kind: i % 2 === 0 ? 'raised' : 'cleared',
    level: 'GAS_1',
    direction: 'high',
    limit: 25,
    value: 30 + i,
    unit: 'ppm',
    quality: 'good',
    sourceTime: T0 + i,
    gatewayTime: T0 + i,
    ...opts,
  };
}
