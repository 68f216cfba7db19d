/**
 * Issue 13: the cloud names points from the devices' profiles. The real path on SQLite and PostgreSQL:
 * the cloud (CloudService, the composition `safeloop cloud` runs) with a site folder of profiles in
 * `profileDirs`; a technician puts the gateway's desired configuration (validated with the gateway's
 * schema); the gateway's uplink arrives over Mosquitto; the alarm titles and GET /api/sites/:id show
 * the profiles' names — a library profile, a site-folder profile — and a registered name still wins.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@safeloop/contract';
import { CloudService } from '../../src/cloud-service.ts';
import { CloudConfigSchema } from '../../src/config.ts';
import { createPgSchema, dropPgSchema } from '../../src/db/index.ts';
import { FakeGateway, PG_URL, newId, startMosquitto, waitFor } from '../ingest/helpers.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

const SITE_PROFILE = `id: acme-gd100
name: { zh: ACME GD-100 可燃气体探测器, en: ACME GD-100 combustible gas detector }
sector: hazchem
protocol: modbus
points:
  - id: gas
    name: { zh: 可燃气体, en: Combustible gas }
    table: holding
    address: 0
    type: int16
    scale: 0.1
    unit: "%LEL"
    range: { min: 0, max: 100 }
    limits: [ { level: GAS_2, direction: high, value: 50 } ]
`;

const device = (id: string, name: string, profile: string, unitId: number) => ({ id, name, profile, transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: 1502, unitId }, pollIntervalMs: 1000 });
const GATEWAY_CONFIG = {
  gateway: { id: 'gw-demo-01', siteId: 'tank-farm' },
  journal: { path: '/var/lib/safeloop/journal.db' },
  uplink: { transport: 'mqtt', url: 'mqtt://127.0.0.1:1883', allowInsecure: true },
  profileDirs: ['/etc/safeloop/profiles'],
  devices: [
    device('gas-01', '1号罐区 可燃气体探测器', 'acme-gd100', 1),
    device('lel-02', '2号罐区 催化燃烧探测器', 'generic-catalytic-lel', 2),
    device('lel-03', '3号罐区 催化燃烧探测器', 'generic-catalytic-lel', 3),
  ],
};

function alarmEvent(point: string, seq: number, value: number) {
  const t = Date.now();
  return { id: newId(t), seq, type: 'alarm', point, kind: 'raised', level: 'GAS_2', direction: 'high', limit: 50, value, unit: '%LEL', quality: 'good', sourceTime: t, gatewayTime: t };
}

for (const kind of ['sqlite', 'postgres'] as const) {
  void describe(`point names from profiles (${kind})`, () => {
    void test('alarm titles and the site API carry the profile names; a registered name wins', { timeout: 90_000 }, async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'safeloop-names-'));
      const schema = `t_names_${randomBytes(5).toString('hex')}`;
      const broker = await startMosquitto();
      const stops: (() => Promise<unknown>)[] = [() => broker.stop(), () => Promise.resolve(rmSync(dir, { recursive: true, force: true }))];
      t.after(async () => {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      });
      mkdirSync(join(dir, 'profiles'));
      writeFileSync(join(dir, 'profiles', 'acme-gd100.yaml'), SITE_PROFILE);
      if (kind === 'postgres') {
        await createPgSchema(PG_URL, schema);
        stops.push(() => dropPgSchema(PG_URL, schema));
      }
      const { checkGatewayConfig } = await import('@safeloop/gateway/config-check');
      const cloud = await CloudService.start(
        CloudConfigSchema.parse({
          http: { host: '127.0.0.1', port: 0 },
          store: kind === 'sqlite' ? { kind, path: join(dir, 'cloud.db') } : { kind, url: PG_URL, schema },
          mqtt: { url: broker.url },
          seed: 'cloud/seed/demo.yaml',
          profileDirs: [join(dir, 'profiles')],
          auth: { secretFile: join(dir, 'token-secret') },
          metrics: { tokenFile: join(dir, 'metrics-token') },
          web: { enabled: false },
          workers: { ingest: true, escalation: false },
        }),
        { logger: silentLogger, repoRoot: REPO_ROOT, validateGatewayConfig: checkGatewayConfig },
      );
      stops.push(() => cloud.stop());
      const base = cloud.url.replace('localhost', '127.0.0.1');
      const as = async (username: string) => {
        const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'safeloop' }) });
        const { token } = (await res.json()) as { token: string };
        return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
          const r = await fetch(`${base}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
            ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          });
          return { status: r.status, body: (await r.json()) as T };
        };
      };
      const tech = await as('tech');
      const operator = await as('operator');
      const put = await tech('PUT', '/api/gateways/gw-demo-01/config', { config: GATEWAY_CONFIG });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      await cloud.registry.upsertPoint({ path: 'tank-farm/lel-03/gas', name: '3号罐 东侧探头' });

      const gw = await FakeGateway.connect(broker.url, 'gw-demo-01');
      stops.push(() => gw.close());
      await gw.publish('alarm', {
        v: 1,
        gatewayId: 'gw-demo-01',
        stream: 'alarm',
        events: [alarmEvent('tank-farm/gas-01/gas', 1, 61), alarmEvent('tank-farm/lel-02/gas', 2, 55), alarmEvent('tank-farm/lel-03/gas', 3, 70), alarmEvent('tank-farm/ghost-09/lel', 4, 80)],
      });
      await waitFor(() => gw.ackSeq('alarm') === 4, 15_000, 'alarm ack');
      type Item = { point: string | null; title: string };
      const titles = new Map<string, string>();
      await waitFor(
        async () => {
          const res = await operator<{ items: Item[] }>('GET', '/api/alarms?siteId=tank-farm&pageSize=100');
          for (const a of res.body.items) if (a.point) titles.set(a.point, a.title);
          return titles.size >= 4;
        },
        15_000,
        'four alarms',
      );
      assert.equal(titles.get('tank-farm/gas-01/gas'), '二级报警：1号罐区 可燃气体探测器 gas-01 · 可燃气体 / Level 2 alarm: gas-01 · Combustible gas', 'site-folder profile');
      assert.equal(
        titles.get('tank-farm/lel-02/gas'),
        '二级报警：2号罐区 催化燃烧探测器 lel-02 · 可燃气体浓度 / Level 2 alarm: lel-02 · Combustible gas concentration',
        'library profile',
      );
      assert.equal(titles.get('tank-farm/lel-03/gas'), '二级报警：3号罐 东侧探头 / Level 2 alarm: lel-03 · Combustible gas concentration', 'registered name wins in Chinese');
      assert.equal(titles.get('tank-farm/ghost-09/lel'), '二级报警 / Level 2 alarm: tank-farm/ghost-09/lel', 'a device no configuration lists keeps its path');

      type SitePoint = { path: string; name?: string; names?: { zh: string; en: string }; unit?: string; range?: { min: number; max: number }; nameSource?: string };
      const site = await operator<{ points: SitePoint[] }>('GET', '/api/sites/tank-farm');
      assert.equal(site.status, 200);
      const byPath = new Map(site.body.points.map((p) => [p.path, p]));
      assert.deepEqual(byPath.get('tank-farm/gas-01/gas'), {
        path: 'tank-farm/gas-01/gas',
        siteId: 'tank-farm',
        name: '可燃气体',
        names: { zh: '可燃气体', en: 'Combustible gas' },
        unit: '%LEL',
        range: { min: 0, max: 100 },
        profileId: 'acme-gd100',
        nameSource: 'profile',
      });
      assert.equal(byPath.get('tank-farm/lel-02/sensorLife')?.name, '传感器剩余寿命');
      assert.equal(byPath.get('tank-farm/lel-03/gas')?.name, '3号罐 东侧探头');
      assert.equal(byPath.get('tank-farm/lel-03/gas')?.nameSource, 'registry');
      assert.equal(byPath.get('tank-farm/lel-03/gas')?.unit, '%LEL', 'unit filled from the profile');

      // The site view (device page, plan) resolves the site-folder profile through the same catalog.
      const view = await operator<{ points: Record<string, { name?: { zh: string; en: string }; unit?: string; limits: unknown[] }> }>('GET', '/api/sites/tank-farm/view');
      assert.equal(view.status, 200);
      assert.deepEqual(view.body.points['tank-farm/gas-01/gas']?.name, { zh: '可燃气体', en: 'Combustible gas' });
      assert.equal(view.body.points['tank-farm/gas-01/gas']?.limits.length, 1);
    });
  });
}

void test('the cloud refuses to start on a bad profile folder, naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-names-bad-'));
  try {
    writeFileSync(join(dir, 'bad.yaml'), SITE_PROFILE.replace('unit: "%LEL"', 'unit: "%lel"'));
    const started = CloudService.start(
      CloudConfigSchema.parse({ http: { host: '127.0.0.1', port: 0 }, store: { kind: 'sqlite', path: join(dir, 'cloud.db') }, mqtt: { url: 'mqtt://127.0.0.1:1' }, profileDirs: [dir], web: { enabled: false }, workers: { ingest: false, escalation: false } }),
      { logger: silentLogger, repoRoot: REPO_ROOT },
    );
    await assert.rejects(started, /bad\.yaml: points\.0\.unit: unknown unit "%lel"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
