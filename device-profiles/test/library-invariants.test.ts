/**
 * Invariants over every library profile, checked here independently of the schema's own semantic
 * rules (a rule dropped from profile-semantics.ts must still fail a test).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { getProfile, listProfiles } from '../src/library.ts';
import { decodeModbusPoints, type ModbusBlockData } from '../src/modbus-decode.ts';
import { encodeModbusPoint, encodeModbusStatus } from '../src/modbus-encode.ts';
import { planModbusReads } from '../src/modbus-plan.ts';
import { decodeOpcuaValue } from '../src/opcua-decode.ts';
import { pointSpan } from '../src/register-codec.ts';
import type { DeviceProfile, ModbusPointDef, ModbusProfile, ModbusTable, PointDef } from '../src/schema.ts';
import { UNITS } from '../src/units.ts';

const profiles = listProfiles();
const NUMERIC = new Set(['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Float', 'Double']);
const isNumeric = (p: PointDef): boolean => NUMERIC.has('nodeId' in p ? p.dataType : p.type);

void describe('the library as a whole', () => {
  void test('has at least 15 profiles with unique ids, covering every sector and both protocols', () => {
    assert.ok(profiles.length >= 15, `${profiles.length} profiles`);
    assert.equal(new Set(profiles.map((p) => p.id)).size, profiles.length);
    for (const sector of ['hazchem', 'tailings', 'coal', 'nonCoal']) assert.ok(profiles.some((p) => p.sector === sector), sector);
    for (const protocol of ['modbus', 'opcua']) assert.ok(profiles.some((p) => p.protocol === protocol), protocol);
  });

  void test('keeps the ids the demo uses', () => {
    for (const id of ['generic-catalytic-lel', 'generic-h2s-ec', 'generic-tank-gauging-opcua', 'generic-pond-radar-level', 'generic-piezometer', 'generic-rain-gauge']) {
      assert.equal(getProfile(id).id, id);
    }
  });

  void test('every profile has a golden test', () => {
    const dir = new URL('./', import.meta.url);
    const text = readdirSync(dir)
      .filter((f) => f.startsWith('golden-') && f.endsWith('.test.ts'))
      .map((f) => readFileSync(new URL(f, dir), 'utf8'))
      .join('\n');
    const missing = profiles.filter((p) => !text.includes(`golden${p.protocol === 'modbus' ? 'Modbus' : 'Opcua'}('${p.id}'`)).map((p) => p.id);
    assert.deepEqual(missing, []);
  });

  void test('the README lists every profile', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    assert.deepEqual(profiles.filter((p) => !readme.includes(`| \`${p.id}\` |`)).map((p) => p.id), []);
  });

  void test('library profiles are frozen: a consumer cannot change a limit for everyone', () => {
    const p = getProfile('generic-catalytic-lel');
    assert.throws(() => {
      (p.points[0]?.limits[0] as { value: number }).value = 99;
    }, TypeError);
  });
});

for (const profile of profiles) {
  void describe(`profile ${profile.id}`, () => {
    void test('point ids are unique and units known; numeric points have a unit and a range', () => {
      const ids = profile.points.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length);
      for (const p of profile.points as readonly PointDef[]) {
        if (p.unit !== undefined) assert.ok(Object.hasOwn(UNITS, p.unit), `${p.id}: unit ${p.unit}`);
        if (isNumeric(p)) assert.ok(p.unit !== undefined && p.range !== undefined, `${p.id} needs unit and range`);
      }
    });

    void test('limits lie inside the measuring range and on the right side', () => {
      for (const p of profile.points as readonly PointDef[]) {
        for (const l of p.limits) {
          assert.ok(p.range !== undefined && l.value >= p.range.min && l.value <= p.range.max, `${p.id} ${l.level} ${l.value}`);
          if (l.level === 'H' || l.level === 'HH') assert.equal(l.direction, 'high');
          if (l.level === 'L' || l.level === 'LL') assert.equal(l.direction, 'low');
        }
      }
    });

    if (profile.protocol === 'modbus') modbusInvariants(profile);
    else opcuaInvariants(profile);
  });
}

function modbusInvariants(profile: ModbusProfile): void {
  void test('registers do not overlap (bit points may share a register, not a bit)', () => {
    const owner = new Map<string, string>();
    for (const p of profile.points) {
      for (let r = p.address; r < p.address + pointSpan(p); r++) {
        const key = p.type === 'bit' ? `${p.table}:${r}:${p.bit}` : `${p.table}:${r}`;
        const clash = owner.get(key) ?? (p.type === 'bit' ? owner.get(`${p.table}:${r}`) : undefined);
        assert.equal(clash, undefined, `${p.id} overlaps ${clash} at ${key}`);
        owner.set(key, p.id);
        if (p.type === 'bit') owner.set(`${p.table}:${r}:bit`, p.id);
        else assert.equal(owner.get(`${p.table}:${r}:bit`), undefined, `${p.id} overlaps a bit point at ${p.table} ${r}`);
      }
    }
  });

  void test('status registers cover points that exist', () => {
    const ids = new Set(profile.points.map((p) => p.id));
    for (const s of profile.status) for (const id of s.appliesTo) assert.ok(ids.has(id), `${s.id} → ${id}`);
  });

  void test('every state a status register lists reaches the points it covers with the documented quality', () => {
    const expected = { normal: 'good', alarm: 'good', fault: 'bad', calibration: 'uncertain', maintenance: 'uncertain', warmup: 'uncertain', stopped: 'uncertain' } as const;
    const values = new Map(profile.points.map((p) => [p.id, sampleValue(p)]));
    for (const reg of profile.status) {
      for (const state of new Set([...reg.codes.map((c) => c.state), ...reg.bits.map((b) => b.state)])) {
        const e = encodeModbusStatus(profile, reg.id, state);
        const blocks = imageBlocks(profile, values).map((b) =>
          b.table === e.table && b.start <= e.address && e.address < b.start + b.values.length
            ? { ...b, values: b.values.map((v, i) => (b.start + i === e.address ? (e.values[0] ?? 0) : v)) }
            : b,
        );
        for (const d of decodeModbusPoints(profile, blocks).filter((x) => reg.appliesTo.includes(x.pointId))) {
          assert.equal(d.quality, expected[state], `${reg.id}=${state} → ${d.pointId}`);
        }
      }
    }
  });

  void test('the read plan covers every point once, within 125 registers per read', () => {
    const plan = planModbusReads(profile);
    const covered = plan.flatMap((b) => b.pointIds);
    assert.deepEqual([...covered].sort(), profile.points.map((p) => p.id).sort());
    for (const b of plan) assert.ok(b.count <= (b.table === 'coil' || b.table === 'discrete' ? 2000 : 125));
  });

  void test('encode → register image → plan → decode gives back every written value with good quality', () => {
    const values = new Map(profile.points.map((p) => [p.id, sampleValue(p)]));
    const decoded = decodeModbusPoints(profile, imageBlocks(profile, values));
    assert.deepEqual(decoded.map((d) => d.pointId), profile.points.map((p) => p.id));
    for (const d of decoded) {
      assert.equal(d.value, values.get(d.pointId), d.pointId);
      assert.equal(d.quality, 'good', `${d.pointId}: ${d.reason ?? ''} ${d.detail ?? ''}`);
    }
  });

  void test('every limit, range bound and mid-range value encodes and decodes exactly', () => {
    for (const p of profile.points.filter((x) => x.range !== undefined)) {
      const r = p.range ?? { min: 0, max: 0 };
      for (const v of [r.min, r.max, ...p.limits.map((l) => l.value)]) {
        assert.equal(roundTrip(profile, p, v), v, `${p.id} ${v}`);
      }
    }
  });

  void test('integer raw values survive decode then encode unchanged', () => {
    for (const p of profile.points.filter((x) => ['int16', 'uint16', 'int32', 'uint32'].includes(x.type))) {
      for (const words of rawSamples(p)) {
        const d = decodeModbusPoints(profile, [{ table: p.table, start: p.address, values: words }, ...statusNormal(profile)]).find((x) => x.pointId === p.id);
        if (d === undefined || typeof d.value !== 'number') continue;
        assert.deepEqual(encodeModbusPoint(profile, p.id, d.value).values, words, `${p.id} ${words.join(',')}`);
      }
    }
  });
}

function opcuaInvariants(profile: DeviceProfile): void {
  void test('node ids are unique and every point decodes a value of its type', () => {
    const points = profile.points as readonly PointDef[];
    assert.equal(new Set(points.map((p) => ('nodeId' in p ? p.nodeId : ''))).size, points.length);
    for (const p of points) {
      if (!('nodeId' in p)) continue;
      const v = p.dataType === 'Boolean' ? true : p.dataType === 'String' ? 'x' : (p.range?.min ?? 0);
      assert.equal(decodeOpcuaValue(p, v, true).quality, 'good', p.id);
    }
  });
}

/** A value inside the range that the raw type represents exactly. */
function sampleValue(p: ModbusPointDef): number | boolean | string {
  if (p.type === 'string') return 'SL-1';
  if (p.type === 'bool' || p.type === 'bit') return true;
  const r = p.range ?? { min: 0, max: 1 };
  const mid = (r.min + r.max) / 2;
  return p.type === 'float32' || p.type === 'float64' ? mid : Number((Math.round((mid - p.offset) / p.scale) * p.scale + p.offset).toFixed(6));
}

