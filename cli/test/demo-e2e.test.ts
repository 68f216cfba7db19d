/**
 * The walking skeleton end to end: the demo stack (embedded broker, cloud on SQLite, simulated plant,
 * one gateway) runs on free ports; readings from every simulated device reach the cloud store through
 * the real path (driver → journal → MQTT → ingest → store), the ramping gas detector raises its
 * 一级 and 二级 alarms, and everything shuts down cleanly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@safeloop/contract';
import { startDemo } from '../src/demo/start-demo.ts';
import { freePort } from '@safeloop/test-rigs/net/free-port';

/** Compress every keyframe curve of the plant so the gas ramp happens 3× faster. */
function faster<T>(value: T, factor: number): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.kind === 'keyframes' && Array.isArray(o.points)) {
        return { ...o, points: (o.points as Array<{ t: number; value: number }>).map((p) => ({ ...p, t: p.t / factor })) };
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

test('demo stack: every device reports, the gas ramp raises 一级 and 二级, a paused device raises comm loss, clean shutdown', { timeout: 200_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'safeloop-demo-'));
  const demo = await startDemo({
    dataDir,
    httpPort: await freePort(),
    mqttPort: await freePort(),
    logger: silentLogger,
    randomPorts: true,
    transformRig: (rig) => faster(rig, 3),
  });
  try {
    const base = demo.url;
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);

    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'safeloop' }),
    });
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    const api = async <T>(path: string): Promise<T> => {
      const r = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
      return (await r.json()) as T;
    };

    const expectedDevices = ['tank-farm/gas-01', 'tank-farm/gas-02', 'tank-farm/h2s-01', 'tank-farm/tank-01', 'tailings-pond/pond-level', 'tailings-pond/piezo-01', 'tailings-pond/rain-01', 'tailings-pond/dam-gnss-01'];
    await until('readings from every simulated device', 60_000, async () => {
      const latest = [
        ...(await api<Array<{ point: string; quality: string }>>('/api/sites/tank-farm/latest')),
        ...(await api<Array<{ point: string; quality: string }>>('/api/sites/tailings-pond/latest')),
      ];
      const good = new Set(latest.filter((l) => l.quality === 'good').map((l) => l.point.split('/').slice(0, 2).join('/')));
      return expectedDevices.every((d) => good.has(d)) ? true : undefined;
    });

    const sites = await api<Array<{ id: string; gatewayOnline: boolean }>>('/api/sites');
    assert.deepEqual(
      sites.filter((x) => x.id === 'tank-farm' || x.id === 'tailings-pond').map((x) => [x.id, x.gatewayOnline]).sort(),
      [['tailings-pond', true], ['tank-farm', true]],
      'both demo gateways online',
    );

    const alarms = await until('一级 and 二级 alarms on gas-01', 60_000, async () => {
      const page = await api<{ items: Array<{ point?: string; level?: string }> }>('/api/alarms?state=all&siteId=tank-farm&pageSize=100');
      const levels = new Set(page.items.filter((a) => a.point?.startsWith('tank-farm/gas-01/')).map((a) => a.level));
      return levels.has('GAS_1') && levels.has('GAS_2') ? page.items : undefined;
    });
    assert.ok(alarms.length >= 2);

    // The demo's rig control (what `safeloop rig pause gas-02` uses): the paused detector raises one
    // comm-loss fault alarm on the desk, and it clears after the device answers again.
    type DeskAlarm = { id: string; kind: string; point?: string; condition: string; inputs: { fault?: string } };
    const commLoss = async (): Promise<DeskAlarm | undefined> =>
      (await api<{ items: DeskAlarm[] }>('/api/alarms?state=all&siteId=tank-farm&pageSize=100')).items.find((a) => a.kind === 'fault' && a.inputs.fault === 'comm_lost' && a.point?.startsWith('tank-farm/gas-02'));
    const devices = (await (await fetch(`${demo.rigControlUrl}/devices`)).json()) as { devices: { simulator: string; unit: number }[] };
    assert.ok(devices.devices.length >= 3, 'the rig lists its Modbus devices');
    const unknown = await fetch(`${demo.rigControlUrl}/devices/no-such-sim/9/pause`, { method: 'POST' });
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /RIG_ERR_NO_DEVICE/);
    const sim = devices.devices.find((d) => d.unit === 2)?.simulator;
    assert.ok(sim, 'gas-02 is unit 2 of a simulator');
    assert.equal((await fetch(`${demo.rigControlUrl}/devices/${sim}/2/pause`, { method: 'POST' })).status, 200);
    const raised = await until('a comm-loss fault alarm for the paused gas-02', 30_000, commLoss);
    assert.equal((await fetch(`${demo.rigControlUrl}/devices/${sim}/2/resume`, { method: 'POST' })).status, 200);
    await until('the comm-loss alarm cleared after resume', 40_000, async () => ((await commLoss())?.condition === 'cleared' ? true : undefined));
    assert.equal((await commLoss())?.id, raised.id, 'the same alarm, raised once and cleared');

    assert.equal((await fetch(`${base}/metrics`)).status, 401, 'metrics need the scrape token');
    const metricsToken = readFileSync(join(dataDir, 'cloud/metrics-token'), 'utf8').trim();
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    const ingested = /^safeloop_readings_ingested_total(?:\{[^}]*\})? (\d+)/m.exec(metrics);
    assert.ok(ingested && Number(ingested[1]) > 0, 'readings counted');
    assert.match(metrics, /^safeloop_alarms_raised_total/m);

    const openapi = await (await fetch(`${base}/api/openapi.json`)).json() as { openapi?: string; paths?: object };
    assert.ok(openapi.openapi?.startsWith('3'));
  } finally {
    const t0 = Date.now();
    await demo.stop();
    const took = Date.now() - t0;
    rmSync(dataDir, { recursive: true, force: true });
    assert.ok(took < 10_000, `shutdown took ${took} ms`);
  }
});
