/**
 * Batch payloads from journal rows. v1: one JSON object per event (both streams). v2 (telemetry only,
 * contract/src/uplink-v2.ts): one columnar segment per journal batch row, optionally deflated — the
 * row's stored columns go in as they are (gateway/src/journal/columns.ts), with the segment's seq, id
 * and historical flag around them; no per-reading id, JSON or object is built. Both cut the batch
 * until it fits.
 */
import { MAX_PAYLOAD_BYTES, PROTOCOL_VERSION, encodeTelemetryV2Json } from '@safeloop/contract';
import type { Stream } from '@safeloop/contract';
import { entryJson, sliceColumns } from '../journal/index.ts';
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
    out.push(s.count <= left ? s : { ...s, count: left, columns: sliceColumns(s.columns, 0, left) });
    left -= s.count;
  }
  return out;
}

/** A v2 segment's JSON text: the slice's columns object with seq and id first and the flag last. */
function segmentJson(s: TelemetrySlice, historical: boolean): string {
  return `{"seq":${s.firstSeq},"id":"${s.firstId}",${s.columns.slice(1, -1)}${historical ? ',"historical":true' : ''}}`;
}

/** v2 telemetry batch, at most `maxBytes` on the wire (halved until it fits; one reading always goes). */
export function encodeV2(slices: readonly TelemetrySlice[], o: EncodeOptions & { deflate: boolean; maxBytes: number }): EncodedBatch {
  let take: readonly TelemetrySlice[] = slices;
  let count = slices.reduce((n, s) => n + s.count, 0);
  for (;;) {
    const segments = `[${take.map((s) => segmentJson(s, o.historical || s.gatewayTime < o.cutoff)).join(',')}]`;
    const last = take.at(-1)!;
    const head = { firstSeq: take[0]!.firstSeq, lastSeq: last.firstSeq + last.count - 1, count };
    const payload = encodeTelemetryV2Json(o.gatewayId, head, segments, { deflate: o.deflate, discardedThrough: o.discardedThrough });
    if (payload.byteLength <= Math.min(o.maxBytes, MAX_PAYLOAD_BYTES) || count === 1) {
      return { payload, bytes: payload.byteLength, fromSeq: head.firstSeq, toSeq: head.lastSeq, count };
    }
    count = Math.max(1, Math.floor(count / 2));
    take = firstReadings(take, count);
  }
}
