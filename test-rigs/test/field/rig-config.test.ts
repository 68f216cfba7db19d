/**
 * Plant files: the demo plant validates and runs its scripted gas scenario; bad files are refused
 * with the file and the path named; startRig starts every simulator and stops them all, also when
 * one of them fails to start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, silentLogger } from '@safeloop/contract';
import { evaluateCurve } from '@safeloop/test-rigs/scenario/index';
import { RigConfigSchema, loadRigConfig, type RigConfigInput } from '@safeloop/test-rigs/rig-config';
import { startRig } from '@safeloop/test-rigs/rig';
import { closeClient, rejection, tcpClient } from './helpers.ts';

const DEMO = fileURLToPath(new URL('../../plants/demo-plant.yaml', import.meta.url));

void test('the demo plant validates: tank farm, OPC-UA tank gauging and tailings pond on the agreed ports', () => {
  const cfg = loadRigConfig(DEMO);
  const summary = cfg.simulators.map((s) => [s.kind, s.kind === 'modbus-rtu' ? s.path : s.port, s.devices.map((d) => d.profile)]);
  assert.deepEqual(summary, [
    ['modbus-tcp', 15020, ['generic-catalytic-lel', 'generic-catalytic-lel', 'generic-h2s-ec']],
    ['opcua', 14840, ['generic-tank-gauging-opcua']],
    ['modbus-tcp', 15021, ['generic-pond-radar-level', 'generic-piezometer', 'generic-rain-gauge', 'generic-dry-beach-monitor']],
  ]);
});

void test('the scripted leak crosses 一级 by ~20 s and 二级 by ~35 s, peaks near 60 and is below 20 by 60 s, every 5 min', () => {
  const cfg = loadRigConfig(DEMO);
  const farm = cfg.simulators[0];
  assert.equal(farm?.kind, 'modbus-tcp');
  const gas = farm?.kind === 'modbus-tcp' ? farm.devices.find((d) => d.unitId === 1)?.points['gas'] : undefined;
  assert.ok(gas);
  const noiseFree = { ...gas, noise: 0 };
  const at = (t: number): number => evaluateCurve(noiseFree, t);
  const firstAbove = (limit: number): number => {
    for (let t = 0; t < 300; t += 0.1) if (at(t) >= limit) return t;
    return Infinity;
  };
  assert.ok(at(0) >= 2 && at(0) <= 4, 'starts near 3 %LEL');
  assert.ok(firstAbove(25) > 10 && firstAbove(25) <= 21, `一级 at ${firstAbove(25).toFixed(1)} s`);
  assert.ok(firstAbove(50) > firstAbove(25) && firstAbove(50) <= 36, `二级 at ${firstAbove(50).toFixed(1)} s`);
  const peak = Math.max(...Array.from({ length: 600 }, (_, i) => at(i * 0.5)));
  assert.ok(peak >= 55 && peak <= 65, `peak ${peak}`);
  assert.ok(at(60) < 20, `at 60 s: ${at(60)}`);
  assert.ok(Math.abs(at(300 + 35) - at(35)) < 1e-9, 'repeats every 300 s');
  // Noise never takes it across a limit early: noise amplitude well below the distance at t=15 s.
  assert.ok(at(15) + (gas.kind === 'keyframes' ? gas.noise ?? 0 : 0) < 25);
});

async function problems(lines: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-rig-config-'));
  try {
    const file = join(dir, 'plant.yaml');
    await writeFile(file, lines.join('\n'));
    try {
      loadRigConfig(file);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    throw new Error('the plant file was accepted');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void test('structural errors name the file and the path: a fault without its parameter, RTU without path or pty', async () => {
  const msg = await problems([
    'simulators:',
    '  - kind: modbus-tcp',
    '    port: 15999',
    '    devices:',
    '      - { unitId: 2, profile: generic-h2s-ec, faults: [{ kind: slow }] }',
    '  - kind: modbus-rtu',
    '    devices: [{ unitId: 1, profile: generic-h2s-ec }]',
    '  - kind: modbus-tcp',
    '    port: 15998',
    '    devices: [{ unitId: 1, profile: generic-h2s-ec, points: { gas: { kind: ramp, from: 0, to: 1 } } }]',
  ]);
  assert.match(msg, /plant\.yaml: simulators\.0\.devices\.0\.faults\.0\.ms: /);
  assert.match(msg, /plant\.yaml: simulators\.1\.path: give either path or pty: true/);
  assert.match(msg, /plant\.yaml: simulators\.2\.devices\.0\.points\.gas\.durationSec: /);
});

void test('semantic errors name the file and the path: unknown profile, unknown point, wrong protocol, clashing ports and unit ids', async () => {
  const msg = await problems([
    'simulators:',
    '  - kind: modbus-tcp',
    '    port: 15999',
    '    devices:',
    '      - { unitId: 1, profile: generic-catalytic-lell }',
    '      - { unitId: 2, profile: generic-h2s-ec, points: { gass: { kind: constant, value: 1 } } }',
    '      - { unitId: 2, profile: generic-h2s-ec }',
    '  - kind: opcua',
    '    port: 15999',
    '    devices: [{ name: Tank01, profile: generic-catalytic-lel }]',
  ]);
  assert.match(msg, /plant\.yaml: simulators\.0\.devices\.0\.profile: .*generic-catalytic-lell/);
  assert.match(msg, /plant\.yaml: simulators\.0\.devices\.1\.points\.gass: profile generic-h2s-ec has no point "gass"/);
  assert.match(msg, /plant\.yaml: simulators\.0\.devices\.2\.unitId: unit id 2 is used twice/);
  assert.match(msg, /plant\.yaml: simulators\.1\.port: port 15999 is already used by simulators\.0/);
  assert.match(msg, /plant\.yaml: simulators\.1\.devices\.0\.profile: generic-catalytic-lel is a profile for modbus/);
});

void test('startRig serves Modbus TCP and an RTU line on a pty, and stop() releases everything', async () => {
  const input: RigConfigInput = {
    simulators: [
      { kind: 'modbus-tcp', name: 'farm', port: 0, devices: [{ unitId: 4, profile: 'generic-h2s-ec', points: { gas: { kind: 'constant', value: 2.5 } } }] },
      { kind: 'modbus-rtu', name: 'line', pty: true, baudRate: 19200, devices: [{ unitId: 1, profile: 'generic-rain-gauge' }] },
    ],
  };
  const rig = await startRig(RigConfigSchema.parse(input), { logger: silentLogger });
  const tcp = rig.endpoints.find((e) => e.kind === 'modbus-tcp');
  const rtu = rig.endpoints.find((e) => e.kind === 'modbus-rtu');
  assert.ok(tcp?.kind === 'modbus-tcp' && tcp.port > 0);
  assert.ok(rtu?.kind === 'modbus-rtu' && rtu.path.length > 0);
  const client = await tcpClient(tcp.port, 4);
  try {
    assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [25]);
    rig.modbus.get('farm')?.setFault(4, { kind: 'exception', code: 4 });
    assert.equal((await rejection(client.readHoldingRegisters(0, 1))).modbusCode, 4, 'faults reachable through rig.modbus');
  } finally {
    await closeClient(client);
  }
  await rig.stop();
  await assert.rejects(tcpClient(tcp.port, 4), /ECONNREFUSED/);
});

void test('when one simulator cannot start, the ones already started are stopped and the error is thrown', async () => {
  const blocker = net.createServer();
  blocker.listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const taken = (blocker.address() as net.AddressInfo).port;
  const free = net.createServer();
  free.listen(0, '127.0.0.1');
  await once(free, 'listening');
  const firstPort = (free.address() as net.AddressInfo).port;
  await new Promise<void>((r) => free.close(() => r()));
  try {
    const cfg = RigConfigSchema.parse({
      simulators: [
        { kind: 'modbus-tcp', port: firstPort, devices: [{ unitId: 1, profile: 'generic-h2s-ec' }] },
        { kind: 'modbus-tcp', port: taken, devices: [{ unitId: 1, profile: 'generic-h2s-ec' }] },
      ],
    });
    await assert.rejects(startRig(cfg, { logger: silentLogger }), /EADDRINUSE/);
    await assert.rejects(tcpClient(firstPort, 1), /ECONNREFUSED/, 'the first simulator was stopped');
  } finally {
    await new Promise<void>((r) => blocker.close(() => r()));
  }
});
