/**
 * OPC-UA client against a real node-opcua server (test-rigs): subscriptions with monitored items,
 * read polling as the fallback, a server restart (RELIABILITY.md C8) and the technician's read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ReadingSchema, silentLogger } from '@safeloop/contract';
import { startOpcuaSimulator } from '@safeloop/test-rigs';
import { createFieldSources, readDeviceOnce } from '../../src/field/index.ts';
import { device, recorder, waitFor } from './helpers.ts';

async function trustedPki(serverCert: string): Promise<string> {
  const pkiDir = await mkdtemp(join(tmpdir(), 'safeloop-gw-pki-'));
  await mkdir(join(pkiDir, 'trusted', 'certs'), { recursive: true });
  await copyFile(serverCert, join(pkiDir, 'trusted', 'certs', basename(serverCert)));
  return pkiDir;
}

void test('C8: subscription data, server restart → comm_lost, then session and subscriptions come back with the gap flagged', async () => {
  const sim = await startOpcuaSimulator({ port: 0, devices: [{ name: 'tank01', profileId: 'generic-tank-gauging-opcua' }] });
  const pkiDir = await trustedPki(sim.certificateFile);
  const rec = recorder();
  const [src] = createFieldSources({
    devices: [
      device({
        id: 'tank01',
        profile: 'generic-tank-gauging-opcua',
        pollIntervalMs: 500,
        transport: { kind: 'opcua', endpoint: sim.endpoint, securityMode: 'SignAndEncrypt', pkiDir, samplingIntervalMs: 100, queueSize: 20, timeoutMs: 5000 },
      }),
    ],
    defaultSite: 'plant',
    logger: silentLogger,
    sink: rec.sink,
  });
  assert.ok(src);
  try {
    await src.start();
    sim.setValue('tank01', 'level', 7.25);
    const first = await waitFor('level 7.25', () => rec.readings.find((r) => r.point === 'plant/tank01/level' && r.value === 7.25), 20_000);
    assert.equal(first.quality, 'good');
    assert.equal(first.unit, 'm');
    assert.equal(first.reason, undefined);
    for (const r of rec.readings) ReadingSchema.parse(r);
    const before = Date.now();
    await sim.restart();
    sim.setValue('tank01', 'level', 8.5);
    const lost = await waitFor('comm_lost', () => rec.readings.find((r) => r.point === 'plant/tank01/level' && r.reason === 'comm_lost' && r.gatewayTime >= before), 20_000);
    assert.equal(lost.value, null);
    const resumed = await waitFor('data after restart', () => rec.readings.find((r) => r.point === 'plant/tank01/level' && r.gatewayTime > lost.gatewayTime && r.quality !== 'bad'), 30_000);
    assert.equal(resumed.reason, 'gap', 'first value after the outage carries the gap');
    assert.match(resumed.detail ?? '', /outage/);
    sim.setValue('tank01', 'level', 9.75);
    const later = await waitFor('a later value', () => rec.readings.find((r) => r.point === 'plant/tank01/level' && r.value === 9.75), 10_000);
    assert.equal(later.reason, undefined, 'only the first value after the outage is flagged');
    for (const id of ['temperature', 'pressure']) {
      assert.ok(rec.readings.some((r) => r.point === `plant/tank01/${id}` && r.gatewayTime > lost.gatewayTime && r.reason === 'gap'), `${id} flagged too`);
    }
  } finally {
    await src.stop();
    await sim.stop();
    await rm(pkiDir, { recursive: true, force: true });
  }
});

void test('read polling fallback and the technician read over OPC-UA', async () => {
  const sim = await startOpcuaSimulator({ port: 0, devices: [{ name: 'tank01', profileId: 'generic-tank-gauging-opcua' }] });
  const pkiDir = await trustedPki(sim.certificateFile);
  const rec = recorder();
  const transport = { kind: 'opcua' as const, endpoint: sim.endpoint, securityMode: 'Sign' as const, pkiDir, useSubscription: false, timeoutMs: 5000 };
  const [src] = createFieldSources({
    devices: [device({ id: 'tank01', profile: 'generic-tank-gauging-opcua', pollIntervalMs: 200, transport })],
    defaultSite: 'plant',
    logger: silentLogger,
    sink: rec.sink,
  });
  assert.ok(src);
  try {
    sim.setValue('tank01', 'pressure', 1.25);
    await src.start();
    await waitFor('polled values', () => rec.of('tank01/pressure').filter((r) => r.value === 1.25).length >= 3, 20_000);
    const rows = await readDeviceOnce({
      profileId: 'generic-tank-gauging-opcua',
      transport: { ...transport, securityPolicy: 'Basic256Sha256', samplingIntervalMs: 0, useSubscription: true },
    });
    assert.deepEqual(rows.map((r) => r.pointId), ['level', 'temperature', 'pressure']);
    assert.equal(rows.find((r) => r.pointId === 'pressure')?.value, 1.25);
    assert.ok(rows.every((r) => r.quality === 'good'));
  } finally {
    await src.stop();
    await sim.stop();
    await rm(pkiDir, { recursive: true, force: true });
  }
});
