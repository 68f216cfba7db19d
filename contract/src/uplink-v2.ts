/**
 * Telemetry payload version 2: columnar per poll batch, optionally deflated (issue 20).
 *
 * A v1 telemetry batch repeats every key and a 26-character id for each reading (≈ 190 B/reading).
 * A v2 batch carries one header (gateway, seq range, count) and one segment per poll batch: the
 * first seq and first event id of the segment (the others follow: seq + i, batchEventId(id, i)), a
 * time base, and one array per field. The JSON text may be sent as is or deflated (zlib, RFC 1950:
 * first byte 0x78, never `{`). The cloud expands it into exactly the v1 batch the same gateway would
 * have sent and validates that with TelemetryBatchSchema, so ids, seqs, acks, replay and alarms do
 * not depend on the encoding. A gateway sends v2 only after the cloud announced it (CloudStatus
 * `payloadVersions`); alarm-stream batches stay v1. docs/protocol.md describes the fields.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { batchEventId } from './batch-ids.ts';
import { MAX_PAYLOAD_BYTES, TelemetryBatchSchema, type TelemetryBatch, type TelemetryEvent } from './messages.ts';
import { ID_PATTERN, QUALITIES, readingValid, type Quality, type ReadingValue, type ReasonCode } from './reading.ts';

export const PAYLOAD_V2 = 2;
/** A deflated payload may expand to at most this (a small payload that inflates to gigabytes is refused). */
export const MAX_INFLATED_BYTES = 4 * 1024 * 1024;
/** Events per v2 batch: the same cap as a v1 telemetry batch. */
export const MAX_V2_EVENTS = 5000;
/** Quality codes on the wire: index into QUALITIES (0 good, 1 uncertain, 2 bad). */
export const QUALITY_CODES: Readonly<Record<Quality, number>> = { good: 0, uncertain: 1, bad: 2 };

/** One poll batch: n readings with contiguous seqs and ids. Optional columns are absent when empty. */
export interface TelemetrySegmentV2 {
  /** Seq of the first reading; reading i has seq + i. */
  seq: number;
  /** Event id of the first reading; reading i has batchEventId(id, i). */
  id: string;
  /** Readings in the segment; every column has exactly n entries. */
  n: number;
  /** Time base, epoch ms: sourceTime = t + st[i], gatewayTime = t + gt[i]. */
  t: number;
  /** Distinct point paths. */
  paths: string[];
  /** Index into paths per reading; absent when reading i is paths[i] (then paths has n entries). */
  p?: number[];
  val: ReadingValue[];
  /** QUALITY_CODES per reading. */
  q: number[];
  st: number[];
  gt: number[];
  /** Unit per reading (null = none). */
  u?: (string | null)[];
  /** Reason code per reading (null = none). */
  r?: (ReasonCode | null)[];
  /** Detail text per reading (null = none). */
  d?: (string | null)[];
  /** The reading's own historical flag (null = absent). */
  h?: (boolean | null)[];
  /** The whole segment is sent as historical (backlog or replay). */
  historical?: true;
}

export interface TelemetryBatchV2 {
  v: 2;
  gatewayId: string;
  stream: 'telemetry';
  /** Seq of the first and the last reading of the batch, and how many readings it holds. */
  firstSeq: number;
  lastSeq: number;
  count: number;
  discardedThrough?: number;
  segments: TelemetrySegmentV2[];
}

/** Encode a v2 batch: JSON text, or its deflated form. The header's seq range and count come from the segments. */
export function encodeTelemetryV2(
  gatewayId: string,
  segments: readonly TelemetrySegmentV2[],
  opts: { deflate: boolean; discardedThrough?: number | undefined },
): Buffer {
  const first = segments[0];
  const last = segments.at(-1);
  if (!first || !last) throw new Error('a v2 batch needs at least one segment');
  const count = segments.reduce((s, g) => s + g.n, 0);
  return encodeTelemetryV2Json(gatewayId, { firstSeq: first.seq, lastSeq: last.seq + last.n - 1, count }, JSON.stringify(segments), opts);
}

