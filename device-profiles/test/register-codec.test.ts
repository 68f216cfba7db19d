/**
 * Byte/word order vectors. Expected registers were computed outside this code base (Python's
 * struct.pack, big-endian, then split into 16-bit words and reordered per the order's name), so a
 * symmetric bug in our decoder and encoder cannot hide.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeModbusPoint } from '../src/modbus-encode.ts';
import type { ByteOrder, ModbusValueType } from '../src/schema.ts';
import { decodeOne, modbusProfile } from './helpers.ts';

const VECTORS: { type: ModbusValueType; value: number; decoded?: number; registers: Record<ByteOrder, number[]> }[] = [
  {
    type: 'int32',
    value: -123456789,
    registers: { ABCD: [0xf8a4, 0x32eb], CDAB: [0x32eb, 0xf8a4], BADC: [0xa4f8, 0xeb32], DCBA: [0xeb32, 0xa4f8] },
  },
  {
    type: 'uint32',
    value: 0xdeadbeef,
    registers: { ABCD: [0xdead, 0xbeef], CDAB: [0xbeef, 0xdead], BADC: [0xadde, 0xefbe], DCBA: [0xefbe, 0xadde] },
  },
  {
    type: 'float32',
    value: 123.456,
    registers: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] },
  },
  {
    type: 'float64',
    value: -98765.4321,
    registers: {
      ABCD: [0xc0f8, 0x1cd6, 0xe9e1, 0xb08a],
      CDAB: [0xb08a, 0xe9e1, 0x1cd6, 0xc0f8],
      BADC: [0xf8c0, 0xd61c, 0xe1e9, 0x8ab0],
      DCBA: [0x8ab0, 0xe1e9, 0xd61c, 0xf8c0],
    },
  },
];

const ORDERS: ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

void describe('byte and word order', () => {
  for (const v of VECTORS) {
    for (const order of ORDERS) {
      const profile = modbusProfile([{ id: 'x', name: { zh: 'x', en: 'x' }, table: 'holding', address: 10, type: v.type, order, unit: 'm', range: { min: -1e10, max: 1e10 } }]);
      void test(`${v.type} ${order}: decodes ${v.registers[order].map((r) => r.toString(16)).join(' ')} as ${v.value}`, () => {
        const d = decodeOne(profile, 'x', [{ table: 'holding', start: 10, values: v.registers[order] }]);
        assert.equal(d.value, v.value);
        assert.equal(d.quality, 'good');
        assert.deepEqual(d.raw, v.registers[order]);
      });
      void test(`${v.type} ${order}: encodes ${v.value} to the same registers`, () => {
        assert.deepEqual(encodeModbusPoint(profile, 'x', v.value), { table: 'holding', address: 10, values: v.registers[order] });
      });
    }
  }

  void test('16-bit types honour the byte swap only (CDAB = ABCD, DCBA = BADC)', () => {
    const expected: Record<ByteOrder, number> = { ABCD: -2, CDAB: -2, BADC: -257, DCBA: -257 };
    for (const order of ORDERS) {
      const profile = modbusProfile([{ id: 'x', name: { zh: 'x', en: 'x' }, table: 'input', address: 0, type: 'int16', order, unit: 'm', range: { min: -1000, max: 1000 } }]);
      assert.equal(decodeOne(profile, 'x', [{ table: 'input', start: 0, values: [0xfffe] }]).value, expected[order], order);
    }
    const u = modbusProfile([{ id: 'x', name: { zh: 'x', en: 'x' }, table: 'input', address: 0, type: 'uint16', order: 'BADC', unit: 'm', range: { min: 0, max: 65535 } }]);
    assert.equal(decodeOne(u, 'x', [{ table: 'input', start: 0, values: [0x1234] }]).value, 0x3412);
  });
});

void describe('strings, bits and booleans', () => {
  const profile = modbusProfile([
    { id: 'sn', name: { zh: 's', en: 's' }, table: 'holding', address: 0, type: 'string', length: 4 },
    { id: 'snSwapped', name: { zh: 's', en: 's' }, table: 'holding', address: 4, type: 'string', length: 2, order: 'BADC' },
    { id: 'b0', name: { zh: 'b', en: 'b' }, table: 'holding', address: 6, type: 'bit', bit: 0 },
    { id: 'b15', name: { zh: 'b', en: 'b' }, table: 'holding', address: 6, type: 'bit', bit: 15 },
    { id: 'flag', name: { zh: 'f', en: 'f' }, table: 'holding', address: 7, type: 'bool' },
    { id: 'coil', name: { zh: 'c', en: 'c' }, table: 'coil', address: 3, type: 'bool', writable: true },
  ]);

  void test('a string is two characters per register, high byte first, ending at the first NUL', () => {
    // "SL-7" then NUL padding: 0x534c 0x2d37 0x0000 0x0000
    assert.equal(decodeOne(profile, 'sn', [{ table: 'holding', start: 0, values: [0x534c, 0x2d37, 0, 0] }]).value, 'SL-7');
    assert.deepEqual(encodeModbusPoint(profile, 'sn', 'SL-7').values, [0x534c, 0x2d37, 0, 0]);
    assert.equal(decodeOne(profile, 'sn', [{ table: 'holding', start: 0, values: [0x4142, 0x2020, 0x2020, 0x2020] }]).value, 'AB');
  });

  void test('BADC strings swap the two characters of each register', () => {
    assert.equal(decodeOne(profile, 'snSwapped', [{ table: 'holding', start: 4, values: [0x4c53, 0x372d] }]).value, 'SL-7');
    assert.deepEqual(encodeModbusPoint(profile, 'snSwapped', 'SL-7').values, [0x4c53, 0x372d]);
  });

  void test('a string longer than its registers is refused on encode', () => {
    assert.throws(() => encodeModbusPoint(profile, 'sn', 'ABCDEFGHI'), { code: 'PROFILE_ENCODE_INVALID' });
  });

  void test('bit points read their own bit of a shared register; encode sets only that bit', () => {
    const data = [{ table: 'holding' as const, start: 6, values: [0x8000] }];
    assert.equal(decodeOne(profile, 'b0', data).value, false);
    assert.equal(decodeOne(profile, 'b15', data).value, true);
    assert.deepEqual(encodeModbusPoint(profile, 'b15', true).values, [0x8000]);
    assert.deepEqual(encodeModbusPoint(profile, 'b0', true).values, [0x0001]);
    assert.deepEqual(encodeModbusPoint(profile, 'b0', false).values, [0]);
  });

  void test('bool in a register is any non-zero value; coils are 0/1', () => {
    assert.equal(decodeOne(profile, 'flag', [{ table: 'holding', start: 7, values: [0x0100] }]).value, true);
    assert.equal(decodeOne(profile, 'flag', [{ table: 'holding', start: 7, values: [0] }]).value, false);
    assert.equal(decodeOne(profile, 'coil', [{ table: 'coil', start: 0, values: [0, 0, 0, 1] }]).value, true);
    assert.deepEqual(encodeModbusPoint(profile, 'coil', true), { table: 'coil', address: 3, values: [1] });
  });

  void test('a coil value other than 0/1 is a decode error, not true', () => {
    const d = decodeOne(profile, 'coil', [{ table: 'coil', start: 3, values: [2] }]);
    assert.equal(d.quality, 'bad');
    assert.equal(d.reason, 'decode_error');
    assert.equal(d.value, null);
  });

  void test('encode refuses the wrong JavaScript type', () => {
    assert.throws(() => encodeModbusPoint(profile, 'b0', 1), { code: 'PROFILE_ENCODE_INVALID' });
    assert.throws(() => encodeModbusPoint(profile, 'sn', true), { code: 'PROFILE_ENCODE_INVALID' });
  });
});
