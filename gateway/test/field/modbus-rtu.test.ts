/**
 * Modbus RTU over a socat pty pair: the gateway's own RTU master against the test-rigs slave
 * simulator. Covers RELIABILITY.md C1 (silent slave on a 5-slave line), C2 (late reply), C7
 * (exception, CRC, short frame).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@safeloop/contract';
import { DeviceProfileSchema, type DeviceProfile } from '@safeloop/device-profiles';
import { createPtyPair, startModbusRtuSimulator, type PtyPair } from '@safeloop/test-rigs';
import { createFieldSources, type ModbusBus } from '../../src/field/index.ts';
import { createModbusRtuDriver } from '../../src/field/modbus-rtu-driver.ts';
import { FieldRequestError } from '../../src/field/errors.ts';
import { device, recorder, sleep, waitFor } from './helpers.ts';

type SimDevices = Parameters<typeof startModbusRtuSimulator>[0]['devices'];

async function withLine<T>(devices: SimDevices, fn: (pty: PtyPair, sim: Awaited<ReturnType<typeof startModbusRtuSimulator>>) => Promise<T>): Promise<T> {
  const pty = await createPtyPair();
  try {
    const sim = await startModbusRtuSimulator({ path: pty.b, baudRate: 19200, devices });
    try {
      return await fn(pty, sim);
    } finally {
      await sim.stop();
    }
  } finally {
    await pty.stop();
  }
}

function rtuDevice(id: string, profile: string, path: string, unitId: number, pollIntervalMs: number, timeoutMs = 100) {
  return device({ id, profile, pollIntervalMs, transport: { kind: 'modbus-rtu', path, baudRate: 19200, unitId, timeoutMs } });
}

/** Two same-length blocks far apart: a reply landing on the wrong request would read the wrong addresses. */
const twoBlocks: DeviceProfile = DeviceProfileSchema.parse({
  id: 'test-two-blocks',
  name: { zh: '测试', en: 'Test two blocks' },
  sector: 'general',
  protocol: 'modbus',
  points: [
    { id: 'a0', name: { zh: 'a0', en: 'a0' }, table: 'holding', address: 0, type: 'uint16', unit: '%', range: { min: 0, max: 65535 } },
    { id: 'a1', name: { zh: 'a1', en: 'a1' }, table: 'holding', address: 1, type: 'uint16', unit: '%', range: { min: 0, max: 65535 } },
    { id: 'b0', name: { zh: 'b0', en: 'b0' }, table: 'holding', address: 100, type: 'uint16', unit: '%', range: { min: 0, max: 65535 } },
    { id: 'b1', name: { zh: 'b1', en: 'b1' }, table: 'holding', address: 101, type: 'uint16', unit: '%', range: { min: 0, max: 65535 } },
  ],
});

void test('five slaves on one RS-485 line: one source, correct readings from each', async () => {
  const profiles = ['generic-catalytic-lel', 'generic-h2s-ec', 'generic-co-ec', 'generic-o2-ec', 'generic-nh3-ec'];
  await withLine(
    profiles.map((profileId, i) => ({ unitId: i + 1, profileId })),
    async (pty, sim) => {
      sim.setValue(1, 'gas', 31.5);
      const rec = recorder();
      const sources = createFieldSources({
        devices: profiles.map((p, i) => rtuDevice(`d${i + 1}`, p, pty.a, i + 1, 200)),
        defaultSite: 'mine',
        logger: silentLogger,
        sink: rec.sink,
      });
      assert.equal(sources.length, 1);
      const [src] = sources;
      assert.ok(src);
      await src.start();
      try {
        const gas = await waitFor('LEL reading', () => rec.last('d1/gas'));
        assert.deepEqual({ v: gas.value, u: gas.unit, q: gas.quality }, { v: 31.5, u: '%LEL', q: 'good' });
        for (let i = 2; i <= 5; i++) await waitFor(`d${i}`, () => rec.readings.find((r) => r.point.startsWith(`mine/d${i}/`) && r.quality === 'good'));
      } finally {
        await src.stop();
      }
    },
  );
});

void test('C1: a silent slave on a 5-slave line backs off; neighbours keep ≥ 95 % of their rate; its points go comm_lost within 2 intervals', async () => {
  // Realistic proportions: a silent slave costs timeout + late-reply guard (2 × 60 ms) of line time, less than one interval.
  const INTERVAL = 200;
  await withLine(
    [1, 2, 3, 4, 5].map((unitId) => ({ unitId, profileId: 'generic-h2s-ec' })),
    async (pty, sim) => {
      const rec = recorder();
      const [src] = createFieldSources({
        devices: [1, 2, 3, 4, 5].map((u) => rtuDevice(`d${u}`, 'generic-h2s-ec', pty.a, u, INTERVAL, 60)),
        defaultSite: 's',
        logger: silentLogger,
        sink: rec.sink,
      });
      assert.ok(src);
      const bus = src as ModbusBus;
      await src.start();
      try {
        await waitFor('all answering', () => [1, 2, 3, 4, 5].every((u) => rec.last(`d${u}/gas`)?.quality === 'good'));
        // Poll rate = cycles attempted per window (a load spike on the shared test machine hits both windows alike).
        const okCycles = (): number[] => bus.stats().devices.map((d) => d.cycles);
        const WINDOW = 4000;
        const b0 = okCycles();
        await sleep(WINDOW);
        const healthy = okCycles().map((n, i) => n - (b0[i] ?? 0));
        const silentAt = Date.now();
        sim.setFault(3, { kind: 'silent' });
        const s0 = okCycles();
        await sleep(WINDOW);
        const during = okCycles().map((n, i) => n - (s0[i] ?? 0));
        for (const i of [0, 1, 3, 4]) {
          const ratio = (during[i] ?? 0) / (healthy[i] ?? 1);
          assert.ok(ratio >= 0.95, `neighbour d${i + 1}: ${during[i]} cycles with a silent slave vs ${healthy[i]} healthy (${(ratio * 100).toFixed(1)} %)`);
        }
        const lost = rec.readings.find((r) => r.point === 's/d3/gas' && r.reason === 'comm_lost');
        assert.ok(lost, 'silent slave reported comm_lost');
        assert.ok(lost.gatewayTime - silentAt <= 2 * INTERVAL + 60, `comm_lost ${lost.gatewayTime - silentAt} ms after the fault`);
        const silentStats = bus.stats().devices[2];
        assert.ok(silentStats && silentStats.failedCycles < WINDOW / INTERVAL / 2, `silent slave backed off (${silentStats?.failedCycles} attempts in ${WINDOW / INTERVAL} intervals)`);
        assert.equal(silentStats?.state, 'comm_lost');
        assert.ok(!rec.readings.some((r) => r.point === 's/d3/gas' && r.gatewayTime > lost.gatewayTime && r.quality !== 'bad'), 'never repeated as fresh');
      } finally {
        await src.stop();
      }
    },
  );
});

