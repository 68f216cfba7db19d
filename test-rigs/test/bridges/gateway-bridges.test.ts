/**
 * A bridge of each kind runs from the gateway config inside the real gateway agent: HJ 212 logger
 * data (live and historical), GNSS displacement and a line instrument land in the SQLite journal,
 * and a displacement past its configured limit is journaled on the alarm stream.
 * The uplink points at a closed port: this test stops at the journal (the uplink has its own tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from '../../src/net/free-port.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@safeloop/contract';
import { GatewayAgent, GatewayConfigSchema } from '@safeloop/gateway';
import { Journal } from '@safeloop/gateway/journal';
import { startGnssSimulator, startHj212Logger } from '../../src/bridges/index.ts';
import { waitFor } from './helpers.ts';

void test('HJ 212, NMEA and line bridges from the gateway config reach the journal; displacement alarm journaled', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-gw-bridges-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const baseline = { lat: 28.6518342, lon: 115.9735117, h: 62.418 };
  const gnss = await startGnssSimulator({ tcpPort: 0, baseline, intervalMs: 100, drift: { mmPerHour: { north: 72_000 } } }); // 20 mm/s
  t.after(() => gnss.stop());
  const instruments = new Set<net.Socket>();
  const lineServer = net.createServer((s) => {
    instruments.add(s);
    s.on('error', () => undefined);
    s.on('close', () => instruments.delete(s));
  });
  await new Promise<void>((r) => lineServer.listen(0, '127.0.0.1', r));
  t.after(async () => {
    for (const s of instruments) s.destroy();
    await new Promise((r) => lineServer.close(r));
  });
  const hjPort = await freePort();
  const MN = 'GWTEST000000000000000001';
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-bridges-test', siteId: 'plant' },
    journal: { path: join(dir, 'journal.db') },
    // connectTimeoutMs: the uplink's pending connect timer outlives agent.stop() (reported to the lead); keep it short.
    uplink: { transport: 'mqtt', url: `mqtt://127.0.0.1:${await freePort()}`, allowInsecure: true, delivery: { connectTimeoutMs: 1000, reconnectMinMs: 100 } },
    bridges: [
      {
        kind: 'hj212',
        id: 'env',
        listen: { host: '127.0.0.1', port: hjPort },
        loggers: [{ mn: MN, password: '123456', deviceId: 'ems-01', points: [{ code: 'a21028', pointId: 'h2s', unit: 'mg/m3' }, { code: 'a21028', field: 'Avg', pointId: 'h2s_avg', unit: 'mg/m3' }] }],
      },
      {
        kind: 'nmea',
        id: 'dam-gnss',
        site: 'tailings-pond',
        deviceId: 'gnss-01',
        transport: { kind: 'tcp', host: '127.0.0.1', port: gnss.port },
        baseline,
        points: [{ quantity: 'horizontal', pointId: 'disp_h', limits: [{ level: 'H', direction: 'high', value: 10 }] }],
      },
      {
        kind: 'line',
        id: 'rain',
        site: 'tailings-pond',
        deviceId: 'rain-01',
        transport: { kind: 'tcp', host: '127.0.0.1', port: (lineServer.address() as net.AddressInfo).port },
        parse: { kind: 'delimited' },
        points: [{ pointId: 'rain', field: 1, unit: 'mm' }],
      },
    ],
  });
  const agent = await GatewayAgent.start({ config, logger: silentLogger });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await agent.stop();
  });

  const live = await startHj212Logger({ port: hjPort, mn: MN, password: '123456', values: () => ({ 'a21028-Rtd': { value: 3.25, flag: 'N' } }) });
  const minute = await startHj212Logger({ port: hjPort, mn: MN, password: '123456', cn: '2051', values: () => ({ 'a21028-Avg': { value: 2.5, flag: 'N' } }) });
  t.after(async () => {
    await live.stop();
    await minute.stop();
  });
  await live.sendNow();
  await minute.sendNow();
  await live.waitForReplies(1);
  await minute.waitForReplies(1);
  await waitFor('line instrument connected', () => instruments.size === 1);
  for (const s of instruments) s.write('RG1,12.5\n');
  await waitFor('displacement alarm journaled', () => agent.journalStats.nextSeq.alarm > 1, 6000);
  await sleep(1000); // let the instrument line written above be read and journaled
  await agent.stop();
  stopped = true;

  const journal = Journal.open({ config: config.journal, logger: silentLogger });
  try {
    const telemetry = journal.peek('telemetry', 5000).map((e) => JSON.parse(e.body) as Record<string, unknown>);
    const find = (point: string) => telemetry.filter((r) => r.point === point);
    assert.deepEqual(find('plant/ems-01/h2s').map((r) => [r.value, r.quality, r.historical ?? false]), [[3.25, 'good', false]]);
    assert.deepEqual(find('plant/ems-01/h2s_avg').map((r) => [r.value, r.historical]), [[2.5, true]]);
    assert.deepEqual(find('tailings-pond/rain-01/rain').map((r) => [r.value, r.unit]), [[12.5, 'mm']]);
    assert.ok(find('tailings-pond/gnss-01/disp_h').length > 3, `disp_h rows: ${JSON.stringify(telemetry.map((r) => r.point))}`);
    const alarms = journal.peek('alarm', 100).map((e) => JSON.parse(e.body) as Record<string, unknown>);
    assert.deepEqual(alarms.map((a) => [a.point, a.kind, a.level]), [['tailings-pond/gnss-01/disp_h', 'raised', 'H']]);
  } finally {
    journal.close();
  }
});
