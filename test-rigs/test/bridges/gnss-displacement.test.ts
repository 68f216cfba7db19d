/**
 * NMEA GNSS bridge against the simulated receiver (TCP serial server and socat pty): displacement
 * accuracy against the scripted drift, quality from fix state, averaging, comm loss, bad checksums,
 * and the displacement alarm raised by the gateway's own edge evaluator from limits in bridge config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reading } from '@safeloop/contract';
import { EdgeEvaluator, type PointLimits } from '@safeloop/gateway/edge-rules';
import {
  bridgePointLimits,
  bridgePointUnits,
  BridgeConfigSchema,
  createBridgeSource,
  createCountingMetrics,
  type BridgeConfigInput,
  type NmeaBridgeConfig,
} from '@safeloop/firmware-bridges';
import { startGnssSimulator, type GnssSimulator, type GnssSimulatorOptions } from '../../src/bridges/index.ts';
import { collector, recordingLogger, waitFor } from './helpers.ts';

const baseline = { lat: 28.6847123, lon: 115.8579456, h: 48.25 };

async function rig(t: { after: (fn: () => Promise<void>) => void }, simOpts: Partial<GnssSimulatorOptions>, bridge: Partial<BridgeConfigInput> & Record<string, unknown> = {}) {
  const sim: GnssSimulator = await startGnssSimulator({ ...(simOpts.ptyPath === undefined ? { tcpPort: 0 } : {}), baseline, intervalMs: 100, geoidSeparation: -3.2, ...simOpts });
  const config = BridgeConfigSchema.parse({
    kind: 'nmea',
    id: 'gnss-bridge',
    deviceId: 'dam-gnss-1',
    transport: sim.port === undefined ? { kind: 'serial', path: sim.path, baudRate: 115200 } : { kind: 'tcp', host: '127.0.0.1', port: sim.port },
    baseline,
    reconnectMinMs: 100,
    points: [
      { quantity: 'east', pointId: 'disp_e' },
      { quantity: 'north', pointId: 'disp_n' },
      { quantity: 'up', pointId: 'disp_u' },
      { quantity: 'horizontal', pointId: 'disp_h', limits: [{ level: 'H', direction: 'high', value: 5 }] },
      { quantity: 'horizontalRate', pointId: 'disp_rate' },
    ],
    ...bridge,
  }) as NmeaBridgeConfig;
  const metrics = createCountingMetrics();
  const col = collector();
  const source = createBridgeSource(config, { defaultSite: 'pond', logger: recordingLogger(), sink: col.sink, metrics });
  await source.start();
  t.after(async () => {
    await source.stop();
    await sim.stop();
  });
  return { sim, config, metrics, source, ...col };
}

const byPoint = (readings: Reading[], point: string): Reading[] => readings.filter((r) => r.point === `pond/dam-gnss-1/${point}`);

function assertSubMm(readings: Reading[], sim: GnssSimulator): number {
  let checked = 0;
  for (const [point, key] of [['disp_e', 'east'], ['disp_n', 'north'], ['disp_u', 'up']] as const) {
    for (const r of byPoint(readings, point)) {
      const truth = sim.truthAt(r.sourceTime);
      assert.ok(truth, `epoch ${r.sourceTime} was written by the simulator`);
      assert.equal(r.quality, 'good');
      assert.equal(r.unit, 'mm');
      const err = Math.abs((r.value as number) - truth[key]);
      assert.ok(err < 0.2, `${point} at ${r.sourceTime}: ${String(r.value)} vs scripted ${truth[key].toFixed(4)} (error ${err.toFixed(4)} mm)`);
      checked += 1;
    }
  }
  return checked;
}

void test('TCP receiver: east/north/up follow the scripted drift to sub-millimetre (7-decimal minutes)', async (t) => {
  const h = await rig(t, { drift: { mmPerHour: { east: 36_000, north: -18_000, up: 7_200 }, startMm: { east: 1.5, north: 2.5, up: -0.7 } } });
  await waitFor('20 epochs', () => byPoint(h.readings, 'disp_e').length >= 20);
  assert.ok(assertSubMm(h.readings, h.sim) >= 60);
  for (const r of byPoint(h.readings, 'disp_h')) {
    const truth = h.sim.truthAt(r.sourceTime);
    assert.ok(truth && Math.abs((r.value as number) - Math.hypot(truth.east, truth.north)) < 0.2);
  }
  assert.equal(h.metrics.get('bridge_rejected_total'), 0);
});

void test('socat pty receiver: the same readings over a serial line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-gnss-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const h = await rig(t, { ptyPath: join(dir, 'gnss0'), drift: { mmPerHour: { east: -7_200, up: 3_600 } } });
  await waitFor('10 epochs over the pty', () => byPoint(h.readings, 'disp_e').length >= 10);
  assert.ok(assertSubMm(h.readings, h.sim) >= 30);
});

void test('fix state drives quality: RTK float uncertain, GPS-only and void bad no_fix, silence comm_lost; bad checksums counted', async (t) => {
  const h = await rig(t, { drift: { startMm: { east: 3 } } }, { commLossSec: 1 });
  await waitFor('good', () => byPoint(h.readings, 'disp_e').some((r) => r.quality === 'good'));
  h.sim.setFixQuality(5);
  await waitFor('uncertain', () => byPoint(h.readings, 'disp_e').some((r) => r.quality === 'uncertain'));
  const float = byPoint(h.readings, 'disp_e').find((r) => r.quality === 'uncertain');
  assert.ok(float && Math.abs((float.value as number) - 3) < 0.2, 'a float fix still carries its value');
  h.sim.setFixQuality(1);
  await waitFor('bad no_fix', () => byPoint(h.readings, 'disp_e').some((r) => r.quality === 'bad' && r.reason === 'no_fix'));
  h.sim.setFixQuality(0);
  await waitFor('RMC void', () => byPoint(h.readings, 'disp_e').some((r) => r.detail === 'RMC status V (void)'));
  for (const r of h.readings.filter((x) => x.quality === 'bad' && x.reason === 'no_fix')) assert.equal(r.value, null);
  h.sim.writeRaw('$GNGGA,120000.00,2841.0827380,N,11551.4767360,E,4,14,0.7,51.4500,M,-3.200,M,1.0,0001*00');
  h.sim.writeRaw('garbage line without a dollar');
  await waitFor('rejections counted', () => h.metrics.get('bridge_rejected_total', { reason: 'bad_checksum', source: 'dam-gnss-1' }) === 1 && h.metrics.get('bridge_rejected_total', { reason: 'malformed' }) === 1);
  h.sim.setSilent(true);
  await waitFor('comm_lost', () => byPoint(h.readings, 'disp_h').some((r) => r.reason === 'comm_lost'), 4000);
  h.sim.setFixQuality(4);
  h.sim.setSilent(false);
  const n = h.readings.length;
  await waitFor('good again after the link is reopened', () => h.readings.slice(n).some((r) => r.quality === 'good'), 5000);
});

void test('averaging window: one reading per window, the mean of its fixes', async (t) => {
  const h = await rig(t, { drift: { startMm: { east: 12.3, north: -4.5, up: 2 } } }, { averagingSec: 1 });
  await waitFor('3 averaged readings', () => byPoint(h.readings, 'disp_e').length >= 3, 6000);
  for (const r of byPoint(h.readings, 'disp_e')) {
    assert.ok(Math.abs((r.value as number) - 12.3) < 0.2, String(r.value));
    assert.match(r.detail ?? '', /^mean of (9|10|11) of (9|10|11) fixes$/);
  }
  const times = byPoint(h.readings, 'disp_e').map((r) => r.sourceTime);
  for (let i = 1; i < times.length; i += 1) assert.ok((times[i] as number) - (times[i - 1] as number) >= 900, 'one reading per second-long window');
});

void test('displacement past its limit raises the alarm in the gateway edge evaluator (limits from bridge config)', async (t) => {
  // 18 mm/s east from 0: horizontal displacement passes 5 mm after ≈ 0.3 s.
  const h = await rig(t, { drift: { mmPerHour: { east: 64_800 } } });
  const units = bridgePointUnits(h.config);
  const limits = new Map<string, PointLimits>(Object.entries(bridgePointLimits(h.config)).map(([k, l]) => [`pond/${k}`, { limits: l, ...(units[k] ? { unit: units[k] } : {}) }]));
  assert.deepEqual(units, { 'dam-gnss-1/disp_e': 'mm', 'dam-gnss-1/disp_n': 'mm', 'dam-gnss-1/disp_u': 'mm', 'dam-gnss-1/disp_h': 'mm', 'dam-gnss-1/disp_rate': 'mm/d' });
  const evaluator = new EdgeEvaluator(limits);
  await waitFor('displacement over 6 mm', () => byPoint(h.readings, 'disp_h').some((r) => (r.value as number) > 6));
  const events = evaluator.evaluate(h.readings).flatMap((e) => (e.type === 'alarm' ? [e] : []));
  assert.equal(events.length, 1);
  assert.equal(events[0]?.point, 'pond/dam-gnss-1/disp_h');
  assert.equal(events[0]?.kind, 'raised');
  assert.equal(events[0]?.level, 'H');
  assert.ok((events[0]?.value as number) >= 5 && (events[0]?.value as number) < 7);
  // Rate: 18 mm/s is 1 555 200 mm/d (uncertain while the one-hour rate window fills). Over the few
  // hundred ms this test runs, the 0.1 mm quantisation of 7-decimal minutes is a few per cent.
  const rate = byPoint(h.readings, 'disp_rate').at(-1);
  assert.ok(rate && Math.abs((rate.value as number) - 1_555_200) / 1_555_200 < 0.06, String(rate?.value));
  assert.equal(rate?.quality, 'uncertain');
  assert.equal(rate?.reason, 'stale');
});

void test('the demo snippet (firmware-bridges/examples) with the demo drift raises H then HH and clears both in one loop', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { parse } = await import('yaml');
  const { demoDamDrift, DEMO_DAM_GNSS_BASELINE } = await import('../../src/bridges/index.ts');
  const snippet = (parse(readFileSync(new URL('../../../firmware-bridges/examples/demo-tailings-gnss.yaml', import.meta.url), 'utf8')) as Record<string, unknown>[])[0] as Record<string, unknown>;
  // 60× fast time: the 5-minute loop runs in 5 s, one epoch per 3 simulated seconds.
  const t0 = Date.now();
  const fast = (): number => t0 + (Date.now() - t0) * 60;
  const sim = await startGnssSimulator({ tcpPort: 0, baseline: DEMO_DAM_GNSS_BASELINE, drift: demoDamDrift, intervalMs: 50, now: fast });
  const config = BridgeConfigSchema.parse({ ...snippet, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port } }) as NmeaBridgeConfig;
  const col = collector();
  const source = createBridgeSource(config, { defaultSite: 'unused', logger: recordingLogger(), sink: col.sink, clock: { now: fast, monotonic: () => performance.now() } });
  t.after(async () => {
    await source.stop();
    await sim.stop();
  });
  await source.start();
  const limits = new Map<string, PointLimits>(Object.entries(bridgePointLimits(config)).map(([k, l]) => [`tailings-pond/${k}`, { limits: l }]));
  const evaluator = new EdgeEvaluator(limits);
  await waitFor('one full loop', () => col.readings.filter((r) => r.point === 'tailings-pond/dam-gnss-01/disp_h').length >= 105, 9000);
  const events = evaluator.evaluate(col.readings).flatMap((e) => (e.type === 'alarm' ? [`${e.kind} ${e.level}`] : []));
  assert.deepEqual(events.slice(0, 4), ['raised H', 'raised HH', 'cleared HH', 'cleared H']);
});

void test('serial receiver unplugged and replugged (pty removed and re-created at the same path): comm_lost, then readings resume', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-gnss-replug-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ttyGNSS');
  let sim = await startGnssSimulator({ ptyPath: path, baseline, intervalMs: 100, drift: { startMm: { north: 4 } } });
  const config = BridgeConfigSchema.parse({
    kind: 'nmea', id: 'replug', deviceId: 'dam-gnss-1', transport: { kind: 'serial', path, baudRate: 115200 }, baseline,
    commLossSec: 1, reconnectMinMs: 100, reconnectMaxMs: 400, points: [{ quantity: 'north', pointId: 'disp_n' }],
  }) as NmeaBridgeConfig;
  const col = collector();
  const source = createBridgeSource(config, { defaultSite: 'pond', logger: recordingLogger(), sink: col.sink });
  t.after(async () => {
    await source.stop();
    await sim.stop();
  });
  await source.start();
  await waitFor('readings before unplug', () => col.readings.some((r) => r.quality === 'good'));
  await sim.stop(); // unplug: socat exits, the link path disappears
  await waitFor('comm_lost after unplug', () => col.readings.some((r) => r.reason === 'comm_lost'), 5000);
  const n = col.readings.length;
  sim = await startGnssSimulator({ ptyPath: path, baseline, intervalMs: 100, drift: { startMm: { north: 9 } } }); // replug
  await waitFor('readings after replug', () => col.readings.slice(n).some((r) => r.quality === 'good' && Math.abs((r.value as number) - 9) < 0.2), 8000);
});
