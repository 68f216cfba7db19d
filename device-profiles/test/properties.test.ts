/** Property tests (fast-check): codec identities, planner guarantees, decode never throws. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { listProfiles } from '../src/library.ts';
import { decodeModbusPoints } from '../src/modbus-decode.ts';
import { encodeModbusPoint } from '../src/modbus-encode.ts';
import { planModbusReads } from '../src/modbus-plan.ts';
import { pointSpan } from '../src/register-codec.ts';
import type { ByteOrder, ModbusPointInput, ModbusValueType } from '../src/schema.ts';
import { decodeOne, modbusProfile } from './helpers.ts';

const ORDERS: ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
const BOUNDS: Partial<Record<ModbusValueType, [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};
const word = fc.integer({ min: 0, max: 0xffff });
const RUNS = { numRuns: 300 };

function single(type: ModbusValueType, order: ByteOrder, extra: Partial<ModbusPointInput> = {}) {
  return modbusProfile([{ id: 'x', name: { zh: 'x', en: 'x' }, table: 'holding', address: 0, type, order, unit: 'm', range: { min: -1e300, max: 1e300 }, ...extra } as ModbusPointInput]);
}

void describe('codec properties', () => {
  for (const order of ORDERS) {
    for (const [type, [min, max]] of Object.entries(BOUNDS) as [ModbusValueType, [number, number]][]) {
      const profile = single(type, order);
      void test(`${type} ${order}: registers → value → registers is the identity`, () => {
        fc.assert(
          fc.property(fc.array(word, { minLength: pointSpan({ table: 'holding', type }), maxLength: pointSpan({ table: 'holding', type }) }), (words) => {
            const d = decodeOne(profile, 'x', [{ table: 'holding', start: 0, values: words }]);
            assert.ok(typeof d.value === 'number' && d.value >= min && d.value <= max);
            assert.deepEqual(encodeModbusPoint(profile, 'x', d.value).values, words);
          }),
          RUNS,
        );
      });
    }

    const f64 = single('float64', order);
    void test(`float64 ${order}: any finite double survives encode → decode bit for bit (−0 reads as 0)`, () => {
      fc.assert(
        fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
          const e = encodeModbusPoint(f64, 'x', v);
          assert.ok(Object.is(decodeOne(f64, 'x', [{ table: 'holding', start: 0, values: e.values }]).value, v + 0));
        }),
        RUNS,
      );
    });

    const f32 = single('float32', order);
    void test(`float32 ${order}: a value decodes to its float32 rounded to 7 significant digits`, () => {
      fc.assert(
        fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (v) => {
          const e = encodeModbusPoint(f32, 'x', v);
          assert.equal(decodeOne(f32, 'x', [{ table: 'holding', start: 0, values: e.values }]).value, Number(Math.fround(v).toPrecision(7)) + 0);
        }),
        RUNS,
      );
    });
  }

  void test('scaled integers: every representable engineering value survives encode → decode exactly', () => {
    for (const scale of [0.1, 0.01, 0.001, 0.5, 2, 10]) {
      for (const offset of [0, -40, 273.15]) {
        const profile = single('int32', 'ABCD', { scale, offset });
        fc.assert(
          fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), (raw) => {
            const d = decodeOne(profile, 'x', [{ table: 'holding', start: 0, values: encodeModbusPoint(single('int32', 'ABCD'), 'x', raw).values }]);
            assert.equal(typeof d.value, 'number');
            const again = encodeModbusPoint(profile, 'x', d.value as number);
            assert.deepEqual(decodeOne(profile, 'x', [{ table: 'holding', start: 0, values: again.values }]).value, d.value, `scale ${scale} offset ${offset} raw ${raw}`);
            assert.deepEqual(again.values, encodeModbusPoint(single('int32', 'ABCD'), 'x', raw).values);
          }),
          { numRuns: 100 },
        );
      }
    }
  });

  void test('strings of printable latin-1 text survive encode → decode', () => {
    for (const order of ORDERS) {
      const profile = modbusProfile([{ id: 's', name: { zh: 's', en: 's' }, table: 'input', address: 0, type: 'string', length: 6, order }]);
      fc.assert(
        fc.property(fc.string({ maxLength: 12, unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) }), (text) => {
          const e = encodeModbusPoint(profile, 's', text);
          assert.equal(decodeOne(profile, 's', [{ table: 'input', start: 0, values: e.values }]).value, text);
        }),
        RUNS,
      );
    }
  });
});

void describe('planner properties', () => {
  const pointsArb = fc.uniqueArray(fc.record({ address: fc.integer({ min: 0, max: 3000 }), wide: fc.boolean() }), { selector: (p) => p.address, minLength: 1, maxLength: 120 });
  void test('every point lands in exactly one block; blocks respect max and do not overlap; splits are necessary', () => {
    fc.assert(
      fc.property(pointsArb, fc.integer({ min: 1, max: 125 }), fc.integer({ min: 0, max: 40 }), (raw, maxRegisters, maxGap) => {
        // drop points that would overlap the previous one
        const sorted = [...raw].sort((a, b) => a.address - b.address);
        const points: ModbusPointInput[] = [];
        let end = -1;
        for (const p of sorted) {
          if (p.address <= end) continue;
          const width = p.wide && maxRegisters >= 2 ? 2 : 1;
          points.push({ id: `p${p.address}`, name: { zh: 'p', en: 'p' }, table: 'holding', address: p.address, type: width === 2 ? 'float32' : 'uint16', unit: 'm', range: { min: -1e40, max: 1e40 } });
          end = p.address + width - 1;
        }
        const profile = modbusProfile(points);
        const plan = planModbusReads(profile, { maxRegisters, maxGap });
        const where = new Map<string, number>();
        plan.forEach((b, i) => {
          assert.ok(b.count >= 1 && b.count <= maxRegisters);
          for (const id of b.pointIds) {
            assert.ok(!where.has(id));
            where.set(id, i);
          }
        });
        for (const p of points) {
          const b = plan[where.get(p.id) ?? -1];
          assert.ok(b !== undefined, `${p.id} planned`);
          assert.ok(p.address >= b.start && p.address + (p.type === 'float32' ? 2 : 1) <= b.start + b.count);
        }
        for (let i = 1; i < plan.length; i++) {
          const a = plan[i - 1];
          const b = plan[i];
          if (a === undefined || b === undefined) continue;
          assert.ok(a.start + a.count <= b.start, 'blocks in order, no overlap');
          const gap = b.start - (a.start + a.count);
          assert.ok(gap > maxGap || b.start + b.count - a.start > maxRegisters, `blocks ${i - 1},${i} could have merged`);
        }
      }),
      { numRuns: 200 },
    );
  });
});

void describe('decode robustness', () => {
  void test('arbitrary register contents never throw; value is null exactly when quality is bad by decode_error', () => {
    const modbus = listProfiles().filter((p) => p.protocol === 'modbus');
    fc.assert(
      fc.property(fc.constantFrom(...modbus), fc.array(fc.oneof(word, fc.integer(), fc.double()), { minLength: 200, maxLength: 200 }), (profile, noise) => {
        const blocks = planModbusReads(profile).map((b) => ({ table: b.table, start: b.start, values: noise.slice(0, b.count).map((v) => (b.table === 'coil' || b.table === 'discrete' ? Math.abs(Math.trunc(v)) % 2 : v)) }));
        for (const d of decodeModbusPoints(profile, blocks)) {
          assert.ok(['good', 'uncertain', 'bad'].includes(d.quality));
          if (d.value === null) assert.equal(d.quality, 'bad');
          if (d.quality !== 'good') assert.ok(d.reason !== undefined);
          if (typeof d.value === 'number') assert.ok(Number.isFinite(d.value));
        }
      }),
      { numRuns: 300 },
    );
  });
});
