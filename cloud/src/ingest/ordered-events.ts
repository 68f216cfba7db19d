/**
 * Effects (rules, edge alarms) apply in sequence order, exactly once: when the ack of a stream
 * advances from `from` to `to`, the events with seq in (from, to] are applied — those in the batch
 * at hand, plus any that arrived earlier above a gap and waited in the store. So a clear delivered
 * before its raise (shared subscriptions reorder) never leaves an alarm open, and a reading never
 * drives a rule twice. Stored rows are read from the stream's current epoch only.
 */
import type { AlarmStreamEvent, Quality, ReasonCode, TelemetryEvent } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import { decodeValue } from '../store/telemetry-store.ts';

interface RawRow {
  id: string;
  point: string;
  seq: number;
  value_num: number | null;
  value_json: string | null;
  quality: string;
  reason: string | null;
  detail: string | null;
  source_time: number;
  gateway_time: number;
  historical: number;
}

function covered<E extends { seq: number }>(inHand: readonly E[], from: number, to: number): { inRange: E[]; complete: boolean } {
  const inRange = inHand.filter((e) => e.seq > from && e.seq <= to);
  return { inRange, complete: new Set(inRange.map((e) => e.seq)).size >= to - from };
}

function bySeq<E extends { seq: number }>(events: E[]): E[] {
  const seen = new Set<number>();
  return events.sort((a, b) => a.seq - b.seq).filter((e) => (seen.has(e.seq) ? false : (seen.add(e.seq), true)));
}

export async function telemetryToApply(tx: SqlDb, gatewayId: string, epoch: number, from: number, to: number, inHand: readonly TelemetryEvent[]): Promise<TelemetryEvent[]> {
  if (to <= from) return [];
  const { inRange, complete } = covered(inHand, from, to);
  if (complete) return bySeq(inRange);
  const have = new Set(inRange.map((e) => e.seq));
  const rows = await tx.query<RawRow>(
    `SELECT id, point, seq, value_num, value_json, quality, reason, detail, source_time, gateway_time, historical
     FROM telemetry_raw WHERE gateway_id = $1 AND epoch = $4 AND seq > $2 AND seq <= $3 ORDER BY seq`,
    [gatewayId, from, to, epoch],
  );
  const stored: TelemetryEvent[] = rows
    .filter((r) => !have.has(Number(r.seq)))
    .map((r) => ({
      id: r.id,
      seq: Number(r.seq),
      point: r.point,
      value: decodeValue(r.value_num, r.value_json),
      quality: r.quality as Quality,
      ...(r.reason ? { reason: r.reason as ReasonCode } : {}),
      ...(r.detail ? { detail: r.detail } : {}),
      sourceTime: Number(r.source_time),
      gatewayTime: Number(r.gateway_time),
      ...(Number(r.historical) === 1 ? { historical: true } : {}),
    }));
  return bySeq([...inRange, ...stored]);
}

export async function alarmEventsToApply(tx: SqlDb, gatewayId: string, epoch: number, from: number, to: number, inHand: readonly AlarmStreamEvent[]): Promise<AlarmStreamEvent[]> {
  if (to <= from) return [];
  const { inRange, complete } = covered(inHand, from, to);
  if (complete) return bySeq(inRange);
  const have = new Set(inRange.map((e) => e.seq));
  const rows = await tx.query<{ seq: number; body: string }>('SELECT seq, body FROM edge_events WHERE gateway_id = $1 AND epoch = $4 AND seq > $2 AND seq <= $3 ORDER BY seq', [
    gatewayId,
    from,
    to,
    epoch,
  ]);
  const stored = rows.filter((r) => !have.has(Number(r.seq))).map((r) => JSON.parse(r.body) as AlarmStreamEvent);
  return bySeq([...inRange, ...stored]);
}
