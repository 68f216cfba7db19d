/**
 * Issue 8, done-when: one field visit end to end, against the test rigs and a real cloud.
 *  1. scan a simulated RS-485 line (socat ptys behind a line gate that garbles wrong settings) with two
 *     devices at 38400 8E1, and browse the OPC-UA rig;
 *  2. commission the found devices (live reads, flags), write their gateway configuration, upload the
 *     commissioning report to the cloud for the site;
 *  3. claim the gateway's identity with a one-time code (key generated locally), run the real agent with the
 *     commissioned devices over mutual TLS to a real Mosquitto with per-gateway ACLs, and see the data in the cloud;
 *  4. push a remote configuration change that is applied and reported, then a bad one that the gateway rolls back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse } from 'yaml';
import { silentLogger } from '@safeloop/contract';
import { GatewayAgent } from '@safeloop/gateway';
import { GatewayConfigSchema } from '@safeloop/gateway/config';
import { browseOpcua, buildReport, commissionDevices, CommissionPlanSchema, deviceConfigYaml, lineSettings, openRtuProbe, scanSerialLine, uploadReport } from '@safeloop/gateway/commissioning/index';
import { caFingerprintOf, claimGateway } from '@safeloop/gateway/provisioning';
import { startModbusRtuSimulator, type ModbusSim } from '@safeloop/test-rigs/modbus/index';
import { startOpcuaSimulator, type OpcuaSim } from '@safeloop/test-rigs/opcua/index';
import { startLineGate, type LineGate } from '../commissioning/line-gate.ts';
import { startCloudFixture, type CloudFixture } from './cloud-fixture.ts';

const LINE = { baudRate: 38400, parity: 'even' as const };
let fx: CloudFixture;
let gate: LineGate;
let rtu: ModbusSim;
let opc: OpcuaSim;
let agent: GatewayAgent | undefined;

before(async () => {
  fx = await startCloudFixture();
  gate = await startLineGate(LINE);
  rtu = await startModbusRtuSimulator({
    path: gate.slavePath,
    ...LINE,
    devices: [
      { unitId: 4, profileId: 'generic-piezometer', identification: { vendorName: 'SafeLoop Sim', productCode: 'PZ-1', revision: '1.0' } },
      { unitId: 9, profileId: 'generic-rain-gauge' },
    ],
  });
  opc = await startOpcuaSimulator({ host: '127.0.0.1', devices: [{ name: 'Tank01', profileId: 'generic-tank-gauging-opcua' }], securityModes: ['None'] });
});

after(async () => {
  await agent?.stop();
  await opc?.stop();
  await rtu?.stop();
  await gate?.stop();
  await fx?.stop();
});

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a technician visit: scan, browse, commission, claim, data over mTLS, remote config applied and rolled back', { timeout: 240_000 }, async () => {
  // 1. scan the RS-485 line and browse the OPC-UA server
  const scan = await scanSerialLine({
    path: gate.masterPath,
    plan: { settings: lineSettings([9600, 38400], ['none', 'even']), units: Array.from({ length: 10 }, (_, i) => i + 1), timeoutMs: 80 },
    openProbe: async (path, s) => {
      gate.setMaster(s);
      return openRtuProbe(path, s);
    },
  });
  assert.deepEqual(scan.found.map((d) => d.unitId), [4, 9]);
  assert.deepEqual(scan.workingSettings.map((s) => `${s.baudRate}/${s.parity}`), ['38400/even']);
  gate.setMaster({ ...LINE, dataBits: 8, stopBits: 1 } as Parameters<LineGate['setMaster']>[0]);
  const tree = await browseOpcua({ kind: 'opcua', endpoint: opc.endpoint, securityMode: 'None', securityPolicy: 'None', useSubscription: false, samplingIntervalMs: 500 } as Parameters<typeof browseOpcua>[0], { depth: 4 });
  assert.match(JSON.stringify(tree), /Tank01/);

  // 2. commission what was found; write the device config; upload the report
  const rtuTransport = (unitId: number) => ({ kind: 'modbus-rtu' as const, path: gate.masterPath, baudRate: 38400, parity: 'even' as const, unitId, timeoutMs: 300 });
  const plan = CommissionPlanSchema.parse({
    technician: 'Technician A',
    site: 'dam1',
    reads: 2,
    intervalMs: 100,
    devices: [
      { id: 'piezo-1', profile: 'generic-piezometer', transport: rtuTransport(4), pollIntervalMs: 500 },
      { id: 'rain-1', profile: 'generic-rain-gauge', transport: rtuTransport(9), pollIntervalMs: 500 },
    ],
  });
  const result = await commissionDevices(plan, { technician: 'Technician A' } as Parameters<typeof commissionDevices>[1]);
  assert.ok(result.devices.every((d) => d.error === undefined), JSON.stringify(result.devices.map((d) => d.error)));
  const devices = (parse(deviceConfigYaml(result)) as { devices: unknown[] }).devices;
  assert.equal(devices.length, 2);
  const login = await fetch(`${fx.cloud.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'tech-a', password: 'safeloop' }) });
  const { token } = (await login.json()) as { token: string };
  const uploaded = await uploadReport({ cloudUrl: fx.cloud.url, token, siteId: 'dam1', report: buildReport(result) });
  assert.ok(uploaded.id);

  // 3. claim the identity and run the gateway with the commissioned devices over mutual TLS
  const tech = await fx.login('tech-a');
  const code = (await tech('POST', '/api/sites/dam1/claim-codes', {})).body.code as string;
  const id = await claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code, gatewayId: 'gwV', outDir: join(fx.dir, 'gwV') });
  assert.match(id.brokerUrl, /^mqtts:\/\//);
  const base = {
    gateway: { id: 'gwV', siteId: 'dam1', statusIntervalSec: 5 },
    journal: { path: join(fx.dir, 'gwV-journal.db') },
    uplink: { transport: 'mqtt', url: id.brokerUrl, tls: { ca: id.paths.ca, cert: id.paths.cert, key: id.paths.key }, delivery: { reconnectMinMs: 100, reconnectMaxMs: 500, statusIntervalSec: 1 } },
    devices,
  };
  agent = await GatewayAgent.start({ config: GatewayConfigSchema.parse(base), logger: silentLogger, remoteConfigHealthWindowMs: 3000 });
  const latest = async () => (await fx.cloud.store.latest({ siteId: 'dam1' })).filter((l) => l.gatewayId === 'gwV');
  await until('commissioned devices report to the cloud over mTLS', async () => {
    const pts = (await latest()).filter((l) => l.quality === 'good').map((l) => l.point);
    return pts.some((p) => p.startsWith('dam1/piezo-1/')) && pts.some((p) => p.startsWith('dam1/rain-1/'));
  });

  // 4. remote configuration: a good version applied and reported, a bad one rolled back
  const good = await tech('PUT', '/api/gateways/gwV/config', { config: { ...base, devices: (devices as Array<Record<string, unknown>>).map((d) => ({ ...d, pollIntervalMs: 700 })) } });
  assert.equal(good.status, 200, JSON.stringify(good.body));
  await until('version 1 reported', async () => (await tech('GET', '/api/gateways/gwV/config')).body.reportedVersion === good.body.version);
  const bad = await tech('PUT', '/api/gateways/gwV/config', {
    config: { ...base, devices: (devices as Array<Record<string, unknown>>).map((d) => ({ ...d, transport: { ...(d.transport as object), path: join(fx.dir, 'no-such-serial-port') } })) },
  });
  assert.equal(bad.status, 200, JSON.stringify(bad.body));
  await until('the bad version rolled back and reported as a system alarm', async () => {
    const rows = await fx.cloud.db.query<{ title: string }>("SELECT title FROM alarms WHERE kind = 'system'");
    return rows.some((r) => /GW_CONFIG_ROLLED_BACK|rolled back/i.test(r.title));
  });
  assert.equal((await tech('GET', '/api/gateways/gwV/config')).body.reportedVersion, good.body.version, 'the gateway still runs the good version');
  const after = Date.now();
  await until('fresh readings after the rollback', async () => (await latest()).some((l) => l.point.startsWith('dam1/piezo-1/') && l.quality === 'good' && l.sourceTime > after));
});
