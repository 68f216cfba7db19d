/**
 * Done-when (issue 14): a gas alarm at the edge with the uplink cut sets the siren coil within one
 * poll cycle; acknowledging in the cloud after the uplink returns silences it. Real parts: the rig's
 * Modbus TCP simulator (gas detector + 声光报警器 I/O module), a GatewayAgent whose MQTT uplink runs
 * through a fault proxy, the cloud (CloudService: embedded broker, ingest, alarm lifecycle) whose
 * acknowledgement sends the `siren silence` command back down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, validateConfig } from '@safeloop/contract';
import { CloudService } from '@safeloop/cloud/cloud-service';
import { CloudConfigSchema } from '@safeloop/cloud/config';
import { GatewayAgent } from '@safeloop/gateway';
import { GatewayConfigSchema } from '@safeloop/gateway/config';
import { freePort, NetFaultProxy, startModbusTcpSimulator } from '@safeloop/test-rigs';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('uplink cut: the edge sounds the horn by the next poll; the cloud acknowledgement after the uplink returns silences it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-siren-cloud-'));
  const brokerPort = await freePort();
  const sim = await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: 'generic-catalytic-lel' }, { unitId: 2, profileId: 'generic-alarm-io' }] });
  sim.setValue(1, 'gas', 3);
  const coil = (): number | undefined => {
    const r = sim.device(2).read('coil', 0, 1);
    return r.ok ? r.values[0] : undefined;
  };
  const pollsSeen: number[] = [];
  let watching = false;
  const gasDevice = sim.device(1);
  const read = gasDevice.read.bind(gasDevice);
  gasDevice.read = (table, address, count) => {
    if (watching && table === 'holding' && address === 0) pollsSeen.push(coil() ?? -1);
    return read(table, address, count);
  };
  let cloud: CloudService | undefined;
  let proxy: NetFaultProxy | undefined;
  let agent: GatewayAgent | undefined;
  try {
    cloud = await CloudService.start(
      validateConfig('(siren test cloud)', {
        http: { host: '127.0.0.1', port: 0 },
        store: { kind: 'sqlite', path: join(dir, 'cloud.db') },
        mqtt: { url: `mqtt://127.0.0.1:${brokerPort}`, protocolVersion: 4 },
        embeddedBroker: { host: '127.0.0.1', port: brokerPort },
        seed: 'cloud/seed/demo.yaml',
        auth: { secretFile: join(dir, 'token-secret') },
        web: { enabled: false },
        workers: { escalation: false },
      }, CloudConfigSchema),
      { logger: silentLogger, repoRoot: REPO_ROOT },
    );
    proxy = await NetFaultProxy.start({ target: { host: '127.0.0.1', port: brokerPort } });
    agent = await GatewayAgent.start({
      config: GatewayConfigSchema.parse({
        gateway: { id: 'gw-demo-01', siteId: 'tank-farm', statusIntervalSec: 5 },
        journal: { path: join(dir, 'journal.db') },
        uplink: { transport: 'mqtt', url: proxy.url, protocolVersion: 4, allowInsecure: true, keepaliveSec: 5, delivery: { reconnectMinMs: 100, reconnectMaxMs: 300 } },
        devices: [
          { id: 'gas-01', profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 500 }, pollIntervalMs: 250 },
          { id: 'siren-io', profile: 'generic-alarm-io', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 2, timeoutMs: 500 }, pollIntervalMs: 250, writeAllow: [{ unitId: 2, table: 'coil', from: 0, to: 0, maxPerMinute: 30 }] },
        ],
        siren: { outputs: [{ id: 'horn', device: 'siren-io', address: 0, levels: ['GAS_1', 'GAS_2'] }] },
      }),
      logger: silentLogger,
    });
    const svc = cloud;
    await until('gateway data in the cloud', async () => (await svc.store.latest({ siteId: 'tank-farm' })).some((l) => l.point === 'tank-farm/gas-01/gas'));
    await until('horn driven off at start', () => coil() === 0);

    // cut the uplink, then the leak
    proxy.refuse();
    proxy.resetAll();
    watching = true;
    sim.setValue(1, 'gas', 32);
    await until('two detector polls after the crossing', () => pollsSeen.length >= 2);
    watching = false;
    assert.equal(pollsSeen[1], 1, `horn on by the next poll with the uplink cut (coil at each poll: ${pollsSeen.join(',')})`);
    const open = await svc.db.query<{ id: string }>("SELECT id FROM alarms WHERE kind = 'point' AND state <> 'closed'");
    assert.equal(open.length, 0, 'the cloud has not heard of it yet');

    // the uplink returns: the alarm arrives; the operator acknowledges; the horn goes quiet
    proxy.restore();
    let alarmId = '';
    await until('the edge alarm in the cloud', async () => {
      const rows = await svc.db.query<{ id: string }>("SELECT id FROM alarms WHERE point = 'tank-farm/gas-01/gas' AND level = 'GAS_1'");
      alarmId = rows[0]?.id ?? '';
      return alarmId !== '';
    });
    assert.equal(coil(), 1, 'still sounding until somebody acknowledges');
    await svc.alarms.acknowledge(alarmId, { userId: 'u-op', username: 'operator', role: 'enterprise_operator', scope: { kind: 'enterprise', enterpriseId: 'ent-demo-chem' } }, { note: '已到现场' });
    await until('silenced by the cloud acknowledgement', () => coil() === 0);
    await until('the siren actions reported to the cloud', async () => {
      const rows = await svc.db.query<{ title: string }>("SELECT title FROM alarms WHERE kind = 'system'");
      const titles = rows.map((r) => r.title).join(' ');
      return titles.includes('GW_SIREN_SOUNDING') && titles.includes('GW_SIREN_SILENCED');
    });
  } finally {
    await agent?.stop();
    await proxy?.stop();
    await cloud?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
