/**
 * decodeModbusPoints over awkward block layouts, pinned to literal readings (values, key order and
 * all): points listed out of block order, tables interleaved, a two-register point across a block
 * boundary, bad words, status registers read, bad and missing, and blocks that overlap.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeModbusPoints, type ModbusBlockData } from '../src/modbus-decode.ts';
import type { DecodedPoint } from '../src/transform.ts';
import { modbusProfile } from './helpers.ts';

const name = { zh: 'x', en: 'x' };

// Listed out of address order and across tables, so consecutive points jump between blocks.
const plant = modbusProfile(
  [
    { id: 'lvl', name, table: 'holding', address: 130, type: 'uint16', scale: 0.01, unit: 'm', range: { min: 0, max: 10 } },
    { id: 't', name, table: 'input', address: 0, type: 'int16', scale: 0.1, unit: '°C', range: { min: -40, max: 125 } },
    { id: 'gas', name, table: 'holding', address: 2, type: 'uint16', unit: '%LEL', range: { min: 0, max: 100 }, limits: [{ level: 'GAS_1', direction: 'high', value: 25 }] },
    // holding 124 and 125: the first block ends at 124, the next starts at 125, so no block covers it
    { id: 'flow', name, table: 'holding', address: 124, type: 'float32', unit: 'm3/h', range: { min: 0, max: 100 } },
    { id: 'tot', name, table: 'holding', address: 126, type: 'uint32', unit: 'h', range: { min: 0, max: 1e9 } },
    { id: 'p', name, table: 'input', address: 3, type: 'float32', order: 'CDAB', unit: 'MPa', range: { min: 0, max: 10 } },
    { id: 'bad', name, table: 'holding', address: 3, type: 'uint16', unit: '%', range: { min: 0, max: 100 } },
    { id: 'badf', name, table: 'input', address: 5, type: 'uint32', unit: 'h', range: { min: 0, max: 1e9 } },
    { id: 'run', name, table: 'coil', address: 0, type: 'bool' },
    { id: 'trip', name, table: 'coil', address: 1, type: 'bool' },
  ],
  [
    { id: 'st', table: 'holding', address: 1, codes: [{ value: 0, state: 'normal' }, { value: 3, state: 'fault' }], appliesTo: ['gas'] },
    { id: 'st2', table: 'holding', address: 4, codes: [{ value: 0, state: 'normal' }], appliesTo: ['tot'] },
    { id: 'ist', table: 'input', address: 9, codes: [{ value: 0, state: 'normal' }], appliesTo: ['t'] },
  ],
);

const low = Array.from({ length: 125 }, () => 0);
low[1] = 3; // st: fault
low[2] = 300; // gas: above its range, and the fault outranks that
low[3] = 70000; // bad: not a register value
low[4] = 70000; // st2: not a register value either
low[124] = 0x4120; // flow's first word, whose second is in the next block
const holdingLow: ModbusBlockData = { table: 'holding', start: 0, values: low };
const holdingHigh: ModbusBlockData = { table: 'holding', start: 125, values: [0, 1, 2, 0, 0, 523] };
// -40.0 °C; 2.5 as float32 with the words swapped (CDAB); then two words that are not registers
const inputs: ModbusBlockData = { table: 'input', start: 0, values: [0xfe70, 0, 0, 0x0000, 0x4020, 1.5, 2] };
const coils: ModbusBlockData = { table: 'coil', start: 0, values: [1, 2] };

// In profile order, `flow` left out; keys in the order readings have always had them.
const expected: DecodedPoint[] = [
  { pointId: 'lvl', value: 5.23, quality: 'good', raw: [523], exceeded: [], unit: 'm' },
  { pointId: 't', value: -40, quality: 'uncertain', raw: [0xfe70], exceeded: [], unit: '°C', reason: 'comm_lost', detail: 'status ist (input 9) was not read' },
  { pointId: 'gas', value: 300, quality: 'bad', raw: [300], exceeded: ['GAS_1'], unit: '%LEL', reason: 'sensor_fault', detail: 'st: fault' },
  { pointId: 'tot', value: 65538, quality: 'bad', raw: [1, 2], exceeded: [], unit: 'h', reason: 'decode_error', detail: 'status st2 raw word 70000 out of range' },
  { pointId: 'p', value: 2.5, quality: 'good', raw: [0, 0x4020], exceeded: [], unit: 'MPa' },
  { pointId: 'bad', value: null, quality: 'bad', raw: [70000], exceeded: [], unit: '%', reason: 'decode_error', detail: 'raw holding words out of range: 70000' },
  { pointId: 'badf', value: null, quality: 'bad', raw: [1.5, 2], exceeded: [], unit: 'h', reason: 'decode_error', detail: 'raw input words out of range: 1.5,2' },
  { pointId: 'run', value: true, quality: 'good', raw: [1], exceeded: [] },
  { pointId: 'trip', value: null, quality: 'bad', raw: [2], exceeded: [], reason: 'decode_error', detail: 'raw coil words out of range: 2' },
];

/** deepEqual ignores key order; the JSON readings are sent as does not. */
function assertReadings(actual: DecodedPoint[], wanted: DecodedPoint[]): void {
  assert.deepEqual(actual, wanted);
  assert.equal(JSON.stringify(actual), JSON.stringify(wanted));
}

void describe('decodeModbusPoints over block layouts', () => {
  void test('blocks in any order, tables interleaved: the same readings, the straddling point skipped', () => {
    assertReadings(decodeModbusPoints(plant, [holdingHigh, inputs, holdingLow, coils]), expected);
    assertReadings(decodeModbusPoints(plant, [coils, holdingLow, holdingHigh, inputs]), expected);
  });

  void test('raw is a copy of the words: changing it leaves the block and the next decode alone', () => {
    const [first] = decodeModbusPoints(plant, [holdingHigh, inputs, holdingLow, coils]);
    first?.raw.push(99);
    assert.deepEqual(holdingHigh.values, [0, 1, 2, 0, 0, 523]);
    assertReadings(decodeModbusPoints(plant, [holdingHigh, inputs, holdingLow, coils]), expected);
  });

  void test('overlapping blocks: the first block in the list that covers a point is the one decoded', () => {
    const p = modbusProfile([
      { id: 'x0', name, table: 'holding', address: 0, type: 'uint16', unit: '%', range: { min: 0, max: 100 } },
      { id: 'x5', name, table: 'holding', address: 5, type: 'uint16', unit: '%', range: { min: 0, max: 100 } },
      { id: 'x1', name, table: 'holding', address: 1, type: 'uint16', unit: '%', range: { min: 0, max: 100 } },
    ]);
    const out = decodeModbusPoints(p, [
      { table: 'holding', start: 0, values: [10, 11] },
      { table: 'holding', start: 0, values: [20, 21, 22, 23, 24, 25] },
    ]);
    assert.deepEqual(out.map((d) => [d.pointId, d.value]), [['x0', 10], ['x5', 25], ['x1', 11]]);
  });
});
