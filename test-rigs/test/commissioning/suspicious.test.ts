/** Suspicious-reading heuristics: each flag raised when it should, and not when it should not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPoint, guessByteOrder, plausible, type PointFacts, type PointSample } from '@safeloop/gateway/commissioning/index';

const level: PointFacts = { id: 'level', unit: 'm', range: { min: 0, max: 20 }, type: 'float32', numeric: true, table: 'holding', order: 'ABCD', scale: 1, offset: 0 };

function f32(v: number, order: 'ABCD' | 'CDAB' | 'BADC' | 'DCBA'): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v);
  const [A, B, C, D] = [b[0] ?? 0, b[1] ?? 0, b[2] ?? 0, b[3] ?? 0];
  const bytes = { ABCD: [A, B, C, D], CDAB: [C, D, A, B], BADC: [B, A, D, C], DCBA: [D, C, B, A] }[order];
  return [((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0), ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)];
}

function sample(value: number | null, raw: number[] = [], quality: PointSample['quality'] = 'good'): PointSample {
  return { value, quality, raw };
}

void test('healthy varying values: no flags, in range', () => {
  const r = checkPoint(level, [8.1, 8.3, 8.2].map((v) => sample(v, f32(v, 'ABCD'))));
  assert.deepEqual(r.flags, []);
  assert.equal(r.inRange, true);
});

void test('word-swapped device read as ABCD: byte_order flag suggests CDAB', () => {
  const values = [8.13, 8.27, 8.4];
  const samples = values.map((v) => {
    const raw = f32(v, 'CDAB');
    const b = Buffer.alloc(4);
    b.writeUInt16BE(raw[0] ?? 0, 0);
    b.writeUInt16BE(raw[1] ?? 0, 2);
    return sample(b.readFloatBE(0), raw, 'uncertain');
  });
  assert.equal(guessByteOrder(level, samples), 'CDAB');
  const r = checkPoint(level, samples);
  const flag = r.flags.find((f) => f.kind === 'byte_order');
  assert.ok(flag, JSON.stringify(r.flags));
  assert.equal(flag.suggestedOrder, 'CDAB');
  assert.equal(flag.severity, 'error');
  assert.match(flag.message, /CDAB reads 8\.13 m/);
});

void test('a small value swapped into a denormal is still caught (8.0 → 2.3e-41)', () => {
  const raw = f32(8, 'CDAB');
  assert.equal(guessByteOrder(level, [sample(0, raw), sample(0, raw)]), 'CDAB');
});

void test('byte swap on 16-bit values: BADC suggested when ABCD is out of range', () => {
  const pct: PointFacts = { id: 'pct', unit: '%', range: { min: 0, max: 100 }, type: 'uint16', numeric: true, table: 'holding', order: 'ABCD', scale: 0.01, offset: 0 };
  const raw = [((4200 & 0xff) << 8) | (4200 >> 8)]; // 42.00 % with its bytes swapped
  assert.equal(guessByteOrder(pct, [sample(null, raw)]), 'BADC');
});

void test('no byte-order claim when the configured order is plausible, or the registers are all zero', () => {
  assert.equal(guessByteOrder(level, [sample(8, f32(8, 'ABCD'))]), undefined);
  assert.equal(guessByteOrder(level, [sample(0, [0, 0]), sample(0, [0, 0])]), undefined);
});

void test('stuck at zero on an analog point is a warning; zero on one read of three is not', () => {
  const stuck = checkPoint(level, [0, 0, 0].map((v) => sample(v, [0, 0])));
  assert.deepEqual(stuck.flags.map((f) => f.kind), ['stuck_zero']);
  assert.equal(stuck.flags[0]?.severity, 'warning');
  assert.deepEqual(checkPoint(level, [0, 0.1, 0].map((v) => sample(v, f32(v, 'ABCD')))).flags, []);
});

void test('constant over N reads: flagged from 3 reads, not from 2, never for state points', () => {
  assert.deepEqual(checkPoint(level, [5, 5, 5].map((v) => sample(v, f32(v, 'ABCD')))).flags.map((f) => f.kind), ['constant']);
  assert.deepEqual(checkPoint(level, [5, 5].map((v) => sample(v, f32(v, 'ABCD')))).flags, []);
  const valve: PointFacts = { id: 'open', type: 'bool', numeric: false, table: 'discrete' };
  assert.deepEqual(checkPoint(valve, [{ value: true, quality: 'good', raw: [1] }, { value: true, quality: 'good', raw: [1] }, { value: true, quality: 'good', raw: [1] }]).flags, []);
});

void test('out of range: error with the value and the range; inRange false', () => {
  const r = checkPoint(level, [21, 21.5, 22].map((v) => ({ ...sample(v, f32(v, 'ABCD'), 'uncertain'), reason: 'out_of_range' as const })));
  assert.equal(r.inRange, false);
  const f = r.flags.find((x) => x.kind === 'out_of_range');
  assert.match(f?.message ?? '', /21 outside measuring range 0\.\.20 \(3 of 3 reads\)/);
  // 21..22 is within 5 % of the span: plausibly a real over-range, not a byte-order problem.
  assert.deepEqual(r.flags.map((x) => x.kind), ['out_of_range']);
});

void test('every read bad → no_reading; some bad → quality error; uncertain (not range) → warning', () => {
  const bad = (reason: 'timeout' | 'sensor_fault'): PointSample => ({ value: null, quality: 'bad', reason, raw: [] });
  assert.deepEqual(checkPoint(level, [bad('timeout'), bad('timeout')]).flags.map((f) => f.kind), ['no_reading']);
  const mixed = checkPoint(level, [bad('sensor_fault'), sample(8.1, f32(8.1, 'ABCD')), sample(8.2, f32(8.2, 'ABCD'))]);
  assert.deepEqual(mixed.flags.map((f) => `${f.kind}/${f.severity}`), ['quality/error']);
  const cal = checkPoint(level, [8.1, 8.2].map((v) => ({ value: v, quality: 'uncertain' as const, reason: 'calibration' as const, raw: f32(v, 'ABCD') })));
  assert.deepEqual(cal.flags.map((f) => `${f.kind}/${f.severity}`), ['quality/warning']);
});

void test('plausibility: NaN, infinities and denormal floats are implausible; without a range, |x| < 1e9', () => {
  assert.equal(plausible(Number.NaN, level), false);
  assert.equal(plausible(Infinity, level), false);
  assert.equal(plausible(1e-30, level), false);
  assert.equal(plausible(0, level), true);
  assert.equal(plausible(5e8, { type: 'int32' }), true);
  assert.equal(plausible(5e9, { type: 'int32' }), false);
});

void test('the report summary stays under the cloud limit however many points are flagged', async () => {
  const { buildReport, SUMMARY_BUDGET_CHARS } = await import('@safeloop/gateway/commissioning/index');
  const points = Array.from({ length: 800 }, (_, i) => ({
    pointId: `p${i}`, name: 'x', value: 0, quality: 'good' as const, values: [0, 0, 0], inRange: true,
    flags: [{ kind: 'stuck_zero' as const, severity: 'warning' as const, message: 'm'.repeat(400) }],
  }));
  const device = { id: 'd', profile: 'generic-co-ec', transport: 't', instance: {} as never, points };
  const report = buildReport({ technician: 't', performedAt: 1_764_000_000_000, reads: 3, devices: [device], summary: { devices: 1, points: 800, flaggedPoints: 800, errors: 0, warnings: 800, passed: false } });
  const size = JSON.stringify(report.summary).length;
  assert.ok(size <= SUMMARY_BUDGET_CHARS && report.summary.flagged.length > 100, `${size} chars, ${report.summary.flagged.length} flags`);
  assert.equal(report.summary.flagged[0]?.message.length, 160);
});
