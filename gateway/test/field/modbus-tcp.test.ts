/**
 * Modbus TCP end to end: the gateway's bus core and TCP driver against the test-rigs simulator
 * (a real socket, many unit ids behind one port, fault personalities per unit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadingSchema, silentLogger } from '@safeloop/contract';
import { startModbusTcpSimulator, type ModbusSim } from '@safeloop/test-rigs';
import { getEventListeners } from 'node:events';
import { createFieldSources } from '../../src/field/index.ts';
import { busPhaseMs } from '../../src/field/sources.ts';
import { createModbusTcpDriver } from '../../src/field/modbus-tcp-driver.ts';
import { FieldRequestError } from '../../src/field/errors.ts';
import { device, recorder, sleep, waitFor } from './helpers.ts';

const INTERVAL = 200;

function tcpDevice(id: string, profile: string, port: number, unitId: number, extra: Record<string, unknown> = {}) {
  return device({ id, profile, pollIntervalMs: INTERVAL, transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId, timeoutMs: 150, ...extra } });
}

async function withSim<T>(devices: Parameters<typeof startModbusTcpSimulator>[0]['devices'], fn: (sim: ModbusSim) => Promise<T>): Promise<T> {
  const sim = await startModbusTcpSimulator({ port: 0, devices });
  try {
    return await fn(sim);
  } finally {
    await sim.stop();
  }
}

void test('two devices behind one TCP port: one source, correct values, units, quality and times', async () => {
  await withSim(
    [
      { unitId: 1, profileId: 'generic-catalytic-lel' },
      { unitId: 2, profileId: 'generic-h2s-ec' },
    ],
    async (sim) => {
      sim.setValue(1, 'gas', 12.3);
      sim.setValue(1, 'sensorLife', 87);
      const rec = recorder();
      const sources = createFieldSources({
        devices: [tcpDevice('lel1', 'generic-catalytic-lel', sim.port, 1), { ...tcpDevice('h2s1', 'generic-h2s-ec', sim.port, 2), site: 'tankfarm' }],
        defaultSite: 'plant1',
        logger: silentLogger,
        sink: rec.sink,
      });
      assert.equal(sources.length, 1, 'one physical bus, one source');
      const [src] = sources;
      assert.ok(src);
      await src.start();
      try {
        const gas = await waitFor('gas reading', () => rec.last('lel1/gas'));
        assert.equal(gas.point, 'plant1/lel1/gas');
        assert.equal(gas.value, 12.3);
        assert.equal(gas.unit, '%LEL');
        assert.equal(gas.quality, 'good');
        assert.equal(rec.last('lel1/sensorLife')?.value, 87);
        const h2s = await waitFor('h2s reading', () => rec.readings.find((r) => r.point.startsWith('tankfarm/h2s1/')));
        assert.equal(h2s.quality, 'good');
        for (const r of rec.readings) ReadingSchema.parse(r);
        assert.ok(Math.abs(gas.gatewayTime - Date.now()) < 5000);
      } finally {
        await src.stop();
      }
    },
  );
});

void test('a silent unit: timeout, then comm_lost within two poll intervals, neighbour unaffected, recovery', async () => {
  await withSim(
    [
      { unitId: 1, profileId: 'generic-catalytic-lel' },
      { unitId: 2, profileId: 'generic-h2s-ec' },
    ],
    async (sim) => {
      const rec = recorder();
      const [src] = createFieldSources({
        devices: [tcpDevice('lel1', 'generic-catalytic-lel', sim.port, 1), tcpDevice('h2s1', 'generic-h2s-ec', sim.port, 2)],
        defaultSite: 'plant1',
        logger: silentLogger,
        sink: rec.sink,
      });
      assert.ok(src);
      await src.start();
      try {
        await waitFor('first good reading', () => rec.last('lel1/gas')?.quality === 'good');
        const silentAt = Date.now();
        sim.setFault(1, { kind: 'silent' });
        const timedOut = await waitFor('timeout reading', () => rec.readings.find((r) => r.point === 'plant1/lel1/gas' && r.gatewayTime >= silentAt && r.quality === 'bad'));
        assert.equal(timedOut.value, null, 'a bad reading never repeats the last value');
        const lost = await waitFor('comm_lost', () => rec.readings.find((r) => r.point === 'plant1/lel1/gas' && r.reason === 'comm_lost'), 3000);
        // The last good answer came at most one interval before the fault; comm_lost follows within two intervals of it.
        assert.ok(lost.gatewayTime - silentAt <= 2 * INTERVAL + 100, `comm_lost after ${lost.gatewayTime - silentAt} ms`);
        assert.equal(lost.quality, 'bad');
        assert.equal(lost.value, null);
        const h2sBefore = rec.of('h2s1/gas').length;
        await sleep(5 * INTERVAL);
        const h2sDuring = rec.of('h2s1/gas').filter((r) => r.quality === 'good').length;
        assert.ok(h2sDuring - h2sBefore >= 4, `neighbour kept polling (${h2sDuring - h2sBefore} readings in 5 intervals)`);
        sim.setFault(1, null);
        const back = Date.now();
        await waitFor('recovery', () => rec.readings.find((r) => r.point === 'plant1/lel1/gas' && r.gatewayTime > back && r.quality === 'good'), 12_000);
      } finally {
        await src.stop();
      }
    },
  );
});

void test('exception and short-frame replies become quality reasons, not zeros or crashes', async () => {
  await withSim([{ unitId: 1, profileId: 'generic-catalytic-lel' }], async (sim) => {
    const rec = recorder();
    const [src] = createFieldSources({ devices: [tcpDevice('lel1', 'generic-catalytic-lel', sim.port, 1)], defaultSite: 'p', logger: silentLogger, sink: rec.sink });
    assert.ok(src);
    await src.start();
    try {
      await waitFor('good', () => rec.last('lel1/gas')?.quality === 'good');
      sim.setFault(1, { kind: 'exception', code: 2 });
      const exc = await waitFor('exception', () => rec.readings.find((r) => r.reason === 'exception'));
      assert.equal(exc.value, null);
      assert.match(exc.detail ?? '', /0x02 illegal data address/);
      sim.setFault(1, { kind: 'shortFrame' });
      const short = await waitFor('short frame', () => rec.readings.find((r) => r.reason === 'short_frame'));
      assert.equal(short.quality, 'bad');
      assert.equal(short.value, null);
      sim.setFault(1, null);
      const t = Date.now();
      await waitFor('good again', () => rec.readings.find((r) => r.point === 'p/lel1/gas' && r.gatewayTime > t && r.quality === 'good'));
    } finally {
      await src.stop();
    }
  });
});

void test('device disconnects and refuses connections, then comes back: reconnect with backoff, no restart', async () => {
  await withSim([{ unitId: 1, profileId: 'generic-catalytic-lel' }], async (sim) => {
    const rec = recorder();
    const [src] = createFieldSources({ devices: [tcpDevice('lel1', 'generic-catalytic-lel', sim.port, 1)], defaultSite: 'p', logger: silentLogger, sink: rec.sink });
    assert.ok(src);
    await src.start();
    try {
      await waitFor('good', () => rec.last('lel1/gas')?.quality === 'good');
      sim.setFault(1, { kind: 'disconnect' });
      const lost = await waitFor('comm_lost', () => rec.readings.find((r) => r.reason === 'comm_lost'));
      assert.equal(lost.value, null);
      await sleep(1000);
      sim.setFault(1, null);
      const t = Date.now();
      const back = await waitFor('reconnected', () => rec.readings.find((r) => r.point === 'p/lel1/gas' && r.gatewayTime > t && r.quality === 'good'), 12_000);
      assert.ok(back.gatewayTime - t < 10_000 + 2 * INTERVAL, 'back within the backoff cap plus a cycle');
    } finally {
      await src.stop();
    }
  });
});

void test('a request without a timeout is refused (modbus-serial would wait forever)', async () => {
  const driver = createModbusTcpDriver({ host: '127.0.0.1', port: 1, logger: silentLogger });
  await assert.rejects(driver.readBlock(1, { table: 'holding', start: 0, count: 1 }, {} as never), /without a timeout/);
  await assert.rejects(driver.readBlock(1, { table: 'holding', start: 0, count: 1 }, { timeoutMs: 0 }), /without a timeout/);
});

void test('C3: a late TCP reply with an old transaction id is discarded, never used for the next request', async () => {
  await withSim([{ unitId: 1, profileId: 'generic-catalytic-lel', registerMode: 'address' }], async (sim) => {
    const driver = createModbusTcpDriver({ host: '127.0.0.1', port: sim.port, logger: silentLogger });
    await driver.open({ timeoutMs: 1000 });
    try {
      // Reply 400 ms late to a request that gives up after 100 ms (generous margins for a loaded machine).
      sim.setFault(1, { kind: 'lateReply', ms: 400 });
      await assert.rejects(driver.readBlock(1, { table: 'holding', start: 0, count: 4 }, { timeoutMs: 100 }), (e: unknown) => e instanceof FieldRequestError && e.reason === 'timeout');
      sim.setFault(1, null);
      // Same unit, function and length; the late reply to the first request arrives while this one waits.
      const values = await driver.readBlock(1, { table: 'holding', start: 100, count: 4 }, { timeoutMs: 500 });
      assert.deepEqual(values, [100, 101, 102, 103]);
      await waitFor('late frame counted', () => driver.counters().tidMismatches >= 1, 3000);
    } finally {
      await driver.close();
    }
  });
});

void test('aborting the bus signal ends an outstanding request at once; the signal holds one listener however many requests used it', async () => {
  await withSim([{ unitId: 1, profileId: 'generic-catalytic-lel', registerMode: 'address' }], async (sim) => {
    const driver = createModbusTcpDriver({ host: '127.0.0.1', port: sim.port, logger: silentLogger });
    await driver.open({ timeoutMs: 1000 });
    const ac = new AbortController();
    try {
      for (let i = 0; i < 50; i++) await driver.readBlock(1, { table: 'holding', start: i, count: 2 }, { timeoutMs: 500, signal: ac.signal });
      assert.equal(getEventListeners(ac.signal, 'abort').length, 1, 'one listener per signal, not one per request');
      // A request the device never answers in time: the abort, not the 5 s timeout, must end it.
      sim.setFault(1, { kind: 'lateReply', ms: 3000 });
      const t0 = Date.now();
      const outstanding = driver.readBlock(1, { table: 'holding', start: 0, count: 2 }, { timeoutMs: 5000, signal: ac.signal });
      await sleep(50);
      ac.abort();
      await assert.rejects(outstanding, (e: unknown) => e instanceof Error && /abort/i.test(e.message));
      assert.ok(Date.now() - t0 < 1000, `aborted after ${Date.now() - t0} ms`);
      // A signal aborted earlier and kept by nobody does not end a later request on another signal.
      sim.setFault(1, null);
      const values = await driver.readBlock(1, { table: 'holding', start: 7, count: 2 }, { timeoutMs: 1000, signal: new AbortController().signal });
      assert.deepEqual(values, [7, 8]);
    } finally {
      await driver.close();
    }
  });
});

void test('buses start out of step: bus k of n is k/n of its interval (at most 1 s) late, so one gateway does not poll every bus at once', async () => {
  assert.equal(busPhaseMs(0, 1, 1000), 0);
  assert.equal(busPhaseMs(0, 4, 1000), 0);
  assert.equal(busPhaseMs(3, 4, 1000), 750);
  assert.equal(busPhaseMs(99, 100, 60_000), 990, 'a slow interval still starts within 1 s');
  assert.equal(busPhaseMs(1, 2, 200), 100);
  // On the real path: four simulators (four buses), first readings spread over the interval.
  const sims = await Promise.all([1, 2, 3, 4].map(() => startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: 'generic-catalytic-lel' }] })));
  try {
    const firstAt = new Map<string, number>();
    const sources = createFieldSources({
      devices: sims.map((s, i) => ({ ...tcpDevice(`lel${i}`, 'generic-catalytic-lel', s.port, 1), pollIntervalMs: 800 })),
      defaultSite: 'plant1',
      logger: silentLogger,
      sink: (readings) => {
        for (const r of readings) {
          const dev = r.point.split('/')[1] ?? '';
          if (!firstAt.has(dev)) firstAt.set(dev, performance.now());
        }
      },
    });
    assert.equal(sources.length, 4);
    const t0 = performance.now();
    for (const s of sources) await s.start();
    try {
      await waitFor('every bus polled once', () => firstAt.size === 4, 5000);
      const offsets = ['lel0', 'lel1', 'lel2', 'lel3'].map((d) => (firstAt.get(d) ?? 0) - t0);
      for (let i = 1; i < 4; i++) assert.ok(offsets[i]! > offsets[i - 1]!, `bus ${i} polls after bus ${i - 1}: ${offsets.map(Math.round).join(', ')} ms`);
      assert.ok(offsets[3]! >= 500, `the last bus starts about 600 ms late: ${offsets.map(Math.round).join(', ')} ms`);
    } finally {
      for (const s of sources) await s.stop();
    }
  } finally {
    await Promise.all(sims.map((s) => s.stop()));
  }
});