/**
 * Encode a v2 batch around segments already in JSON text (`[{…},…]`, the caller vouches for them and
 * for the header's seq range and count): the gateway splices its journal's columns in without parsing.
 */
export function encodeTelemetryV2Json(
  gatewayId: string,
  head: { firstSeq: number; lastSeq: number; count: number },
  segmentsJson: string,
  opts: { deflate: boolean; discardedThrough?: number | undefined },
): Buffer {
  const start = `{"v":${PAYLOAD_V2},"gatewayId":${JSON.stringify(gatewayId)},"stream":"telemetry","firstSeq":${head.firstSeq},"lastSeq":${head.lastSeq},"count":${head.count}`;
  const discarded = opts.discardedThrough === undefined ? '' : `,"discardedThrough":${opts.discardedThrough}`;
  const text = `${start}${discarded},"segments":${segmentsJson}}`;
  return opts.deflate ? deflateSync(text) : Buffer.from(text);
}

export type V2Failure = { ok: false; reason: 'oversized' | 'bad_compression' | 'not_json' | 'unknown_version' | 'invalid'; detail: string };

/** True when the payload is deflated (zlib header), i.e. certainly not v1 JSON. */
export function isDeflated(payload: Uint8Array): boolean {
  return payload.byteLength >= 2 && payload[0] === 0x78 && ((0x78 << 8) | payload[1]!) % 31 === 0;
}

/** Inflate a deflated payload within MAX_INFLATED_BYTES; other payloads are returned as they are. */
export function inflatePayload(payload: Uint8Array, maxBytes = MAX_INFLATED_BYTES): { ok: true; bytes: Uint8Array } | V2Failure {
  if (payload.byteLength > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'oversized', detail: `${payload.byteLength} bytes > ${MAX_PAYLOAD_BYTES}` };
  if (!isDeflated(payload)) return { ok: true, bytes: payload };
  try {
    return { ok: true, bytes: inflateSync(payload, { maxOutputLength: maxBytes }) };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      return { ok: false, reason: 'oversized', detail: `deflated payload inflates beyond ${maxBytes} bytes` };
    }
    return { ok: false, reason: 'bad_compression', detail: `deflate stream: ${err instanceof Error ? err.message : String(err)}` };
  }
}

class Bad extends Error {}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

function column(seg: Record<string, unknown>, key: string, n: number, where: string, required: boolean): unknown[] | undefined {
  const c = seg[key];
  if (c === undefined && !required) return undefined;
  if (!Array.isArray(c)) throw new Bad(`${where}.${key}: expected an array`);
  if (c.length !== n) throw new Bad(`${where}.${key}: ${c.length} entries, expected n = ${n}`);
  return c;
}

function intField(o: Record<string, unknown>, key: string, where: string, min: number): number {
  const x = o[key];
  if (!isInt(x) || x < min) throw new Bad(`${where}.${key}: expected an integer ≥ ${min}`);
  return x;
}

