/**
 * Done-when test of issue 12, on the real path: an independent Modbus gas detector (pymodbus, its
 * registers encoded in Python) → the gateway agent (poll, decode, quality, edge evaluator, journal,
 * MQTT uplink) → a private Mosquitto → the cloud (ingest, rules, alarm service, HTTP API) →
 * `/api/alarms` and `/api/sites/{id}/latest`, with the demo tenancy and the demo's cloud rules.
 *
 * In order, on one gateway and one cloud:
 * 1. a jump from 3 to 110 %LEL (over the 0–100 %LEL range) raises 二级 at the edge and in the cloud
 *    within 2 poll cycles;
 * 2. the detector's fault code raises a fault alarm titled as a sensor fault (not comm loss);
 * 3. a 30 s outage of the device raises exactly one comm-loss fault alarm that clears once after the
 *    device is back (no flapping, no stale-data alarm);
 * 4. an HJ 212 frame whose DataTime is 3 days ahead does not change the point's latest value and is
 *    shown beside it as bad_time;
 * 5. the gateway's own clock offset against the cloud (estimated from acks) is shown on the gateway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { silentLogger } from '@safeloop/contract';
import { GatewayAgent, GatewayConfigSchema } from '@safeloop/gateway';
import { CloudService } from '@safeloop/cloud/cloud-service';
import { CloudConfigSchema } from '@safeloop/cloud/config';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { startHj212Logger } from '../../src/bridges/index.ts';
import { freePort } from '../../src/net/free-port.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DETECTOR = fileURLToPath(new URL('./pymodbus-gas-detector.py', import.meta.url));
const POLL_MS = 1000;
const POINT = 'tank-farm/gas-e2e/gas';
const MN = 'WARNPATH0000000000000001';

interface AlarmItem {
  id: string;
  kind: string;
  level: string | null;
  title: string;
  point: string | null;
  condition: string;
  occurrence: number;
  returnedAt: number | null;
  inputs: Record<string, unknown>;
}
interface AuditEntry {
  action: string;
}
interface Latest {
  point: string;
  value: unknown;
  quality: string;
  reason: string | null;
  timeSuspect: { value: unknown; reason: string | null; sourceTime: number } | null;
}

/** The pymodbus detector as a child process with a command line on stdin. */
async function startDetector(port: number): Promise<{ send(cmd: string): Promise<void>; stop(): Promise<void> }> {
  const proc: ChildProcessWithoutNullStreams = spawn('/usr/bin/python3', [DETECTOR, String(port)]);
  const lines = createInterface({ input: proc.stdout });
  const waiters: { want: string; resolve: () => void }[] = [];
  let ready = false;
  lines.on('line', (l) => {
    if (l === 'READY') ready = true;
    const i = waiters.findIndex((w) => w.want === l);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve();
  });
  proc.stderr.resume();
  for (let k = 0; k < 100 && !ready; k++) await sleep(50);
  assert.ok(ready, 'pymodbus detector started');
  return {
    send: (cmd) =>
      new Promise<void>((resolve) => {
        waiters.push({ want: `OK ${cmd}`, resolve });
        proc.stdin.write(`${cmd}\n`);
      }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await gone;
    },
  };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

void test('warn path end to end: pymodbus detector → gateway → Mosquitto → cloud → /api/alarms', { timeout: 170_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-warn-path-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const broker = await startTestMosquitto();
  t.after(() => broker.stop());

  const cloud = await CloudService.start(
    CloudConfigSchema.parse({
      http: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: join(dir, 'cloud.db') },
      mqtt: { url: broker.url },
      seed: 'cloud/seed/demo.yaml',
      ruleFiles: ['examples/demo-rules.yaml'],
      auth: { secretFile: join(dir, 'token-secret') },
      web: { enabled: false },
      workers: { ingest: true, escalation: false },
    }),
    { logger: silentLogger, repoRoot: REPO },
  );
  t.after(() => cloud.stop());
  const tokenOf = async (username: string): Promise<string> => {
    const r = await fetch(`${cloud.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'safeloop' }) });
    return ((await r.json()) as { token: string }).token;
  };
  const token = await tokenOf('operator');
  const managerToken = await tokenOf('manager');
  const api = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `${path}: HTTP ${r.status}`);
    return (await r.json()) as T;
  };
  const post = async (path: string, body: unknown, as = token): Promise<Response> =>
    fetch(`${cloud.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${as}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const alarms = async (): Promise<AlarmItem[]> => (await api<{ items: AlarmItem[] }>('/api/alarms?siteId=tank-farm&pageSize=100')).items;
  const latestOf = async (point: string): Promise<Latest | undefined> => (await api<Latest[]>('/api/sites/tank-farm/latest')).find((l) => l.point === point);

  const modbusPort = await freePort();
  let detector = await startDetector(modbusPort);
  t.after(() => detector.stop());
  const hjPort = await freePort();
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-demo-01', siteId: 'tank-farm', statusIntervalSec: 5 },
    journal: { path: join(dir, 'journal.db') },
    uplink: { transport: 'mqtt', url: broker.url, allowInsecure: true, keepaliveSec: 5, delivery: { connectTimeoutMs: 1000, reconnectMinMs: 100, reconnectMaxMs: 1000 } },
    devices: [{ id: 'gas-e2e', profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: modbusPort, unitId: 1, timeoutMs: 300 }, pollIntervalMs: POLL_MS }],
    bridges: [{ kind: 'hj212', id: 'ems', listen: { host: '127.0.0.1', port: hjPort }, loggers: [{ mn: MN, password: '123456', deviceId: 'ems-e2e', points: [{ code: 'a21028', pointId: 'h2s', unit: 'mg/m3' }] }] }],
  });
  const agent = await GatewayAgent.start({ config, logger: silentLogger });
  t.after(() => agent.stop());

  await until('the detector reading 3 %LEL in the cloud', 30_000, async () => {
    const l = await latestOf(POINT);
    return l?.value === 3 && l.quality === 'good' ? l : undefined;
  });

  await t.test('3 → 110 %LEL (over range) raises 二级 at the edge and in the cloud within 2 poll cycles', async () => {
    const t0 = Date.now();
    await detector.send('gas 110');
    const gas2 = await until('二级 in /api/alarms', 2 * POLL_MS + 500, async () => (await alarms()).find((a) => a.point === POINT && a.level === 'GAS_2' && a.condition === 'active'), 50);
    const cloudMs = Date.now() - t0;
    assert.ok(cloudMs <= 2 * POLL_MS + 500, `二级 visible in the cloud API ${cloudMs} ms after the jump`);
    assert.equal(gas2.kind, 'point');
    const edge = gas2.inputs as { cause?: string; latched?: boolean; at?: number };
    t.diagnostic(`二级 in /api/alarms after ${cloudMs} ms; inputs ${JSON.stringify(gas2.inputs)}`);
    // At the edge: the gateway journaled the 二级 raise within 2 poll cycles of the jump.
    const journal = new Database(join(dir, 'journal.db'), { readonly: true, fileMustExist: true });
    const edgeRaise = (journal.prepare('SELECT body FROM alarm_events ORDER BY seq').all() as { body: string }[])
      .map((r) => JSON.parse(r.body) as { type: string; kind: string; point: string; level?: string; gatewayTime: number; cause?: string })
      .find((e) => e.type === 'alarm' && e.kind === 'raised' && e.point === POINT && e.level === 'GAS_2');
    journal.close();
    assert.ok(edgeRaise, 'the edge journaled the 二级 raise');
    assert.ok(edgeRaise.gatewayTime - t0 <= 2 * POLL_MS, `edge raise ${edgeRaise.gatewayTime - t0} ms after the jump`);
    assert.equal(edgeRaise.cause, 'over_range');
    t.diagnostic(`edge raise ${edgeRaise.gatewayTime - t0} ms after the jump`);
    const all = await alarms();
    assert.ok(all.some((a) => a.point === POINT && a.level === 'GAS_1' && a.condition === 'active'), '一级 raised too: over range is beyond every high limit');
    assert.ok(JSON.stringify(edge).includes('over_range'), 'the alarm says the value was over the measuring range');
    const l = await latestOf(POINT);
    assert.equal(l?.value, 110);
    assert.equal(l?.reason, 'out_of_range');
  });

  await t.test('the over-range 二级 stays latched when the gas falls back, until a person resets it', async () => {
    await detector.send('gas 3');
    const gas2 = await until('二级 noted as returned to normal, still active', 10_000, async () =>
      (await alarms()).find((a) => a.point === POINT && a.level === 'GAS_2' && a.condition === 'active' && a.returnedAt !== null),
    );
    const reset = await post(`/api/alarms/${gas2.id}/reset`, { note: '现场确认，探测器恢复正常' }, managerToken);
    assert.equal(reset.status, 200, await reset.text());
    assert.equal((await alarms()).find((a) => a.id === gas2.id)?.condition, 'cleared');
  });

  await t.test('the detector fault code raises a fault alarm titled as a sensor fault', async () => {
    await detector.send('status 3');
    const fault = await until('a sensor-fault alarm', 5 * POLL_MS, async () => (await alarms()).find((a) => a.kind === 'fault' && a.inputs.fault === 'sensor_fault' && a.condition === 'active'));
    assert.match(fault.title, /传感器故障|sensor fault/i);
    assert.doesNotMatch(fault.title, /通信|communication/i);
    await detector.send('status 0');
    await until('the sensor fault clears after the hold', 15_000, async () => ((await alarms()).find((a) => a.id === fault.id)?.condition === 'cleared' ? true : undefined), 250);
  });

  await t.test('a 30 s device outage: exactly one comm-loss alarm, cleared once, no stale-data alarm', async () => {
    const before = new Set((await alarms()).map((a) => a.id));
    await detector.stop();
    const down = Date.now();
    const comm = await until('the comm-loss alarm', 10_000, async () => (await alarms()).find((a) => !before.has(a.id) && a.kind === 'fault' && a.inputs.fault === 'comm_lost'), 200);
    assert.match(comm.title, /通信中断|communication lost/i);
    await sleep(Math.max(0, 30_000 - (Date.now() - down)));
    detector = await startDetector(modbusPort);
    const cleared = await until('the comm-loss alarm clears', 30_000, async () => ((await alarms()).find((a) => a.id === comm.id)?.condition === 'cleared' ? true : undefined), 250);
    assert.ok(cleared);
    await sleep(3 * POLL_MS);
    const after = (await alarms()).filter((a) => !before.has(a.id));
    assert.deepEqual(after.map((a) => [a.kind, a.condition]), [['fault', 'cleared']], `new alarms: ${JSON.stringify(after.map((a) => [a.title, a.condition]))}`);
    const detail = await api<{ occurrence: number; audit: AuditEntry[] }>(`/api/alarms/${comm.id}`);
    const transitions = detail.audit.map((e) => e.action).filter((a) => a === 'raised' || a === 'cleared' || a === 'reactivated');
    assert.deepEqual(transitions, ['raised', 'cleared'], 'one raise, one clear: no flapping');
    assert.equal(detail.occurrence, 1);
  });

  await t.test('an HJ 212 frame 3 days ahead does not replace the latest value; it is shown as bad_time', async () => {
    const h2s = 'tank-farm/ems-e2e/h2s';
    let value = 3.25;
    let shift = 0;
    const logger = await startHj212Logger({ port: hjPort, mn: MN, password: '123456', values: () => ({ 'a21028-Rtd': { value, flag: 'N' } }), now: () => Date.now() + shift });
    t.after(() => logger.stop());
    await logger.sendNow();
    await until('the sane HJ 212 value as latest', 10_000, async () => ((await latestOf(h2s))?.value === 3.25 ? true : undefined));
    value = 9.5;
    shift = 3 * 86_400_000;
    await logger.sendNow();
    const l = await until('the frame 3 days ahead shown beside the latest', 10_000, async () => {
      const x = await latestOf(h2s);
      return x?.timeSuspect ? x : undefined;
    });
    assert.equal(l.value, 3.25, 'the latest value is unchanged');
    assert.equal(l.quality, 'good');
    assert.equal(l.timeSuspect?.value, 9.5);
    assert.equal(l.timeSuspect?.reason, 'bad_time');
    assert.ok((l.timeSuspect?.sourceTime ?? 0) > Date.now() + 2 * 86_400_000);
  });

  await t.test('the gateway reports its own clock offset against the cloud (from acks)', async () => {
    const gw = await until('a status with the clock offset', 15_000, async () => {
      const g = await api<{ clockOffsetMs?: number }>('/api/gateways/gw-demo-01');
      return g.clockOffsetMs !== undefined ? g : undefined;
    }, 500);
    assert.ok(Math.abs(gw.clockOffsetMs ?? Infinity) < 2000, `offset ${gw.clockOffsetMs} ms on one machine`);
  });
});
