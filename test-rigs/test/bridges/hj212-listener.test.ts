/**
 * HJ 212 listener against simulated loggers over real TCP: many loggers at once, every bad-input
 * case rejected, logged with MN or address and counted, while the good loggers keep being served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ReadingSchema } from '@safeloop/contract';
import {
  BridgeConfigSchema,
  buildDataSegment,
  buildHj212Frame,
  createBridgeSource,
  createCountingMetrics,
  type Hj212BridgeConfig,
  type Hj212Listener,
} from '@safeloop/firmware-bridges';
import { startHj212Logger, type Hj212LoggerBehaviour, type Hj212LoggerSim } from '../../src/bridges/index.ts';
import { collector, recordingLogger, waitFor } from './helpers.ts';

const MN = (name: string): string => `${name.toUpperCase().padEnd(20, '0')}0001`;
const loggerCfg = (name: string, extra: Record<string, unknown> = {}) => ({
  mn: MN(name),
  password: '123456',
  deviceId: name,
  commLossSec: 0,
  points: [
    { code: 'a21028', field: 'Rtd', pointId: 'h2s', unit: 'mg/m3', range: { min: 0, max: 100 } },
    { code: 'a21026', field: 'Rtd', pointId: 'so2', unit: 'mg/m3' },
    { code: 'a01001', field: 'Rtd', pointId: 'temp', unit: 'Cel' },
    { code: 'a21028', field: 'Avg', pointId: 'h2s_avg', unit: 'mg/m3' },
  ],
  ...extra,
});

async function startListener(over: Record<string, unknown>) {
  const config = BridgeConfigSchema.parse({ kind: 'hj212', id: 'hj212-test', listen: { host: '127.0.0.1', port: 0 }, ...over }) as Hj212BridgeConfig;
  const metrics = createCountingMetrics();
  const logger = recordingLogger();
  const col = collector();
  const listener = createBridgeSource(config, { defaultSite: 'plant', logger, sink: col.sink, metrics }) as Hj212Listener;
  await listener.start();
  return { listener, metrics, logger, ...col, port: listener.address().port };
}

const values = (n: number) => ({ 'a21028-Rtd': { value: 1 + n, flag: 'N' }, 'a21026-Rtd': { value: 10 + n }, 'a01001-Rtd': { value: 25.5 } });
const rejected = (m: ReturnType<typeof createCountingMetrics>, reason: string, source?: string): number =>
  m.get('bridge_rejected_total', source === undefined ? { reason } : { reason, source });

void test('many loggers at once: every bad input rejected, logged with MN/address and counted; good loggers served throughout', async (t) => {
  const names = ['good', 'split', 'badcrc', 'badlen', 'wrongpw', 'oversize', 'reconn'];
  const h = await startListener({ loggers: names.map((n) => loggerCfg(n)), idleTimeoutSec: 3, maxGarbageBytes: 600 });
  const sims: Hj212LoggerSim[] = [];
  t.after(async () => {
    for (const s of sims) await s.stop();
    await h.listener.stop();
  });
  const start = async (name: string, behaviour: Hj212LoggerBehaviour, intervalMs = 0): Promise<Hj212LoggerSim> => {
    const sim = await startHj212Logger({ port: h.port, mn: MN(name), password: '123456', behaviour, values, reconnectEvery: 2, intervalMs });
    sims.push(sim);
    return sim;
  };

  // The good logger uploads every 300 ms throughout, on one connection.
  const good = await start('good', 'normal', 300);
  await good.waitForReplies(1);
  assert.equal(good.replies[0]?.cn, '9014');
  assert.equal(good.replies[0]?.flag, 4, 'replies never ask for a reply');

  const split = await start('split', 'split');
  const badcrc = await start('badcrc', 'bad_crc');
  const badlen = await start('badlen', 'bad_length');
  const wrongpw = await start('wrongpw', 'wrong_password');
  const oversize = await start('oversize', 'oversize');
  const reconn = await start('reconn', 'reconnecting');
  const unknown = await start('stranger', 'unknown_mn');
  const garbage = await start('garbage', 'garbage');
  const silent = await start('silent', 'silent');
  for (let i = 0; i < 4; i += 1) {
    for (const s of [split, badcrc, badlen, wrongpw, oversize, reconn, unknown, garbage]) await s.sendNow().catch(() => undefined);
  }

  await waitFor('every rejection counted', () =>
    rejected(h.metrics, 'bad_crc', MN('badcrc')) === 4 &&
    rejected(h.metrics, 'bad_length', MN('badlen')) === 4 &&
    rejected(h.metrics, 'wrong_password', MN('wrongpw')) === 4 &&
    rejected(h.metrics, 'oversize') >= 4 &&
    rejected(h.metrics, 'unknown_logger', '127.0.0.1') === 4 &&
    rejected(h.metrics, 'garbage_connection', '127.0.0.1') === 1 &&
    rejected(h.metrics, 'idle_timeout') >= 1,
  );
  await silent.waitForClose();
  await garbage.waitForClose();
  // Replies: 9011 with QnRtn=3 (PW error) and 4 (MN error).
  await wrongpw.waitForReplies(4);
  assert.ok(wrongpw.replies.every((r) => r.cn === '9011' && r.cp === 'QnRtn=3'));
  await unknown.waitForReplies(4);
  assert.ok(unknown.replies.every((r) => r.cn === '9011' && r.cp === 'QnRtn=4'));
  assert.equal(badcrc.replies.length, 0, 'a frame with a wrong CRC is not processed or answered');

  // The good logger is still served, on its original connection.
  const before = good.replies.length;
  await good.waitForReplies(before + 2);
  assert.equal(good.connects, 1, 'the good logger was never disconnected');
  await split.waitForReplies(8); // 2 packets (DataTime+h2s, so2+temp) × 4 uploads, each acknowledged
  await waitFor('reconnecting logger delivered all 4 uploads', () => h.readings.filter((r) => r.point.startsWith('plant/reconn/')).length === 12);
  assert.ok(reconn.connects >= 2);

  // Readings come only from frames that passed every check.
  const devices = new Set(h.readings.map((r) => r.point.split('/')[1]));
  assert.deepEqual([...devices].sort(), ['good', 'reconn', 'split']);
  const goodReadings = h.readings.filter((r) => r.point.startsWith('plant/good/'));
  assert.ok(goodReadings.length >= 3 * (before + 2) - 3 && goodReadings.length % 3 === 0, `${goodReadings.length} good readings`);
  for (const r of h.readings) ReadingSchema.parse(r);
  const splitH2s = h.readings.filter((r) => r.point === 'plant/split/h2s').map((r) => r.value);
  assert.deepEqual(splitH2s, [1, 2, 3, 4], 'split uploads reassembled in order');

  // Logged with the logger's MN when known, else the remote address.
  const warn = h.logger.entries.filter((e) => e.msg === 'HJ 212 input rejected');
  assert.ok(warn.some((e) => e.fields.reason === 'bad_crc' && e.fields.mn === MN('badcrc') && e.fields.remote === '127.0.0.1'));
  assert.ok(warn.some((e) => e.fields.reason === 'wrong_password' && e.fields.mn === MN('wrongpw')));
  assert.ok(warn.some((e) => e.fields.reason === 'unknown_logger' && e.fields.mn === undefined && e.fields.remote === '127.0.0.1'));
});

void test('an incomplete split upload expires (counted), a complete one after it still reads', async (t) => {
  const h = await startListener({ loggers: [loggerCfg('split')], reassemblyTimeoutSec: 1 });
  t.after(() => h.listener.stop());
  const sock = net.connect(h.port, '127.0.0.1');
  t.after(() => sock.destroy());
  await new Promise((r) => sock.once('connect', r));
  const part = (pno: number, cp: string, qn: string) =>
    buildHj212Frame(buildDataSegment({ qn, st: '22', cn: '2011', pw: '123456', mn: MN('split'), flag: 6, pnum: 2, pno, cp }));
  sock.write(part(1, 'DataTime=20260101080000;a21028-Rtd=7', '20260101080000000'));
  await waitFor('split timeout counted', () => rejected(h.metrics, 'split_timeout', MN('split')) === 1, 3000);
  assert.equal(h.readings.length, 0);
  sock.write(part(2, 'a21026-Rtd=8', '20260101080100000'));
  sock.write(part(1, 'DataTime=20260101080100;a21028-Rtd=9', '20260101080100000'));
  await waitFor('reassembled', () => h.readings.length === 2);
  assert.deepEqual(h.readings.map((r) => [r.point, r.value]), [['plant/split/h2s', 9], ['plant/split/so2', 8]]);
});

void test('minute/hour/day uploads are historical; data flags become quality; unknown codes counted', async (t) => {
  const h = await startListener({ loggers: [loggerCfg('hist')] });
  t.after(() => h.listener.stop());
  const sims: Hj212LoggerSim[] = [];
  t.after(async () => {
    for (const s of sims) await s.stop();
  });
  for (const cn of ['2051', '2061', '2031'] as const) {
    const sim = await startHj212Logger({ port: h.port, mn: MN('hist'), password: '123456', cn, values: () => ({ 'a21028-Avg': { value: 3.5, flag: 'C' }, 'a99001-Avg': { value: 1 } }) });
    sims.push(sim);
    await sim.sendNow();
    await sim.waitForReplies(1);
  }
  const rt = await startHj212Logger({ port: h.port, mn: MN('hist'), password: '123456', values: () => ({ 'a21028-Rtd': { value: 150, flag: 'N' }, 'a21026-Rtd': { value: 2, flag: 'D' } }) });
  sims.push(rt);
  await rt.sendNow();
  await waitFor('readings', () => h.readings.length === 5);
  const hist = h.readings.filter((r) => r.point === 'plant/hist/h2s_avg');
  assert.equal(hist.length, 3);
  for (const r of hist) {
    assert.equal(r.historical, true);
    assert.equal(r.quality, 'uncertain');
    assert.equal(r.reason, 'calibration');
  }
  const live = Object.fromEntries(h.readings.filter((r) => !r.historical).map((r) => [r.point, r]));
  assert.equal(live['plant/hist/h2s']?.reason, 'out_of_range', '150 is outside the 0..100 range');
  assert.equal(live['plant/hist/so2']?.reason, 'sensor_fault');
  assert.equal(h.metrics.get('bridge_unknown_codes_total', { code: 'a99001' }), 3);
});

void test('a silent logger reads comm_lost; the connection limit refuses extra connections', async (t) => {
  const h = await startListener({ loggers: [loggerCfg('quiet', { commLossSec: 1 })], maxConnections: 2 });
  t.after(() => h.listener.stop());
  await waitFor('comm_lost readings', () => h.readings.length > 0, 4000);
  assert.deepEqual(
    h.readings.map((r) => [r.point, r.quality, r.reason, r.value]),
    [
      ['plant/quiet/h2s', 'bad', 'comm_lost', null],
      ['plant/quiet/so2', 'bad', 'comm_lost', null],
      ['plant/quiet/temp', 'bad', 'comm_lost', null],
    ],
  );
  const socks = [0, 1, 2].map(() => net.connect(h.port, '127.0.0.1'));
  t.after(() => socks.forEach((s) => s.destroy()));
  await waitFor('third connection refused', () => rejected(h.metrics, 'too_many_connections') === 1);
  for (const s of socks) s.destroy();
  await waitFor('connections closed', () => h.metrics.get('bridge_connections_total', { event: 'close' }) >= 2);
  const sim = await startHj212Logger({ port: h.port, mn: MN('quiet'), password: '123456', values });
  t.after(() => sim.stop());
  await sim.sendNow();
  await waitFor('logger back with good readings', () => h.readings.some((r) => r.point === 'plant/quiet/h2s' && r.quality === 'good'));
});
