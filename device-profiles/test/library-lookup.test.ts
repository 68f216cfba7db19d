/** getProfile / listProfiles / effectiveLimits / decodeOpcuaValue. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SafeLoopError } from '@safeloop/contract';
import { getProfile, listProfiles, nearProfileIds } from '../src/library.ts';
import { effectiveLimits } from '../src/limits.ts';
import { decodeOpcuaValue } from '../src/opcua-decode.ts';
import { DeviceProfileSchema, type OpcuaPointDef } from '../src/schema.ts';

void describe('getProfile', () => {
  void test('returns the parsed profile with defaults filled', () => {
    const p = getProfile('generic-h2s-ec');
    assert.equal(p.protocol, 'modbus');
    assert.equal(p.protocol === 'modbus' && p.points[0]?.order, 'ABCD');
    assert.equal(p.points[0]?.limits[0]?.deadband, 0);
  });

  void test('an unknown id throws PROFILE_NOT_FOUND listing near ids', () => {
    assert.throws(
      () => getProfile('generic-h2s'),
      (err: unknown) => {
        assert.ok(err instanceof SafeLoopError);
        assert.equal(err.code, 'PROFILE_NOT_FOUND');
        assert.match(err.message, /no device profile "generic-h2s"; did you mean generic-h2s-ec/);
        assert.deepEqual((err.details as { near: string[] }).near[0], 'generic-h2s-ec');
        return true;
      },
    );
  });

  void test('near ids: typos and shared words, nothing for nonsense', () => {
    assert.equal(nearProfileIds('generic-rain-guage')[0], 'generic-rain-gauge');
    assert.ok(nearProfileIds('methane').includes('generic-mine-methane'));
    assert.deepEqual(nearProfileIds('zzzzzzzzzzzzzzzzzzzzzzzzzzzz'), []);
    assert.throws(() => getProfile('zzzzzzzzzzzzzzzzzzzzzzzz'), (e: unknown) => e instanceof SafeLoopError && !/did you mean/.test(e.message));
  });

  void test('listProfiles returns the same frozen array every time', () => {
    assert.equal(listProfiles(), listProfiles());
    assert.ok(Object.isFrozen(listProfiles()));
  });
});

void describe('effectiveLimits', () => {
  const p = getProfile('generic-catalytic-lel');
  void test('profile defaults when there is no override', () => {
    assert.deepEqual(effectiveLimits(p, 'gas').map((l) => [l.level, l.value]), [['GAS_1', 25], ['GAS_2', 50]]);
  });
  void test('an override replaces the point limits entirely; other points keep theirs', () => {
    const overrides = { gas: [{ level: 'GAS_1' as const, direction: 'high' as const, value: 20, deadband: 1, onDelaySec: 0, offDelaySec: 0 }] };
    assert.deepEqual(effectiveLimits(p, 'gas', overrides).map((l) => [l.level, l.value, l.deadband]), [['GAS_1', 20, 1]]);
    assert.deepEqual(effectiveLimits(p, 'sensorLife', overrides), []);
  });
  void test('an invalid override fails loudly', () => {
    const bad = { gas: [{ level: 'GAS_3', direction: 'high', value: 20 }] } as never;
    assert.throws(() => effectiveLimits(p, 'gas', bad), { code: 'PROFILE_LIMIT_INVALID' });
  });
  void test('an unknown point throws PROFILE_POINT_NOT_FOUND', () => {
    assert.throws(() => effectiveLimits(p, 'nope'), { code: 'PROFILE_POINT_NOT_FOUND' });
  });
  void test('the returned array is a copy', () => {
    const limits = effectiveLimits(p, 'gas');
    limits.pop();
    assert.equal(effectiveLimits(p, 'gas').length, 2);
  });
});

void describe('decodeOpcuaValue', () => {
  const profile = DeviceProfileSchema.parse({
    id: 'opc-test',
    name: { zh: 'o', en: 'o' },
    sector: 'general',
    protocol: 'opcua',
    points: [
      { id: 'i', name: { zh: 'i', en: 'i' }, nodeId: 'ns=2;i=7', dataType: 'Int16', scale: 0.1, offset: -10, unit: 'kPa', range: { min: -10, max: 100 } },
      { id: 'f', name: { zh: 'f', en: 'f' }, nodeId: 'ns=2;s=F', dataType: 'Float', unit: 'm', range: { min: 0, max: 10 }, outOfRange: 'bad' },
      { id: 'b', name: { zh: 'b', en: 'b' }, nodeId: 'ns=2;s=B', dataType: 'Boolean' },
      { id: 's', name: { zh: 's', en: 's' }, nodeId: 'ns=2;s=S', dataType: 'String' },
    ],
  });
  const pt = (id: string) => profile.points.find((p) => p.id === id) as OpcuaPointDef;

  void test('integers are scaled and offset with decimal rounding', () => {
    assert.deepEqual(pick(decodeOpcuaValue(pt('i'), 123, true)), [2.3, 'good', undefined]);
  });
  void test('a non-integer for an integer type is a decode error', () => {
    assert.deepEqual(pick(decodeOpcuaValue(pt('i'), 1.5, true)), [null, 'bad', 'decode_error']);
  });
  void test('Float reads to 7 significant digits; out of range uses the point quality', () => {
    assert.deepEqual(pick(decodeOpcuaValue(pt('f'), Math.fround(0.1), true)), [0.1, 'good', undefined]);
    assert.deepEqual(pick(decodeOpcuaValue(pt('f'), 12, true)), [12, 'bad', 'out_of_range']);
    assert.deepEqual(pick(decodeOpcuaValue(pt('f'), Number.NaN, true)), [null, 'bad', 'decode_error']);
  });
  void test('booleans and strings pass through; the wrong type is a decode error', () => {
    assert.deepEqual(pick(decodeOpcuaValue(pt('b'), true, true)), [true, 'good', undefined]);
    assert.deepEqual(pick(decodeOpcuaValue(pt('b'), 1, true)), [null, 'bad', 'decode_error']);
    assert.deepEqual(pick(decodeOpcuaValue(pt('s'), 'run', true)), ['run', 'good', undefined]);
    assert.deepEqual(pick(decodeOpcuaValue(pt('s'), 5, true)), [null, 'bad', 'decode_error']);
  });
  void test('a bad status gives bad exception with no value', () => {
    assert.deepEqual(pick(decodeOpcuaValue(pt('i'), 123, false)), [null, 'bad', 'exception']);
  });
  void test('limits passed in (effective limits) are used instead of the point defaults', () => {
    const tank = getProfile('generic-tank-gauging-opcua');
    const level = tank.points[0] as OpcuaPointDef;
    assert.deepEqual(decodeOpcuaValue(level, 17, true).exceeded, ['H']);
    const limits = effectiveLimits(tank, 'level', { level: [{ level: 'HH', direction: 'high', value: 16.5, deadband: 0, onDelaySec: 0, offDelaySec: 0 }] });
    assert.deepEqual(decodeOpcuaValue(level, 17, true, { limits }).exceeded, ['HH']);
  });
});

function pick(d: { value: unknown; quality: string; reason?: string }): unknown[] {
  return [d.value, d.quality, d.reason];
}
