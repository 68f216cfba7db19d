/**
 * The point-limit table the edge rules use: a profile point's limits are shared by the devices that keep
 * them, and a site override stays with its own device — never shared, never leaking into another device.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceProfileSchema } from '@safeloop/device-profiles';
import { GatewayConfigSchema } from './config.ts';
import { collectPointLimits } from './point-limits.ts';

const device = (id: string, extra: object = {}) => ({ id, profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: 502, unitId: 1 }, ...extra });

test('a site override belongs to its device only; devices without one share the profile limits, frozen', () => {
  const override = [{ level: 'GAS_1', direction: 'high', value: 15 }, { level: 'GAS_2', direction: 'high', value: 30 }];
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-1', siteId: 'site-a' },
    uplink: { transport: 'mqtt', url: 'mqtt://127.0.0.1:1883', allowInsecure: true },
    devices: [device('gas-1'), device('gas-2', { limits: { gas: override } }), device('gas-3')],
  });
  const table = collectPointLimits(config);
  const one = table.get('site-a/gas-1/gas');
  const two = table.get('site-a/gas-2/gas');
  const three = table.get('site-a/gas-3/gas');
  assert.ok(one && two && three);
  assert.deepEqual(two.limits.map((l) => l.value), [15, 30], 'the override is used');
  assert.notDeepEqual(one.limits.map((l) => l.value), [15, 30], 'and not leaked into a neighbour');
  assert.equal(one.limits, three.limits, 'profile limits shared');
  assert.ok(Object.isFrozen(one.limits), 'a shared array cannot be changed through one device');
  assert.deepEqual(one.range, { min: 0, max: 100 });
  assert.equal(one.unit, '%LEL');
  assert.equal(one.overRangeLatch, config.alarms.overRangeLatch);
});

test('a profile point named after an Object.prototype member (constructor) keeps its profile limits, with and without overrides elsewhere', () => {
  const profile = DeviceProfileSchema.parse({
    id: 'odd-ids',
    name: { zh: '奇怪的点名', en: 'Odd ids' },
    sector: 'general',
    protocol: 'modbus',
    points: [
      { id: 'constructor', name: { zh: 'c', en: 'c' }, table: 'holding', address: 0, type: 'uint16', unit: 'ppm', range: { min: 0, max: 100 }, limits: [{ level: 'GAS_1', direction: 'high', value: 10 }] },
      { id: 'toString', name: { zh: 't', en: 't' }, table: 'holding', address: 1, type: 'uint16', unit: 'ppm', range: { min: 0, max: 100 } },
    ],
  });
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-1', siteId: 'site-a' },
    uplink: { transport: 'mqtt', url: 'mqtt://127.0.0.1:1883', allowInsecure: true },
    devices: [device('odd-1', { profile: 'odd-ids' }), device('odd-2', { profile: 'odd-ids', limits: { toString: [{ level: 'GAS_2', direction: 'high', value: 50 }] } })],
  });
  const table = collectPointLimits(config, () => profile);
  assert.deepEqual(table.get('site-a/odd-1/constructor')?.limits.map((l) => l.value), [10]);
  assert.deepEqual(table.get('site-a/odd-2/constructor')?.limits.map((l) => l.value), [10]);
  assert.deepEqual(table.get('site-a/odd-1/toString')?.limits, []);
  assert.deepEqual(table.get('site-a/odd-2/toString')?.limits.map((l) => l.value), [50]);
});
