/**
 * Remote configuration end to end: a claimed gateway (real GatewayAgent, real Uplink over mutual TLS to a
 * real Mosquitto with ACLs) polls a simulated Modbus TCP device; the cloud's PUT /api/gateways/:id/config
 * validates, audits and pushes versions. A good change (a second device) is applied and its version
 * reported in the gateway's status; a bad one (devices on a dead port) is rolled back by the gateway, which
 * keeps polling the old devices, reports the failure as a system event, and loses nothing journaled.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { silentLogger } from '@safeloop/contract';
import { GatewayAgent } from '@safeloop/gateway';
import { GatewayConfigSchema } from '@safeloop/gateway/config';
import { caFingerprintOf, claimGateway } from '@safeloop/gateway/provisioning';
import { startModbusTcpSimulator, type ModbusTcpSim } from '@safeloop/test-rigs';
import { startCloudFixture, type CloudFixture } from './cloud-fixture.ts';

let fx: CloudFixture;
let sim: ModbusTcpSim;
let agent: GatewayAgent | undefined;
before(async () => {
  fx = await startCloudFixture();
  sim = await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: 'generic-piezometer' }, { unitId: 2, profileId: 'generic-rain-gauge' }] });
});
after(async () => {
  await agent?.stop();
  await sim?.stop();
  await fx?.stop();
});

async function until(what: string, cond: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const device = (id: string, unitId: number, port: number, profile = 'generic-piezometer') => ({
  id,
  profile,
  transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId, timeoutMs: 300 },
  pollIntervalMs: 300,
});

void describe('remote configuration', () => {
  void it('a good version is applied and reported; a bad one is rolled back by the gateway, which keeps its data flowing', async () => {
    const tech = await fx.login('tech-a');
    const code = (await tech('POST', '/api/sites/dam1/claim-codes', {})).body.code as string;
    const id = await claimGateway({ cloudUrl: fx.cloud.url, caFingerprint: caFingerprintOf(fx.ca.caPem), code, gatewayId: 'gwR', outDir: join(fx.dir, 'gwR') });
    const base = {
      gateway: { id: 'gwR', siteId: 'dam1', statusIntervalSec: 5 },
      journal: { path: join(fx.dir, 'gwR-journal.db') },
      uplink: { transport: 'mqtt', url: id.brokerUrl, tls: { ca: id.paths.ca, cert: id.paths.cert, key: id.paths.key }, delivery: { reconnectMinMs: 100, reconnectMaxMs: 500, statusIntervalSec: 1 } },
      devices: [device('piezo-1', 1, sim.port)],
    };
    agent = await GatewayAgent.start({ config: GatewayConfigSchema.parse(base), logger: silentLogger, remoteConfigHealthWindowMs: 2500 });
    const latestPoints = async () => (await fx.cloud.store.latest({ siteId: 'dam1' })).filter((l) => l.gatewayId === 'gwR').map((l) => l.point);
    await until('first readings in the cloud', async () => (await latestPoints()).some((p) => p.startsWith('dam1/piezo-1/')));

    // validation: the cloud refuses what the gateway schema refuses, naming the path
    const bad = await tech('PUT', '/api/gateways/gwR/config', { config: { ...base, devices: [{ id: 'x' }] } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /config\.devices\.0\./);
    const foreign = await tech('PUT', '/api/gateways/gwR/config', { config: { ...base, gateway: { id: 'gwR', siteId: 'tank9' } } });
    assert.equal(foreign.status, 400);
    assert.equal((await (await fx.login('oper-a'))('PUT', '/api/gateways/gwR/config', { config: base })).status, 403);

    // good change: add the rain gauge
    const good = await tech('PUT', '/api/gateways/gwR/config', { config: { ...base, devices: [device('piezo-1', 1, sim.port), device('rain-1', 2, sim.port, 'generic-rain-gauge')] } });
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body.version, 1);
    await until('rain-1 readings in the cloud', async () => (await latestPoints()).some((p) => p.startsWith('dam1/rain-1/')));
    await until('version 1 reported', async () => (await tech('GET', '/api/gateways/gwR/config')).body.reportedVersion === 1);

    // bad change: every device on a dead port → rolled back within the health window
    const dead = await tech('PUT', '/api/gateways/gwR/config', { config: { ...base, devices: [device('piezo-1', 1, 9), device('rain-1', 2, 9, 'generic-rain-gauge')] } });
    assert.equal(dead.body.version, 2);
    await until('rollback reported as a system alarm', async () => {
      const rows = await fx.cloud.db.query<{ title: string }>("SELECT title FROM alarms WHERE kind = 'system'");
      return rows.some((r) => /GW_CONFIG_ROLLED_BACK|rolled back/.test(r.title));
    });
    const cfg = await tech('GET', '/api/gateways/gwR/config');
    assert.equal(cfg.body.version, 2, 'desired stays 2');
    assert.equal(cfg.body.reportedVersion, 1, 'the gateway still runs version 1');
    // still polling the restored devices: fresh readings reach the cloud, and the journal (never closed) drains
    const rolledBackAt = Date.now();
    await until('fresh piezo readings in the cloud after the rollback', async () =>
      (await fx.cloud.store.latest({ siteId: 'dam1' })).some((l) => l.gatewayId === 'gwR' && l.point.startsWith('dam1/piezo-1/') && l.quality === 'good' && l.sourceTime > rolledBackAt),
    );
    await until('journal drained', () => agent!.journalStats.backlog.telemetry === 0 && agent!.journalStats.backlog.alarm === 0);
    assert.ok(agent.journalStats.backlog.telemetry === 0);

    // audit: who, when, what changed
    const audit = await tech('GET', '/api/gateways/gwR/config/audit');
    assert.deepEqual(audit.body.map((a: { version: number }) => a.version), [1, 2]);
    assert.equal(audit.body[1].by, 'tech-a');
    assert.ok(audit.body[1].diff.some((d: { path: string; before: unknown; after: unknown }) => d.path === 'devices[0].transport.port' && d.after === 9));

    // roll back from the dashboard: fetch version 1's document, preview it (diff, nothing saved), apply with a note
    const v1 = await tech('GET', '/api/gateways/gwR/config/versions/1');
    assert.equal(v1.status, 200);
    const preview = await tech('POST', '/api/gateways/gwR/config/preview', { config: v1.body.config });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.currentVersion, 2);
    assert.ok(preview.body.diff.some((d: { path: string; after: unknown }) => d.path === 'devices[0].transport.port' && d.after === sim.port));
    assert.equal((await tech('GET', '/api/gateways/gwR/config')).body.version, 2, 'a preview saves nothing');
    const badPreview = await tech('POST', '/api/gateways/gwR/config/preview', { config: { ...base, devices: [{ id: 'x' }] } });
    assert.equal(badPreview.status, 400, 'a preview runs the same checks as a save');
    const back = await tech('PUT', '/api/gateways/gwR/config', { config: v1.body.config, expectedVersion: 2, note: 'roll back to v1' });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.equal(back.body.version, 3);
    const stale = await tech('PUT', '/api/gateways/gwR/config', { config: base, expectedVersion: 2 });
    assert.equal(stale.status, 409, 'a save from an editor that started at v2 is refused once v3 exists');
    await until('version 3 (the roll-back) reported', async () => (await tech('GET', '/api/gateways/gwR/config')).body.reportedVersion === 3);
    const after3 = (await tech('GET', '/api/gateways/gwR/config/audit')).body as { version: number; note?: string; restorable: boolean }[];
    assert.equal(after3.at(-1)?.note, 'roll back to v1');
    assert.ok(after3.every((a) => a.restorable));
  });
});
