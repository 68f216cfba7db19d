/**
 * Batch payloads from journal rows. v1: one JSON object per event (both streams). v2 (telemetry only,
 * contract/src/uplink-v2.ts): one columnar segment per journal batch row, optionally deflated — no
 * per-reading id string and no per-reading event JSON is built. Both cut the batch until it fits.
 */
import { MAX_PAYLOAD_BYTES, PROTOCOL_VERSION, encodeTelemetryV2, segmentOf } from '@safeloop/contract';
import type { SegmentReading, Stream } from '@safeloop/contract';
import { entryJson } from '../journal/index.ts';
import type { JournalEntry, TelemetrySlice } from '../journal/index.ts';

export interface EncodedBatch {
  payload: string | Buffer;
  bytes: number;
  fromSeq: number;
  toSeq: number;
  count: number;
}

export interface EncodeOptions {
  gatewayId: string;
  /** Every event is sent as historical (replay). */
  historical: boolean;
  /** Rows journaled before this (epoch ms) are sent as historical (backlog). */
  cutoff: number;
  /** Telemetry only: the discard point to announce, when it is ahead of the ack. */
  discardedThrough: number | undefined;
}

/** v1 batch; drops rows from the end until it fits MAX_PAYLOAD_BYTES. */
export function encodeV1(stream: Stream, rows: readonly JournalEntry[], o: EncodeOptions): EncodedBatch {
  const discarded = o.discardedThrough === undefined ? '' : `"discardedThrough":${o.discardedThrough},`;
  let take = rows;
  for (;;) {
    const events = take.map((r) => entryJson(r, o.historical || r.gatewayTime < o.cutoff)).join(',');
    const payload = `{"v":${PROTOCOL_VERSION},"gatewayId":${JSON.stringify(o.gatewayId)},"stream":"${stream}",${discarded}"events":[${events}]}`;
    const bytes = Buffer.byteLength(payload);
    if (bytes <= MAX_PAYLOAD_BYTES || take.length === 1) {
      return { payload, bytes, fromSeq: take[0]!.seq, toSeq: take.at(-1)!.seq, count: take.length };
    }
    take = take.slice(0, Math.max(1, Math.floor(take.length / 2)));
  }
}

/** The first `n` readings of the slices. */
function firstReadings(slices: readonly TelemetrySlice[], n: number): TelemetrySlice[] {
  const out: TelemetrySlice[] = [];
  let left = n;
  for (const s of slices) {
    if (left <= 0) break;
    out.push(s.bodies.length <= left ? s : { ...s, bodies: s.bodies.slice(0, left) });
    left -= s.bodies.length;
  }
  return out;
}

/** v2 telemetry batch, at most `maxBytes` on the wire (halved until it fits; one reading always goes). */
export function encodeV2(slices: readonly TelemetrySlice[], o: EncodeOptions & { deflate: boolean; maxBytes: number }): EncodedBatch {
  let take: readonly TelemetrySlice[] = slices;
  let count = slices.reduce((n, s) => n + s.bodies.length, 0);
  for (;;) {
    // The journal's bodies are reading JSON it validated at append: one parse per slice, not per reading.
    const segments = take.map((s) =>
      segmentOf(s.firstSeq, s.firstId, JSON.parse(`[${s.bodies.join(',')}]`) as SegmentReading[], o.historical || s.gatewayTime < o.cutoff),
    );
    const payload = encodeTelemetryV2(o.gatewayId, segments, { deflate: o.deflate, discardedThrough: o.discardedThrough });
    if (payload.byteLength <= Math.min(o.maxBytes, MAX_PAYLOAD_BYTES) || count === 1) {
      const last = take.at(-1)!;
      return { payload, bytes: payload.byteLength, fromSeq: take[0]!.firstSeq, toSeq: last.firstSeq + last.bodies.length - 1, count };
    }
    count = Math.max(1, Math.floor(count / 2));
    take = firstReadings(take, count);
  }
}