void test('C2: a late reply never lands on the wrong register (addresses encoded in values)', async () => {
  await withLine([{ unitId: 7, profileId: 'test-two-blocks', profile: twoBlocks, registerMode: 'address' }], async (pty, sim) => {
    const driver = createModbusRtuDriver({ path: pty.a, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1, logger: silentLogger, lateReplyGuardMs: 100 });
    await driver.open({ timeoutMs: 1000 });
    try {
      sim.setFault(7, { kind: 'lateReply', ms: 150 });
      await assert.rejects(driver.readBlock(7, { table: 'holding', start: 0, count: 2 }, { timeoutMs: 100 }), (e: unknown) => e instanceof FieldRequestError && e.reason === 'timeout');
      sim.setFault(7, null);
      // Same unit, function and length, sent right away: the late reply for 0..1 arrives while the master waits.
      const b = await driver.readBlock(7, { table: 'holding', start: 100, count: 2 }, { timeoutMs: 300 });
      assert.deepEqual(b, [100, 101]);
      assert.ok(driver.counters().lateFrames >= 1, 'late frame discarded and counted');
    } finally {
      await driver.close();
    }
    // Through the bus with the fault on for a while: every good value is its own address.
    const rec = recorder();
    const [src] = createFieldSources({
      devices: [rtuDevice('t', 'test-two-blocks', pty.a, 7, 100, 60)],
      defaultSite: 's',
      logger: silentLogger,
      sink: rec.sink,
      resolveProfile: (id) => (id === 'test-two-blocks' ? twoBlocks : undefined),
    });
    assert.ok(src);
    await src.start();
    try {
      await waitFor('good', () => rec.last('t/b1')?.quality === 'good');
      for (const ms of [70, 90, 130]) {
        sim.setFault(7, { kind: 'lateReply', ms });
        await sleep(600);
      }
      sim.setFault(7, null);
      const t = Date.now();
      await waitFor('good again', () => rec.readings.find((r) => r.point === 's/t/b1' && r.gatewayTime > t && r.quality === 'good'), 15_000);
      const expected: Record<string, number> = { a0: 0, a1: 1, b0: 100, b1: 101 };
      for (const r of rec.readings.filter((x) => x.quality === 'good')) {
        const id = r.point.split('/')[2] ?? '';
        assert.equal(r.value, expected[id], `${r.point} read ${String(r.value)}`);
      }
      assert.ok(rec.readings.some((r) => r.reason === 'timeout' || r.reason === 'comm_lost'), 'the late replies were timeouts');
    } finally {
      await src.stop();
    }
  });
});

void test('C7: exception, bad CRC and short frame become quality reasons; the line recovers', async () => {
  await withLine([{ unitId: 1, profileId: 'generic-catalytic-lel' }, { unitId: 2, profileId: 'generic-h2s-ec' }], async (pty, sim) => {
    const rec = recorder();
    const [src] = createFieldSources({
      devices: [rtuDevice('lel', 'generic-catalytic-lel', pty.a, 1, 150), rtuDevice('h2s', 'generic-h2s-ec', pty.a, 2, 150)],
      defaultSite: 's',
      logger: silentLogger,
      sink: rec.sink,
    });
    assert.ok(src);
    await src.start();
    try {
      await waitFor('good', () => rec.last('lel/gas')?.quality === 'good');
      const cases: [Parameters<typeof sim.setFault>[1], string][] = [
        [{ kind: 'exception', code: 4 }, 'exception'],
        [{ kind: 'badCrc' }, 'crc_error'],
        [{ kind: 'shortFrame' }, 'short_frame'],
      ];
      for (const [fault, reason] of cases) {
        sim.setFault(1, fault);
        const r = await waitFor(reason, () => rec.readings.find((x) => x.point === 's/lel/gas' && x.reason === reason), 3000);
        assert.equal(r.quality, 'bad');
        assert.equal(r.value, null, `${reason} is never a zero`);
        sim.setFault(1, null);
        const t = Date.now();
        await waitFor(`recovered from ${reason}`, () => rec.readings.find((x) => x.point === 's/lel/gas' && x.gatewayTime > t && x.quality === 'good'), 5000);
      }
      assert.ok(rec.of('h2s/gas').filter((r) => r.quality === 'good').length > 5, 'neighbour unaffected');
    } finally {
      await src.stop();
    }
  });
});
