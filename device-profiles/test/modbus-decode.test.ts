/** The transform pipeline on Modbus points: scale, offset, rounding, sentinels, range, status. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeModbusPoints } from '../src/modbus-decode.ts';
import { encodeModbusPoint, encodeModbusStatus } from '../src/modbus-encode.ts';
import { decodeOne, modbusProfile } from './helpers.ts';

const gas = modbusProfile(
  [
    {
      id: 'gas',
      name: { zh: '可燃气体', en: 'Gas' },
      table: 'holding',
      address: 0,
      type: 'int16',
      scale: 0.1,
      unit: '%LEL',
      range: { min: 0, max: 100 },
      sentinels: [-32768],
      limits: [
        { level: 'GAS_1', direction: 'high', value: 25 },
        { level: 'GAS_2', direction: 'high', value: 50 },
      ],
    },
    { id: 'temp', name: { zh: '温度', en: 'Temp' }, table: 'holding', address: 2, type: 'uint16', scale: 0.01, offset: -40, unit: '°C', range: { min: -40, max: 125 }, outOfRange: 'bad' },
    { id: 'f', name: { zh: 'f', en: 'f' }, table: 'input', address: 0, type: 'float32', unit: 'm', range: { min: 0, max: 10 } },
  ],
  [
    {
      id: 'gasStatus',
      table: 'holding',
      address: 1,
      mask: 0x00ff,
      codes: [
        { value: 0, state: 'normal' },
        { value: 1, state: 'alarm' },
        { value: 3, state: 'fault' },
        { value: 4, state: 'calibration' },
        { value: 6, state: 'maintenance' },
      ],
      appliesTo: ['gas'],
    },
    { id: 'flags', table: 'holding', address: 3, bits: [{ bit: 0, state: 'maintenance' }, { bit: 1, state: 'fault' }, { bit: 2, state: 'stopped' }], appliesTo: ['gas', 'temp'] },
  ],
);
const block = (values: number[]) => [{ table: 'holding' as const, start: 0, values }];

void describe('transform pipeline', () => {
  void test('raw × scale + offset, rounded to the decimals of scale and offset', () => {
    assert.equal(decodeOne(gas, 'gas', block([123, 0, 0, 0])).value, 12.3);
    assert.equal(decodeOne(gas, 'temp', block([0, 0, 6543, 0])).value, 25.43);
    assert.equal(decodeOne(gas, 'gas', block([-5 & 0xffff, 0, 0, 0])).value, -0.5);
  });

  void test('float32 values read to 7 significant digits', () => {
    // 0x3dcccccd is float32 0.1 (0.100000001490116…)
    assert.equal(decodeOne(gas, 'f', [{ table: 'input', start: 0, values: [0x3dcc, 0xcccd] }]).value, 0.1);
  });

  void test('NaN and Infinity are decode errors with a null value', () => {
    for (const values of [[0x7fc0, 0], [0x7f80, 0], [0xff80, 0]]) {
      const d = decodeOne(gas, 'f', [{ table: 'input', start: 0, values }]);
      assert.deepEqual([d.value, d.quality, d.reason], [null, 'bad', 'decode_error']);
    }
  });

  void test('a sentinel raw value is bad decode_error, value null, raw kept', () => {
    const d = decodeOne(gas, 'gas', block([0x8000, 0, 0, 0]));
    assert.deepEqual([d.value, d.quality, d.reason, d.raw], [null, 'bad', 'decode_error', [0x8000]]);
  });

  void test('out of range keeps the value, marks it with the point outOfRange quality and still reports exceeded limits', () => {
    const high = decodeOne(gas, 'gas', block([1050, 0, 0, 0]));
    assert.deepEqual([high.value, high.quality, high.reason, high.exceeded], [105, 'uncertain', 'out_of_range', ['GAS_1', 'GAS_2']]);
    assert.match(high.detail ?? '', /105 outside measuring range 0\.\.100/);
    const cold = decodeOne(gas, 'temp', block([0, 0, 0xffff, 0]));
    assert.deepEqual([cold.value, cold.quality, cold.reason], [615.35, 'bad', 'out_of_range']);
  });

  void test('range bounds themselves are inside the range', () => {
    assert.equal(decodeOne(gas, 'gas', block([1000, 0, 0, 0])).quality, 'good');
    assert.equal(decodeOne(gas, 'gas', block([0, 0, 0, 0])).quality, 'good');
  });

  void test('limits are reached at the set-point (≥ for high)', () => {
    assert.deepEqual(decodeOne(gas, 'gas', block([249, 0, 0, 0])).exceeded, []);
    assert.deepEqual(decodeOne(gas, 'gas', block([250, 0, 0, 0])).exceeded, ['GAS_1']);
    assert.deepEqual(decodeOne(gas, 'gas', block([500, 0, 0, 0])).exceeded, ['GAS_1', 'GAS_2']);
  });

  void test('instance limit overrides replace the profile limits for that point', () => {
    const [d] = decodeModbusPoints(gas, block([300, 0, 0, 0]), { limits: { gas: [{ level: 'GAS_1', direction: 'high', value: 35, deadband: 0, onDelaySec: 0, offDelaySec: 0 }] } });
    assert.deepEqual(d?.exceeded, []);
  });

  void test('registers outside 0..65535 or non-integers are decode errors', () => {
    for (const bad of [70000, -1, 1.5, Number.NaN]) {
      const d = decodeOne(gas, 'gas', block([bad, 0, 0, 0]));
      assert.deepEqual([d.value, d.quality, d.reason], [null, 'bad', 'decode_error'], String(bad));
    }
  });
});

void describe('status registers', () => {
  const withStatus = (code: number, flags = 0) => decodeOne(gas, 'gas', block([123, code, 0, flags]));

  void test('fault → bad sensor_fault, value kept', () => {
    assert.deepEqual(pick(withStatus(3)), [12.3, 'bad', 'sensor_fault']);
  });
  void test('calibration → uncertain calibration; maintenance → uncertain maintenance', () => {
    assert.deepEqual(pick(withStatus(4)), [12.3, 'uncertain', 'calibration']);
    assert.deepEqual(pick(withStatus(6)), [12.3, 'uncertain', 'maintenance']);
  });
  void test("the device's own alarm state leaves quality good", () => {
    assert.deepEqual(pick(withStatus(1)), [12.3, 'good', undefined]);
  });
  void test('the mask is applied before matching codes', () => {
    assert.deepEqual(pick(withStatus(0xab03)), [12.3, 'bad', 'sensor_fault']);
  });
  void test('an unknown code is uncertain decode_error naming the code', () => {
    const d = withStatus(9);
    assert.deepEqual(pick(d), [12.3, 'uncertain', 'decode_error']);
    assert.match(d.detail ?? '', /unknown status code 9/);
  });
  void test('flag bits: the worst set bit wins, and only covered points are affected', () => {
    assert.deepEqual(pick(withStatus(0, 0b011)), [12.3, 'bad', 'sensor_fault']);
    assert.deepEqual(pick(withStatus(0, 0b100)), [12.3, 'uncertain', 'stopped']);
    assert.equal(decodeOne(gas, 'f', [...block([123, 0, 0, 0b010]), { table: 'input', start: 0, values: [0x3dcc, 0xcccd] }]).quality, 'good');
  });
  void test('the worse of value and status wins; on equal quality the status explains it', () => {
    const d = decodeOne(gas, 'gas', block([1050, 4, 0, 0]));
    assert.deepEqual(pick(d), [105, 'uncertain', 'calibration']);
    const s = decodeOne(gas, 'gas', block([0x8000, 4, 0, 0]));
    assert.deepEqual(pick(s), [null, 'bad', 'decode_error']);
  });
  void test('a covering status register that was not read makes the point uncertain comm_lost', () => {
    const d = decodeOne(gas, 'gas', [{ table: 'holding', start: 0, values: [123] }]);
    assert.deepEqual(pick(d), [12.3, 'uncertain', 'comm_lost']);
  });
  void test('points whose block is missing are not returned', () => {
    const ids = decodeModbusPoints(gas, [{ table: 'holding', start: 0, values: [1, 0] }]).map((d) => d.pointId);
    assert.deepEqual(ids, ['gas']);
    assert.deepEqual(decodeModbusPoints(gas, []), []);
  });
  void test('a block that covers a point only partly does not decode it', () => {
    assert.deepEqual(decodeModbusPoints(gas, [{ table: 'input', start: 1, values: [0, 0] }]), []);
  });
});

void describe('encode is the inverse of decode', () => {
  void test('scale and offset are reversed and rounded for integer types', () => {
    assert.deepEqual(encodeModbusPoint(gas, 'gas', 12.3).values, [123]);
    assert.deepEqual(encodeModbusPoint(gas, 'temp', 25.43).values, [6543]);
    assert.equal(decodeOne(gas, 'gas', block([encodeModbusPoint(gas, 'gas', -3.2).values[0] ?? 0, 0, 0, 0])).value, -3.2);
  });
  void test('a value the raw type cannot hold is refused, not wrapped', () => {
    assert.throws(() => encodeModbusPoint(gas, 'gas', 4000), { code: 'PROFILE_ENCODE_INVALID', message: /outside int16/ });
    assert.throws(() => encodeModbusPoint(gas, 'temp', -41), { code: 'PROFILE_ENCODE_INVALID' });
    assert.throws(() => encodeModbusPoint(gas, 'gas', Number.NaN), { code: 'PROFILE_ENCODE_INVALID' });
  });
  void test('out-of-range values within the raw type encode (simulators need them)', () => {
    assert.deepEqual(encodeModbusPoint(gas, 'gas', 105).values, [1050]);
  });
  void test('unknown point ids throw PROFILE_POINT_NOT_FOUND', () => {
    assert.throws(() => encodeModbusPoint(gas, 'nope', 1), { code: 'PROFILE_POINT_NOT_FOUND' });
  });
});

function pick(d: { value: unknown; quality: string; reason?: string }): unknown[] {
  return [d.value, d.quality, d.reason];
}

void describe('encodeModbusStatus', () => {
  void test('codes: the listed value for the state, and it decodes to that state', () => {
    const e = encodeModbusStatus(gas, 'gasStatus', 'fault');
    assert.deepEqual(e, { table: 'holding', address: 1, values: [3] });
    assert.equal(decodeOne(gas, 'gas', block([123, e.values[0] ?? 0, 0, 0])).reason, 'sensor_fault');
  });
  void test('bits: the flag bit for the state; normal without a code is 0', () => {
    assert.deepEqual(encodeModbusStatus(gas, 'flags', 'stopped').values, [0b100]);
    assert.deepEqual(encodeModbusStatus(gas, 'flags', 'normal').values, [0]);
    assert.deepEqual(encodeModbusStatus(gas, 'gasStatus', 'normal').values, [0]);
  });
  void test('a state the register cannot express, or an unknown register, throws', () => {
    assert.throws(() => encodeModbusStatus(gas, 'gasStatus', 'warmup'), { code: 'PROFILE_ENCODE_INVALID' });
    assert.throws(() => encodeModbusStatus(gas, 'nope', 'fault'), { code: 'PROFILE_POINT_NOT_FOUND' });
  });
});

void test('details stay within the 200 characters a Reading allows', () => {
  const p = modbusProfile([{ id: 's', name: { zh: 's', en: 's' }, table: 'holding', address: 0, type: 'string', length: 100 }]);
  const d = decodeOne(p, 's', [{ table: 'holding', start: 0, values: Array.from({ length: 100 }, () => 99999) }]);
  assert.equal(d.reason, 'decode_error');
  assert.ok((d.detail ?? '').length <= 200 && (d.detail ?? '').length > 150, `${d.detail?.length}`);
});

void describe('limit overrides', () => {
  // Point ids are [A-Za-z0-9_-]: `constructor` and `__proto__` are legal ids, and an overrides record
  // looked up by key would hand back Object.prototype members instead of "no override".
  const tricky = modbusProfile([
    { id: 'constructor', name: { zh: 'c', en: 'c' }, table: 'holding', address: 0, type: 'uint16', unit: 'ppm', range: { min: 0, max: 100 }, limits: [{ level: 'GAS_1', direction: 'high', value: 10 }] },
    { id: '__proto__', name: { zh: 'p', en: 'p' }, table: 'holding', address: 1, type: 'uint16', unit: 'ppm', range: { min: 0, max: 100 } },
    { id: 'hasOwnProperty', name: { zh: 'h', en: 'h' }, table: 'holding', address: 2, type: 'uint16', unit: 'ppm', range: { min: 0, max: 100 }, limits: [{ level: 'GAS_2', direction: 'high', value: 5 }] },
  ]);
  const data = [{ table: 'holding' as const, start: 0, values: [20, 20, 3] }];

  void test('points named after Object.prototype members decode with the profile limits when nothing is overridden', () => {
    const out = decodeModbusPoints(tricky, data, { limits: {} });
    assert.deepEqual(out.map((d) => [d.pointId, d.value, d.exceeded]), [['constructor', 20, ['GAS_1']], ['__proto__', 20, []], ['hasOwnProperty', 3, []]]);
  });

  void test('an override replaces the profile limits of its own point only', () => {
    const out = decodeModbusPoints(tricky, data, { limits: { hasOwnProperty: [{ level: 'GAS_1' as const, direction: 'high' as const, value: 2, deadband: 0, onDelaySec: 0, offDelaySec: 0 }] } });
    assert.deepEqual(out.map((d) => [d.pointId, d.exceeded]), [['constructor', ['GAS_1']], ['__proto__', []], ['hasOwnProperty', ['GAS_1']]]);
  });
});
