import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { BatchIdGenerator, batchEventId } from './batch-ids.ts';
import { TelemetryBatchSchema, type TelemetryEvent } from './messages.ts';
import {
  MAX_INFLATED_BYTES,
  decodeTelemetryV2,
  encodeTelemetryV2,
  isDeflated,
  segmentOf,
  type SegmentReading,
  type TelemetrySegmentV2,
} from './uplink-v2.ts';

const T = 1_764_000_000_000;
const ids = new BatchIdGenerator();

function readings(n: number, shape: (i: number) => Partial<SegmentReading> = () => ({})): SegmentReading[] {
  return Array.from({ length: n }, (_, i) => ({
    point: `site1/dev${i % 3}/p${i}`,
    value: Math.round(i * 1.7 * 10) / 10,
    quality: 'good' as const,
    sourceTime: T + i,
    gatewayTime: T + i + 5,
    ...shape(i),
  }));
}

/** The v1 events the same readings become (what the gateway's v1 encoder sends). */
function v1Events(seq: number, id: string, rs: readonly SegmentReading[], historical: boolean): TelemetryEvent[] {
  return rs.map((r, i) => {
    const e: Record<string, unknown> = { id: batchEventId(id, i), seq: seq + i, point: r.point, value: r.value, quality: r.quality, sourceTime: r.sourceTime, gatewayTime: r.gatewayTime };
    if (r.unit !== undefined) e['unit'] = r.unit;
    if (r.reason !== undefined) e['reason'] = r.reason;
    if (r.detail !== undefined) e['detail'] = r.detail;
    if (historical) e['historical'] = true;
    else if (r.historical !== undefined) e['historical'] = r.historical;
    return TelemetryBatchSchema.shape.events.element.parse(e);
  });
}

for (const deflate of [false, true]) {
  test(`v2 round trip (${deflate ? 'deflated' : 'plain'}): the cloud gets exactly the v1 events, ids and seqs`, () => {
    const a = readings(500, (i) => (i % 7 === 0 ? { value: null, quality: 'bad', reason: 'timeout', detail: 'no answer' } : { unit: 'ppm' }));
    const b = readings(3, (i) => ({ point: 'site1/devX/flag', value: i === 1, quality: i === 2 ? 'uncertain' : 'good', historical: i === 0 }));
    const c = readings(2, () => ({ value: 'RUN' }));
    const idA = ids.take(T, a.length);
    const idB = ids.take(T, b.length);
    const idC = ids.take(T, c.length);
    const segs = [segmentOf(10, idA, a, false), segmentOf(510, idB, b, false), segmentOf(513, idC, c, true)];
    const payload = encodeTelemetryV2('gw-1', segs, { deflate, discardedThrough: 4 });
    assert.equal(isDeflated(payload), deflate);
    const r = decodeTelemetryV2(payload);
    assert.ok(r.ok, r.ok ? '' : r.detail);
    assert.equal(r.value.gatewayId, 'gw-1');
    assert.equal(r.value.discardedThrough, 4);
    assert.deepEqual(r.value.events, [...v1Events(10, idA, a, false), ...v1Events(510, idB, b, false), ...v1Events(513, idC, c, true)]);
    assert.equal(new Set(r.value.events.map((e) => e.id)).size, 505);
  });
}

test('v2 is much smaller than v1 for a poll batch, and deflate shrinks it further', () => {
  const rs = readings(1000, () => ({ point: undefined as unknown as string, unit: 'ppm' })).map((r, i) => ({ ...r, point: `plant7/gd-01/ch${i}` }));
  const id = ids.take(T, rs.length);
  const v1 = Buffer.byteLength(JSON.stringify({ v: 1, gatewayId: 'gw', stream: 'telemetry', events: v1Events(1, id, rs, false) }));
  const plain = encodeTelemetryV2('gw', [segmentOf(1, id, rs, false)], { deflate: false }).byteLength;
  const deflated = encodeTelemetryV2('gw', [segmentOf(1, id, rs, false)], { deflate: true }).byteLength;
  assert.ok(plain < v1 / 2, `plain v2 ${plain} B vs v1 ${v1} B`);
  assert.ok(deflated < plain / 3, `deflated ${deflated} B vs plain ${plain} B`);
});

