/** planModbusReads: merge contiguous and near-contiguous spans, split at the protocol maxima. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planModbusReads } from '../src/modbus-plan.ts';
import type { ModbusPointInput } from '../src/schema.ts';
import { modbusProfile } from './helpers.ts';

const u16 = (id: string, address: number, table: 'holding' | 'input' = 'holding'): ModbusPointInput => ({
  id,
  name: { zh: id, en: id },
  table,
  address,
  type: 'uint16',
  unit: 'm',
  range: { min: 0, max: 65535 },
});
const f32 = (id: string, address: number): ModbusPointInput => ({ ...u16(id, address), type: 'float32' });
const coil = (id: string, address: number): ModbusPointInput => ({ id, name: { zh: id, en: id }, table: 'coil', address, type: 'bool' });
const blocks = (b: ReturnType<typeof planModbusReads>) => b.map((x) => `${x.table}:${x.start}+${x.count}`);

void describe('planModbusReads', () => {
  void test('contiguous registers become one read', () => {
    const p = modbusProfile([u16('a', 0), u16('b', 1), f32('c', 2), u16('d', 4)]);
    assert.deepEqual(planModbusReads(p), [{ table: 'holding', start: 0, count: 5, pointIds: ['a', 'b', 'c', 'd'] }]);
  });

  void test('a gap of exactly maxGap unused registers is bridged, one more splits', () => {
    const p = modbusProfile([u16('a', 0), u16('b', 9), u16('c', 19)]);
    // a ends at 1; b starts at 9 → gap 8 (bridged); b ends at 10, c at 19 → gap 9 (split)
    assert.deepEqual(blocks(planModbusReads(p)), ['holding:0+10', 'holding:19+1']);
    assert.deepEqual(blocks(planModbusReads(p, { maxGap: 0 })), ['holding:0+1', 'holding:9+1', 'holding:19+1']);
    assert.deepEqual(blocks(planModbusReads(p, { maxGap: 9 })), ['holding:0+20']);
  });

  void test('never more than 125 registers per read, even when contiguous', () => {
    const points = Array.from({ length: 200 }, (_, i) => u16(`p${i}`, i));
    const plan = planModbusReads(modbusProfile(points));
    assert.deepEqual(blocks(plan), ['holding:0+125', 'holding:125+75']);
    assert.equal(plan[0]?.pointIds.length, 125);
    assert.deepEqual(blocks(planModbusReads(modbusProfile(points), { maxRegisters: 60 })), ['holding:0+60', 'holding:60+60', 'holding:120+60', 'holding:180+20']);
  });

  void test('a multi-register value is never split across reads', () => {
    const points = [...Array.from({ length: 124 }, (_, i) => u16(`p${i}`, i)), f32('f', 124)];
    assert.deepEqual(blocks(planModbusReads(modbusProfile(points))), ['holding:0+124', 'holding:124+2']);
  });

  void test('tables are planned separately and in a fixed order', () => {
    const p = modbusProfile([u16('i', 0, 'input'), u16('h', 0), coil('c', 0)]);
    assert.deepEqual(blocks(planModbusReads(p)), ['holding:0+1', 'input:0+1', 'coil:0+1']);
  });

  void test('bits merge up to maxBits (2000 by default)', () => {
    const points = Array.from({ length: 2100 }, (_, i) => coil(`c${i}`, i));
    assert.deepEqual(blocks(planModbusReads(modbusProfile(points))), ['coil:0+2000', 'coil:2000+100']);
    assert.deepEqual(blocks(planModbusReads(modbusProfile(points.slice(0, 10)), { maxBits: 4 })), ['coil:0+4', 'coil:4+4', 'coil:8+2']);
  });

  void test('status registers covering the selected points are read with them; others are not', () => {
    const p = modbusProfile(
      [u16('a', 0), u16('b', 50)],
      [
        { id: 'sa', table: 'holding', address: 1, codes: [{ value: 0, state: 'normal' }], appliesTo: ['a'] },
        { id: 'sb', table: 'holding', address: 51, codes: [{ value: 0, state: 'normal' }], appliesTo: ['b'] },
      ],
    );
    assert.deepEqual(planModbusReads(p), [
      { table: 'holding', start: 0, count: 2, pointIds: ['a'] },
      { table: 'holding', start: 50, count: 2, pointIds: ['b'] },
    ]);
    assert.deepEqual(planModbusReads(p, { pointIds: ['b'] }), [{ table: 'holding', start: 50, count: 2, pointIds: ['b'] }]);
  });

  void test('bit points sharing a register read that register once', () => {
    const p = modbusProfile([
      { id: 'b0', name: { zh: 'b', en: 'b' }, table: 'holding', address: 7, type: 'bit', bit: 0 },
      { id: 'b1', name: { zh: 'b', en: 'b' }, table: 'holding', address: 7, type: 'bit', bit: 1 },
    ]);
    assert.deepEqual(planModbusReads(p), [{ table: 'holding', start: 7, count: 1, pointIds: ['b0', 'b1'] }]);
  });

  void test("a profile's readHints lower the driver's limits, never raise them", () => {
    const base = modbusProfile([u16('a', 0), u16('b', 3), u16('c', 6)]);
    const hinted = { ...base, readHints: { maxGap: 0, maxRegisters: 2 } } as typeof base;
    assert.deepEqual(blocks(planModbusReads(base)), ['holding:0+7']);
    assert.deepEqual(blocks(planModbusReads(hinted)), ['holding:0+1', 'holding:3+1', 'holding:6+1']);
    assert.deepEqual(blocks(planModbusReads(hinted, { maxGap: 100, maxRegisters: 125 })), ['holding:0+1', 'holding:3+1', 'holding:6+1']);
    const wide = { ...base, readHints: { maxGap: 50 } } as typeof base;
    assert.deepEqual(blocks(planModbusReads(wide, { maxGap: 1 })), ['holding:0+1', 'holding:3+1', 'holding:6+1']);
  });

  void test('unknown point ids and impossible limits are refused', () => {
    const p = modbusProfile([u16('a', 0)]);
    assert.throws(() => planModbusReads(p, { pointIds: ['zz'] }), { code: 'PROFILE_POINT_NOT_FOUND' });
    assert.throws(() => planModbusReads(p, { maxRegisters: 126 }), { code: 'PROFILE_PLAN_INVALID' });
    assert.throws(() => planModbusReads(p, { maxRegisters: 0 }), { code: 'PROFILE_PLAN_INVALID' });
    assert.throws(() => planModbusReads(p, { maxBits: 2001 }), { code: 'PROFILE_PLAN_INVALID' });
    assert.throws(() => planModbusReads(p, { maxGap: -1 }), { code: 'PROFILE_PLAN_INVALID' });
  });

  void test('a point longer than maxRegisters cannot be planned', () => {
    const p = modbusProfile([{ id: 's', name: { zh: 's', en: 's' }, table: 'holding', address: 0, type: 'string', length: 20 }]);
    assert.throws(() => planModbusReads(p, { maxRegisters: 10 }), { code: 'PROFILE_PLAN_INVALID', message: /longer than a read of 10/ });
  });

  void test('an OPC-UA profile has no Modbus plan', () => {
    assert.throws(
      () =>
        planModbusReads({
          id: 'x',
          name: { zh: 'x', en: 'x' },
          sector: 'general',
          protocol: 'opcua',
          points: [{ id: 'a', name: { zh: 'a', en: 'a' }, nodeId: 'ns=1;s=A', dataType: 'Boolean', outOfRange: 'uncertain', limits: [], scale: 1, offset: 0, writable: false }],
        }),
      { code: 'PROFILE_WRONG_PROTOCOL' },
    );
  });
});
