/**
 * The preflight start and `gateway --check` share (issue 13): every problem named at once, nothing opened.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayConfigSchema } from './config.ts';
import { preflight } from './preflight.ts';

const base = {
  gateway: { id: 'gw-1', siteId: 'site-a' },
  uplink: { transport: 'mqtt', url: 'mqtt://127.0.0.1:1883', allowInsecure: true },
};
const rtu = (id: string, unitId: number, path = '/dev/ttyUSB0') => ({ id, profile: 'generic-catalytic-lel', transport: { kind: 'modbus-rtu', path, unitId, baudRate: 9600 } });
const nmea = (id: string, path: string) => ({ kind: 'nmea', id, deviceId: `${id}-dev`, transport: { kind: 'serial', path }, baseline: { lat: 28.6, lon: 115.9, h: 30 } });
const hj212 = (id: string, port: number) => ({ kind: 'hj212', id, listen: { port }, loggers: [{ mn: `MN${id.toUpperCase()}00000000000000001`.slice(0, 24), password: '123456', deviceId: `${id}-dev`, points: [{ code: 'a21028', pointId: 'h2s', unit: 'mg/m3' }] }] });

test('a clean config has no problems and resolves library profiles', () => {
  const r = preflight(GatewayConfigSchema.parse({ ...base, devices: [rtu('gas-1', 1), rtu('gas-2', 2)] }));
  assert.deepEqual(r.problems, []);
  assert.equal(r.resolveProfile('generic-catalytic-lel').id, 'generic-catalytic-lel');
});

test('a serial port claimed by a Modbus line and a GNSS reader, and one listening port claimed twice, are both named', () => {
  const r = preflight(GatewayConfigSchema.parse({ ...base, devices: [rtu('gas-1', 1)], bridges: [nmea('gnss', '/dev/ttyUSB0'), hj212('ems-a', 9000), hj212('ems-b', 9000)] }));
  assert.ok(r.problems.includes('serial port /dev/ttyUSB0 is used by Modbus device gas-1 and by bridge gnss'), r.problems.join('\n'));
  assert.ok(r.problems.includes('listening port 9000 is used by bridge ems-a and by bridge ems-b'), r.problems.join('\n'));
});

test('a site limit outside the measuring range could never trip: named with the point path', () => {
  const device = { ...rtu('gas-1', 1), limits: { gas: [{ level: 'GAS_1', direction: 'high', value: 25 }, { level: 'GAS_2', direction: 'high', value: 150 }] } };
  const r = preflight(GatewayConfigSchema.parse({ ...base, devices: [device] }));
  assert.deepEqual(r.problems, ['site-a/gas-1/gas: limit GAS_2 150 lies outside the measuring range 0–100; it could never trip']);
});

test('profileDirs resolve against the config folder; an id defined twice names both files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-preflight-'));
  try {
    const profile = (id: string) => `id: ${id}\nname: { zh: 测试, en: Test }\nsector: hazchem\nprotocol: modbus\npoints:\n  - { id: v, name: { zh: 值, en: value }, table: holding, address: 0, type: uint16, unit: "%", range: { min: 0, max: 100 } }\n`;
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', 'one.yaml'), profile('site-meter'));
    const ok = preflight(GatewayConfigSchema.parse({ ...base, profileDirs: ['a'], devices: [{ ...rtu('m-1', 1), profile: 'site-meter' }] }), dir);
    assert.deepEqual(ok.problems, []);
    writeFileSync(join(dir, 'b', 'two.yaml'), profile('site-meter'));
    const dup = preflight(GatewayConfigSchema.parse({ ...base, profileDirs: ['a', 'b'], devices: [{ ...rtu('m-1', 1), profile: 'site-meter' }] }), dir);
    const text = dup.problems.join('\n');
    assert.match(text, /one\.yaml/);
    assert.match(text, /two\.yaml/);
    assert.match(text, /devices\.0 \(m-1\)/, 'the device whose profile cannot resolve is named too');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