function roundTrip(profile: DeviceProfile, p: ModbusPointDef, v: number): unknown {
  const e = encodeModbusPoint(profile, p.id, v);
  return decodeModbusPoints(profile, [{ table: e.table, start: e.address, values: e.values }, ...statusNormal(profile)]).find((d) => d.pointId === p.id)?.value;
}

/** Status registers at their "normal" code (or 0 = no flags set). */
function statusNormal(profile: DeviceProfile): ModbusBlockData[] {
  if (profile.protocol !== 'modbus') return [];
  return profile.status.map((s) => ({ table: s.table, start: s.address, values: [s.codes.find((c) => c.state === 'normal')?.value ?? 0] }));
}

/** Build the register image a device would hold, then read it the way a driver would. */
function imageBlocks(profile: ModbusProfile, values: Map<string, number | boolean | string>): ModbusBlockData[] {
  const image = new Map<string, number>();
  const key = (t: ModbusTable, a: number): string => `${t}:${a}`;
  for (const s of statusNormal(profile)) image.set(key(s.table, s.start), s.values[0] ?? 0);
  for (const p of profile.points) {
    const e = encodeModbusPoint(profile, p.id, values.get(p.id) ?? 0);
    e.values.forEach((w, i) => image.set(key(e.table, e.address + i), p.type === 'bit' ? (image.get(key(e.table, e.address + i)) ?? 0) | w : w));
  }
  return planModbusReads(profile).map((b) => ({
    table: b.table,
    start: b.start,
    values: Array.from({ length: b.count }, (_, i) => image.get(key(b.table, b.start + i)) ?? 0),
  }));
}

function rawSamples(p: ModbusPointDef): number[][] {
  switch (p.type) {
    case 'int16':
    case 'uint16':
      return [[0], [1], [0x7ffe], [0x8001], [0xfffe], [12345]];
    default:
      return [[0, 0], [0, 1], [0x1234, 0x5678], [0x7fff, 0xfffe], [0x8000, 0x0001]];
  }
}