function segs(): TelemetrySegmentV2[] {
  const rs = readings(4);
  return [segmentOf(1, ids.take(T, 4), rs, false)];
}

function reject(payload: Buffer | string, reason: string, detail: RegExp): void {
  const r = decodeTelemetryV2(typeof payload === 'string' ? Buffer.from(payload) : payload);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.reason, reason, r.detail);
  assert.match(r.detail, detail);
}

test('a truncated payload is refused with an error naming the problem', () => {
  const deflated = encodeTelemetryV2('gw', segs(), { deflate: true });
  reject(deflated.subarray(0, deflated.length - 6), 'bad_compression', /deflate stream: unexpected end of file/);
  const plain = encodeTelemetryV2('gw', segs(), { deflate: false });
  reject(plain.subarray(0, plain.length - 10), 'not_json', /JSON/);
});

test('an inflate bomb is refused without inflating it all', () => {
  const bomb = deflateSync(Buffer.alloc(MAX_INFLATED_BYTES * 4, 0x20));
  assert.ok(bomb.length < 64 * 1024);
  reject(bomb, 'oversized', /inflates beyond 4194304 bytes/);
});

test('a column of the wrong length, a bad index or a bad code is named', () => {
  const base = JSON.parse(encodeTelemetryV2('gw', segs(), { deflate: false }).toString()) as Record<string, unknown> & { segments: Record<string, unknown>[] };
  const variant = (f: (s: Record<string, unknown>) => void): string => {
    const copy = structuredClone(base);
    f(copy.segments[0]!);
    return JSON.stringify(copy);
  };
  reject(variant((s) => (s['q'] as number[]).pop()), 'invalid', /segments\[0\]\.q: 3 entries, expected n = 4/);
  reject(variant((s) => (s['val'] = [1, 2, 3, 4, 5])), 'invalid', /segments\[0\]\.val: 5 entries, expected n = 4/);
  reject(variant((s) => (s['q'] = [0, 0, 7, 0])), 'invalid', /segments\[0\]\.q\[2\]: not a quality code/);
  reject(variant((s) => (s['p'] = [0, 1, 2, 9])), 'invalid', /segments\[0\]\.p\[3\]: not an index into paths/);
  reject(variant((s) => (s['id'] = 'not-a-ulid')), 'invalid', /segments\[0\]\.id: must be a ULID/);
  reject(variant((s) => (s['val'] = [1, 2, Number.MAX_VALUE * 0, 'x'.repeat(300)])), 'invalid', /events\.3\.value/);
  reject(variant((s) => (s['paths'] = ['a/b/c', 'a/b/d', 'a b/c', 'a/b/e'])), 'invalid', /events\.2\.point/);
  reject(JSON.stringify({ ...base, count: 5 }), 'invalid', /count: 5, but the segments hold 4 readings/);
  reject(JSON.stringify({ ...base, lastSeq: 9 }), 'invalid', /firstSeq\/lastSeq: 1\.\.9, but the segments run 1\.\.4/);
});

test('a wrong or missing version, another stream or a non-object is refused', () => {
  const base = JSON.parse(encodeTelemetryV2('gw', segs(), { deflate: false }).toString()) as Record<string, unknown>;
  reject(JSON.stringify({ ...base, v: 3 }), 'unknown_version', /v=3/);
  reject(JSON.stringify({ ...base, v: undefined }), 'unknown_version', /v=missing/);
  reject(JSON.stringify({ ...base, stream: 'alarm' }), 'invalid', /telemetry stream only/);
  reject(JSON.stringify({ ...base, segments: [] }), 'invalid', /segments: expected a non-empty array/);
  reject('[1,2]', 'invalid', /expected an object/);
});

test('more than 5000 readings in one batch are refused', () => {
  const a = readings(3000);
  const b = readings(2001);
  const payload = encodeTelemetryV2('gw', [segmentOf(1, ids.take(T, 3000), a, false), segmentOf(3001, ids.take(T, 2001), b, false)], { deflate: true });
  reject(payload, 'invalid', /segments\[1\]: more than 5000 readings/);
});
