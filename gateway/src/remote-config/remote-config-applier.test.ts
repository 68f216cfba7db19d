/**
 * The applier's decisions without a network: what is rejected before anything changes, what rolls back,
 * what is kept local, what survives a restart, and that a failed version is never applied again.
 * (The end-to-end path with real Modbus, Mosquitto and cloud is test-rigs/test/provisioning/remote-config.test.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Reading } from '@safeloop/contract';
import { GatewayConfigSchema, type GatewayConfig } from '../config.ts';
import { RemoteConfigApplier, type ConfigReport } from './remote-config-applier.ts';

const local = {
  gateway: { id: 'gw1', siteId: 's1' },
  journal: { path: '/var/lib/safeloop/journal.db' },
  uplink: { transport: 'mqtt', url: 'mqtts://broker:8883', tls: { ca: '/id/ca.crt', cert: '/id/gw.crt', key: '/id/gw.key' } },
  devices: [{ id: 'd1', profile: 'generic-piezometer', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: 1502, unitId: 1 }, pollIntervalMs: 100 }],
};
const withDevices = (ports: number[], extra: Record<string, unknown> = {}) => ({
  ...local,
  ...extra,
  devices: ports.map((port, i) => ({ id: `d${i + 1}`, profile: 'generic-piezometer', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: 1 }, pollIntervalMs: 100 })),
});
const good: Reading = { point: 's1/d1/level', value: 1, quality: 'good', sourceTime: 1, gatewayTime: 1 };

function setup(opts: { failStart?: (c: GatewayConfig) => string[]; answers?: boolean; stateFile?: string } = {}) {
  const applied: GatewayConfig[] = [];
  const reports: ConfigReport[] = [];
  let applier: RemoteConfigApplier | undefined;
  applier = new RemoteConfigApplier({
    initial: GatewayConfigSchema.parse(local),
    applySources: async (c) => {
      applied.push(c);
      const failedToStart = opts.failStart?.(c) ?? [];
      if (opts.answers !== false) setTimeout(() => applier?.observe([good]), 20);
      return Promise.resolve({ failedToStart });
    },
    report: (r) => reports.push(r),
    logger: silentLogger,
    healthWindowMs: 300,
    stateFile: opts.stateFile,
  });
  return { applier, applied, reports };
}

void describe('RemoteConfigApplier', () => {
  void it('applies a valid version, keeps identity/uplink/journal local, reports it', async () => {
    const { applier, applied, reports } = setup();
    await applier.handle({ version: 3, config: withDevices([1502, 1503], { uplink: { transport: 'mqtt', url: 'mqtt://evil:1883', allowInsecure: true }, journal: { path: '/tmp/x.db' } }) });
    assert.equal(applier.configVersion, 3);
    assert.equal(applied.length, 1);
    assert.equal(applier.config.devices.length, 2);
    assert.equal(applier.config.uplink.transport === 'mqtt' && applier.config.uplink.url, 'mqtts://broker:8883');
    assert.equal(applier.config.journal.path, '/var/lib/safeloop/journal.db');
    assert.deepEqual(reports.map((r) => r.code), ['GW_CONFIG_APPLIED']);
  });

  void it('rejects an invalid document or another gateway id before touching the sources', async () => {
    const { applier, applied, reports } = setup();
    await applier.handle({ version: 1, config: { ...local, devices: [{ id: 'd1' }] } });
    await applier.handle({ version: 2, config: { ...local, gateway: { id: 'gw2', siteId: 's1' } } });
    assert.equal(applied.length, 0);
    assert.deepEqual(reports.map((r) => r.code), ['GW_CONFIG_REJECTED', 'GW_CONFIG_REJECTED']);
    assert.match(reports[0]?.message ?? '', /devices\.0\./);
    assert.match(reports[1]?.message ?? '', /gw2.*gw1/);
    assert.equal(applier.configVersion, undefined);
  });

  void it('rolls back when a source fails to start, and never applies that version again', async () => {
    const { applier, applied, reports } = setup({ failStart: (c) => (c.devices.length === 2 ? ['modbus-tcp:127.0.0.1:9'] : []) });
    await applier.handle({ version: 1, config: withDevices([1502, 9]) });
    assert.equal(applied.length, 2, 'applied, then the previous restored');
    assert.equal(applied[1]?.devices.length, 1);
    assert.equal(reports[0]?.code, 'GW_CONFIG_ROLLED_BACK');
    assert.match(reports[0]?.message ?? '', /failed to start/);
    await applier.handle({ version: 1, config: withDevices([1502, 9]) });
    assert.equal(applied.length, 2, 'a failed version is not retried');
  });

  void it('rolls back when no device answers within the health window', async () => {
    const { applier, applied, reports } = setup({ answers: false });
    await applier.handle({ version: 5, config: withDevices([9]) });
    assert.equal(applied.length, 2);
    assert.equal(reports[0]?.code, 'GW_CONFIG_ROLLED_BACK');
    assert.match(reports[0]?.message ?? '', /no device answered within 300 ms/);
    assert.equal(applier.configVersion, undefined);
  });

  void it('ignores an older or equal version; the applied version and config survive a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'safeloop-rc-'));
    try {
      const stateFile = join(dir, 'state.json');
      const first = setup({ stateFile });
      await first.applier.handle({ version: 4, config: withDevices([1502, 1503]) });
      await first.applier.handle({ version: 4, config: withDevices([1600]) });
      await first.applier.handle({ version: 2, config: withDevices([1600]) });
      assert.equal(first.applied.length, 1);
      const again = setup({ stateFile });
      assert.equal(again.applier.configVersion, 4);
      assert.deepEqual(again.applier.config.devices.map((d) => d.id), ['d1', 'd2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
