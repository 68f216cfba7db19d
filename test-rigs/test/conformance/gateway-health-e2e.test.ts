/**
 * A gateway that cannot deliver as fast as it produces says so (issue 20), on the real path: a Modbus
 * rig polled every 100 ms, an uplink held to 4 KiB/s, a private Mosquitto and the cloud. The gateway's
 * status turns `degraded` with its reason, and the cloud shows a gateway health alarm in /api/alarms —
 * instead of a backlog growing in silence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '@safeloop/contract';
import { GatewayAgent, GatewayConfigSchema } from '@safeloop/gateway';
import { CloudService } from '@safeloop/cloud/cloud-service';
import { CloudConfigSchema } from '@safeloop/cloud/config';
import { startTestMosquitto } from '../../src/mosquitto/test-mosquitto.ts';
import { startModbusTcpSimulator } from '../../src/modbus/index.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

void test('delivery behind production: the gateway reports it and the cloud raises a gateway health alarm', { timeout: 90_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-gw-health-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const broker = await startTestMosquitto();
  t.after(() => broker.stop());
  const cloud = await CloudService.start(
    CloudConfigSchema.parse({
      http: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: join(dir, 'cloud.db') },
      mqtt: { url: broker.url },
      seed: 'cloud/seed/demo.yaml',
      auth: { secretFile: join(dir, 'token-secret') },
      web: { enabled: false },
      workers: { ingest: true, escalation: false },
    }),
    { logger: silentLogger, repoRoot: REPO },
  );
  t.after(() => cloud.stop());
  const sim = await startModbusTcpSimulator({ devices: [1, 2, 3].map((unitId) => ({ unitId, profileId: 'generic-catalytic-lel', points: { gas: { kind: 'sine', mean: 5, amplitude: 4, periodSec: 5 } } })), refreshMs: 20 });
  t.after(() => sim.stop());
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-demo-01', siteId: 'tank-farm' },
    journal: { path: join(dir, 'journal.db') },
    uplink: { transport: 'mqtt', url: broker.url, allowInsecure: true, delivery: { maxBytesPerSec: 4096, statusIntervalSec: 1, connectTimeoutMs: 1000, reconnectMinMs: 100 } },
    devices: [1, 2, 3].map((u) => ({ id: `gas-h${u}`, profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: u, timeoutMs: 200 }, pollIntervalMs: 100 })),
  });
  const agent = await GatewayAgent.start({ config, logger: silentLogger, health: { windowMs: 4000, backlogGrowthRows: 200 } });
  t.after(() => agent.stop());

  const login = await fetch(`${cloud.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'safeloop' }) });
  const { token } = (await login.json()) as { token: string };
  type Item = { kind: string; title: string; condition: string; inputs: { gatewayId?: string; health?: string; detail?: string } };
  let found: Item | undefined;
  const deadline = Date.now() + 40_000;
  while (!found && Date.now() < deadline) {
    await sleep(500);
    const r = await fetch(`${cloud.url}/api/alarms?siteId=tank-farm&pageSize=100`, { headers: { authorization: `Bearer ${token}` } });
    found = ((await r.json()) as { items: Item[] }).items.find((a) => a.kind === 'system' && a.inputs.health === 'degraded');
  }
  assert.ok(found, 'a gateway health alarm in /api/alarms');
  assert.equal(found.condition, 'active');
  assert.equal(found.inputs.gatewayId, 'gw-demo-01');
  assert.match(found.inputs.detail ?? '', /delivery behind production: telemetry backlog grew by \d+ rows/);
  assert.match(found.title, /网关运行降级/);
  t.diagnostic(found.title);
});