/** Readings of one segment as v1 telemetry events (checked for shape here, for content by the schema). */
function expandSegment(seg: unknown, where: string, out: TelemetryEvent[]): void {
  if (!isObj(seg)) throw new Bad(`${where}: expected an object`);
  const seq = intField(seg, 'seq', where, 1);
  const n = intField(seg, 'n', where, 1);
  const t = intField(seg, 't', where, 0);
  if (out.length + n > MAX_V2_EVENTS) throw new Bad(`${where}: more than ${MAX_V2_EVENTS} readings in the batch`);
  const id = seg['id'];
  if (typeof id !== 'string' || !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) throw new Bad(`${where}.id: must be a ULID`);
  const paths = seg['paths'];
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((x) => typeof x === 'string')) throw new Bad(`${where}.paths: expected a non-empty array of strings`);
  const p = column(seg, 'p', n, where, false);
  if (p === undefined && paths.length !== n) throw new Bad(`${where}.paths: ${paths.length} entries without p, expected n = ${n}`);
  const val = column(seg, 'val', n, where, true)!;
  const q = column(seg, 'q', n, where, true)!;
  const st = column(seg, 'st', n, where, true)!;
  const gt = column(seg, 'gt', n, where, true)!;
  const u = column(seg, 'u', n, where, false);
  const r = column(seg, 'r', n, where, false);
  const d = column(seg, 'd', n, where, false);
  const h = column(seg, 'h', n, where, false);
  const historical = seg['historical'];
  if (historical !== undefined && historical !== true) throw new Bad(`${where}.historical: expected true or absent`);
  for (let i = 0; i < n; i++) {
    const pi = p === undefined ? i : p[i];
    if (!isInt(pi) || pi < 0 || pi >= paths.length) throw new Bad(`${where}.p[${i}]: not an index into paths`);
    const qc = q[i];
    if (!isInt(qc) || qc < 0 || qc >= QUALITIES.length) throw new Bad(`${where}.q[${i}]: not a quality code (0-2)`);
    const ds = st[i];
    const dg = gt[i];
    if (!isInt(ds) || !isInt(dg)) throw new Bad(`${where}.st/gt[${i}]: expected integer ms offsets`);
    const e: Record<string, unknown> = {
      id: batchEventId(id, i),
      seq: seq + i,
      point: paths[pi],
      value: val[i],
      quality: QUALITIES[qc],
      sourceTime: t + ds,
      gatewayTime: t + dg,
    };
    if (u?.[i] != null) e['unit'] = u[i];
    if (r?.[i] != null) e['reason'] = r[i];
    if (d?.[i] != null) e['detail'] = d[i];
    if (historical === true) e['historical'] = true;
    else if (h?.[i] != null) e['historical'] = h[i];
    out.push(e as TelemetryEvent);
  }
}

/**
 * A parsed v2 telemetry batch as the v1 batch it stands for, validated by TelemetryBatchSchema.
 * Every problem is named (segment, column, index); nothing is coerced.
 */
export function telemetryV2ToV1(json: unknown): { ok: true; value: TelemetryBatch } | V2Failure {
  if (!isObj(json)) return { ok: false, reason: 'invalid', detail: '(root): expected an object' };
  if (json['v'] !== PAYLOAD_V2) return { ok: false, reason: 'unknown_version', detail: `v=${JSON.stringify(json['v']) ?? 'missing'}` };
  const events: TelemetryEvent[] = [];
  try {
    if (json['stream'] !== 'telemetry') throw new Bad('stream: v2 is for the telemetry stream only');
    const segments = json['segments'];
    if (!Array.isArray(segments) || segments.length === 0) throw new Bad('segments: expected a non-empty array');
    segments.forEach((s, k) => expandSegment(s, `segments[${k}]`, events));
    const firstSeq = intField(json, 'firstSeq', '(root)', 1);
    const lastSeq = intField(json, 'lastSeq', '(root)', 1);
    if (events.at(-1)!.seq > Number.MAX_SAFE_INTEGER) throw new Bad('segments: seq beyond the largest safe integer');
    const count = intField(json, 'count', '(root)', 1);
    if (count !== events.length) throw new Bad(`count: ${count}, but the segments hold ${events.length} readings`);
    if (firstSeq !== events[0]!.seq || lastSeq !== events.at(-1)!.seq) {
      throw new Bad(`firstSeq/lastSeq: ${firstSeq}..${lastSeq}, but the segments run ${events[0]!.seq}..${events.at(-1)!.seq}`);
    }
  } catch (err) {
    if (err instanceof Bad) return { ok: false, reason: 'invalid', detail: err.message };
    throw err;
  }
  const v1: Record<string, unknown> = { v: 1, gatewayId: json['gatewayId'], stream: 'telemetry', events };
  const discarded = json['discardedThrough'];
  if (discarded !== undefined) v1['discardedThrough'] = discarded;
  // Fast path: the same rules as the schema (readingValid is kept equal to ReadingSchema by a test; ids,
  // seqs and the flag were built above from checked parts). Anything else goes to the schema, which names it.
  const gatewayId = json['gatewayId'];
  if (typeof gatewayId === 'string' && ID_PATTERN.test(gatewayId) && (discarded === undefined || (isInt(discarded) && discarded >= 0)) && events.every(readingValid)) {
    return { ok: true, value: v1 as TelemetryBatch };
  }
  const parsed = TelemetryBatchSchema.safeParse(v1);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return { ok: false, reason: 'invalid', detail: first ? `${first.path.join('.') || '(root)'}: ${first.message}` : 'invalid' };
  }
  return { ok: true, value: parsed.data };
}

