/**
 * The synthetic uplink load of the ingest benchmarks: GATEWAYS gateways × POINTS_PER_GATEWAY gas points,
 * batches of BATCH readings, pre-serialised, values below every limit of the tank-farm template.
 */
import { topics, type TelemetryEvent } from '@safeloop/contract';
import { newId } from '../test/ingest/helpers.ts';

export const BATCH = 500;
export const GATEWAYS = 16;
export const POINTS_PER_GATEWAY = 1000;

/** Pre-serialised batches per gateway, round-robin over its points, seqs from 1. */
export function makeBatches(batchesPerGateway: number): { topic: string; payload: Buffer }[][] {
  const t0 = Date.now() - 3600_000;
  return Array.from({ length: GATEWAYS }, (_, g) =>
    Array.from({ length: batchesPerGateway }, (_, b) => {
      const events: TelemetryEvent[] = Array.from({ length: BATCH }, (_, k) => {
        const n = b * BATCH + k;
        const t = t0 + n * 5;
        return { id: newId(t), seq: n + 1, point: `site${g}/GT-${n % POINTS_PER_GATEWAY}/lel`, value: 5 + (n % 7), unit: '%LEL', quality: 'good', sourceTime: t, gatewayTime: t };
      });
      return { topic: topics.up(`gw${g}`, 'telemetry'), payload: Buffer.from(JSON.stringify({ v: 1, gatewayId: `gw${g}`, stream: 'telemetry', events })) };
    }),
  );
}
