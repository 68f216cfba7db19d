/**
 * Golden tests: raw registers in → exact readings out, per library profile. Expected values are
 * written by hand from the register map in the profile's comment (floats from Python's struct), not
 * computed by the code under test. A row is [pointId, value, quality = good, reason, exceeded = []].
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AlarmLevel, Quality, ReasonCode } from '@safeloop/contract';
import { getProfile } from '../src/library.ts';
import { decodeModbusPoints, type ModbusBlockData } from '../src/modbus-decode.ts';
import { decodeOpcuaValue } from '../src/opcua-decode.ts';
import type { OpcuaPointDef } from '../src/schema.ts';

export type Row = [pointId: string, value: number | boolean | string | null, quality?: Quality, reason?: ReasonCode | undefined, exceeded?: AlarmLevel[]];

function normalise(row: Row): { pointId: string; value: unknown; quality: Quality; reason: ReasonCode | undefined; exceeded: AlarmLevel[] } {
  return { pointId: row[0], value: row[1], quality: row[2] ?? 'good', reason: row[3], exceeded: row[4] ?? [] };
}

export interface ModbusCase {
  name: string;
  blocks: ModbusBlockData[];
  expect: Row[];
}

export function goldenModbus(profileId: string, cases: ModbusCase[]): void {
  void describe(`golden ${profileId}`, () => {
    for (const c of cases) {
      void test(c.name, () => {
        const decoded = decodeModbusPoints(getProfile(profileId), c.blocks);
        const actual = decoded.map((d) => ({ pointId: d.pointId, value: d.value, quality: d.quality, reason: d.reason, exceeded: d.exceeded }));
        assert.deepEqual(actual, c.expect.map(normalise));
        for (const d of decoded) if (d.quality !== 'good') assert.ok(d.detail !== undefined && d.detail.length > 0, `${d.pointId} has a detail`);
      });
    }
  });
}

export interface OpcuaCase {
  name: string;
  inputs: [pointId: string, value: unknown, statusGood: boolean][];
  expect: Row[];
}

export function goldenOpcua(profileId: string, cases: OpcuaCase[]): void {
  void describe(`golden ${profileId}`, () => {
    for (const c of cases) {
      void test(c.name, () => {
        const profile = getProfile(profileId);
        const actual = c.inputs.map(([id, value, good]) => {
          const point = profile.points.find((p) => p.id === id) as OpcuaPointDef;
          const d = decodeOpcuaValue(point, value, good);
          return { pointId: d.pointId, value: d.value, quality: d.quality, reason: d.reason, exceeded: d.exceeded };
        });
        assert.deepEqual(actual, c.expect.map(normalise));
      });
    }
  });
}

export const holding = (start: number, values: number[]): ModbusBlockData => ({ table: 'holding', start, values });
export const input = (start: number, values: number[]): ModbusBlockData => ({ table: 'input', start, values });
export const discrete = (start: number, values: number[]): ModbusBlockData => ({ table: 'discrete', start, values });
export const coil = (start: number, values: number[]): ModbusBlockData => ({ table: 'coil', start, values });
/** int16 as the uint16 register that carries it. */
export const s16 = (n: number): number => n & 0xffff;
