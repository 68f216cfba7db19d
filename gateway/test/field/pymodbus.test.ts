/**
 * Interop with a Modbus implementation we did not write (Debian's pymodbus): catches a bug shared
 * symmetrically by our client and our simulator (framing, word order, addressing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { freePort } from '@safeloop/test-rigs/net/free-port';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@safeloop/contract';
import { createFieldSources, readDeviceOnce } from '../../src/field/index.ts';
import { device, recorder, sleep, waitFor } from './helpers.ts';

const SERVER = fileURLToPath(new URL('./pymodbus-server.py', import.meta.url));

async function accepts(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

void test('pymodbus server: float32 CDAB, int16 scale and status registers decode to the values Python encoded', async () => {
  const port = await freePort();
  const py = spawn('/usr/bin/python3', [SERVER, String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  py.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  try {
    for (let i = 0; !(await accepts(port)); i++) {
      if (i > 100 || py.exitCode !== null) throw new Error(`pymodbus did not start: ${stderr}`);
      await sleep(100);
    }
    const transport = { kind: 'modbus-tcp' as const, host: '127.0.0.1', port, unitId: 1, timeoutMs: 1000 };
    const rows = await readDeviceOnce({ profileId: 'generic-piezometer', transport });
    const by = new Map(rows.map((r) => [r.pointId, r]));
    assert.equal(by.get('phreaticDepth')?.value, 12.5);
    assert.equal(by.get('porePressure')?.value, 245.75);
    assert.equal(by.get('frequency')?.value, 1234.5);
    assert.equal(by.get('temperature')?.value, -5.5);
    assert.deepEqual(by.get('phreaticDepth')?.raw, [0x0000, 0x4148], 'raw registers as sent (CDAB)');
    assert.ok(rows.every((r) => r.quality === 'good'));

    const rec = recorder();
    const [src] = createFieldSources({
      devices: [
        device({ id: 'pz1', profile: 'generic-piezometer', pollIntervalMs: 200, transport }),
        device({ id: 'pz2', profile: 'generic-piezometer', pollIntervalMs: 200, transport: { ...transport, unitId: 2 } }),
      ],
      defaultSite: 'pond',
      logger: silentLogger,
      sink: rec.sink,
    });
    assert.ok(src);
    await src.start();
    try {
      const ok = await waitFor('pz1', () => rec.last('pz1/phreaticDepth'));
      assert.deepEqual([ok.value, ok.unit, ok.quality], [12.5, 'm', 'good']);
      const fault = await waitFor('pz2', () => rec.last('pz2/phreaticDepth'));
      assert.equal(fault.quality, 'bad', 'open wire status makes the depth bad');
      assert.equal(fault.reason, 'sensor_fault');
      assert.equal(rec.last('pz2/temperature')?.quality, 'good', 'status applies only to the points it covers');
    } finally {
      await src.stop();
    }
  } finally {
    py.kill();
  }
});