/** Inflate (when deflated), parse and expand a v2 telemetry payload. */
export function decodeTelemetryV2(payload: Uint8Array): { ok: true; value: TelemetryBatch } | V2Failure {
  const raw = inflatePayload(payload);
  if (!raw.ok) return raw;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw.bytes.buffer, raw.bytes.byteOffset, raw.bytes.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: err instanceof Error ? err.message : String(err) };
  }
  return telemetryV2ToV1(json);
}

/** The readings of one segment, as the gateway's journal holds them. */
export interface SegmentReading {
  point: string;
  value: ReadingValue;
  quality: Quality;
  sourceTime: number;
  gatewayTime: number;
  unit?: string | undefined;
  reason?: ReasonCode | undefined;
  detail?: string | undefined;
  historical?: boolean | undefined;
}

/** Build a segment from readings (the gateway side; the inverse of expandSegment). */
export function segmentOf(seq: number, id: string, readings: readonly SegmentReading[], historical: boolean): TelemetrySegmentV2 {
  const n = readings.length;
  let t = Number.MAX_SAFE_INTEGER;
  for (const r of readings) t = Math.min(t, r.sourceTime, r.gatewayTime);
  const paths: string[] = [];
  const index = new Map<string, number>();
  const p: number[] = new Array<number>(n);
  const val: ReadingValue[] = new Array<ReadingValue>(n);
  const q: number[] = new Array<number>(n);
  const st: number[] = new Array<number>(n);
  const gt: number[] = new Array<number>(n);
  let u: (string | null)[] | undefined;
  let r: (ReasonCode | null)[] | undefined;
  let d: (string | null)[] | undefined;
  let h: (boolean | null)[] | undefined;
  let inOrder = true;
  for (let i = 0; i < n; i++) {
    const x = readings[i]!;
    let pi = index.get(x.point);
    if (pi === undefined) {
      pi = paths.length;
      paths.push(x.point);
      index.set(x.point, pi);
    }
    if (pi !== i) inOrder = false;
    p[i] = pi;
    val[i] = x.value;
    q[i] = QUALITY_CODES[x.quality];
    st[i] = x.sourceTime - t;
    gt[i] = x.gatewayTime - t;
    if (x.unit !== undefined) (u ??= new Array<string | null>(n).fill(null))[i] = x.unit;
    if (x.reason !== undefined) (r ??= new Array<ReasonCode | null>(n).fill(null))[i] = x.reason;
    if (x.detail !== undefined) (d ??= new Array<string | null>(n).fill(null))[i] = x.detail;
    if (x.historical !== undefined) (h ??= new Array<boolean | null>(n).fill(null))[i] = x.historical;
  }
  const seg: TelemetrySegmentV2 = { seq, id, n, t, paths, val, q, st, gt };
  if (!inOrder) seg.p = p;
  if (u) seg.u = u;
  if (r) seg.r = r;
  if (d) seg.d = d;
  if (h) seg.h = h;
  if (historical) seg.historical = true;
  return seg;
}
