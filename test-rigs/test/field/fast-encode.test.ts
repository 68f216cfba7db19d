/** The simulator's lean numeric encoder agrees bit for bit with the profile library's encoder. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeviceProfileSchema, encodeModbusPoint, type ModbusProfile } from '@safeloop/device-profiles';
import { fastEncodeNumeric } from '@safeloop/test-rigs/modbus/fast-encode';

const TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
const ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
const name = { zh: '点', en: 'point' };

function profile(type: (typeof TYPES)[number], order: (typeof ORDERS)[number], scale: number, offset: number): ModbusProfile {
  const p = DeviceProfileSchema.parse({
    id: 'fast-encode-check',
    name,
    sector: 'general',
    protocol: 'modbus',
    points: [{ id: 'v', name, table: 'holding', address: 10, type, order, scale, offset, unit: '%', range: { min: -1e6, max: 1e6 } }],
  });
  assert.equal(p.protocol, 'modbus');
  return p as ModbusProfile;
}

void test('every numeric type and byte order, with scale and offset, matches encodeModbusPoint', () => {
  for (const type of TYPES) {
    for (const order of ORDERS) {
      for (const [scale, offset] of [[1, 0], [0.1, 0], [0.01, -40], [2, 5]] as const) {
        const prof = profile(type, order, scale, offset);
        const point = prof.points[0];
        assert.ok(point);
        fc.assert(
          fc.property(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: -400, max: 700, noNaN: true })), (value) => {
            let expected: number[] | undefined;
            try {
              expected = encodeModbusPoint(prof, 'v', value).values;
            } catch {
              expected = undefined; // does not fit: the fast path must decline too
            }
            assert.deepEqual(fastEncodeNumeric(point, value), expected, `${type} ${order} ×${scale}+${offset} value ${value}`);
          }),
          { numRuns: 100, seed: 42 },
        );
      }
    }
  }
});

void test('non-numeric values and types are left to the library', () => {
  const prof = profile('float32', 'ABCD', 1, 0);
  const point = prof.points[0];
  assert.ok(point);
  assert.equal(fastEncodeNumeric(point, 'text'), undefined);
  assert.equal(fastEncodeNumeric(point, Number.NaN), undefined);
  assert.equal(fastEncodeNumeric({ ...point, type: 'bit', bit: 2 }, 1), undefined);
  assert.equal(fastEncodeNumeric(point, 1e39), undefined, 'float32 overflow');
});
