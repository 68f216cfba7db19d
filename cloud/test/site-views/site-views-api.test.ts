/**
 * Site views over the real composition root (CloudService, SQLite, demo seed and demo rules):
 * the worst inputs first — a site outside the caller's place, an SVG "plan" carrying script, a layout
 * saved over someone else's newer version, an operator trying to move markers — then what each kind of
 * site gets: the pond graded per item from its points, the tank farm's 重大危险源 unit with its grade and
 * the tank's LL/L/H/HH bands as the edge evaluates them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Reading } from '@safeloop/contract';
import { startTestCloud, type TestCloud } from '../browser/test-cloud.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

async function api(cloud: TestCloud, username: string) {
  const res = await fetch(`${cloud.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'safeloop' }) });
  const { token } = (await res.json()) as { token: string };
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${cloud.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const type = r.headers.get('content-type') ?? '';
    return { status: r.status, type, body: type.includes('json') ? ((await r.json()) as Record<string, unknown>) : Buffer.from(await r.arrayBuffer()) };
  };
  return { get: (p: string) => call('GET', p), put: (p: string, b: unknown) => call('PUT', p, b) };
}

const reading = (point: string, value: number, quality: Reading['quality'] = 'good'): Reading => ({ point, value, quality, sourceTime: Date.now(), gatewayTime: Date.now() }) as Reading;

describe('site views', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud({ ruleFiles: ['examples/demo-rules.yaml'] });
    const admin = await api(cloud, 'admin');
    for (const [gw, file] of [['gw-demo-01', 'examples/demo-gateway.yaml'], ['gw-demo-02', 'examples/demo-gateway-pond.yaml']] as const) {
      const res = await admin.put(`/api/gateways/${gw}/config`, { config: parseYaml(readFileSync(`${ROOT}${file}`, 'utf8')) as Record<string, unknown> });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
  });
  after(async () => cloud?.stop());

  test('a site outside the caller’s place is not found, for every view route', async () => {
    const other = await api(cloud, 'county2'); // 青山湖区: not 东湖区's tank farm
    for (const path of ['/api/sites/tank-farm/view', '/api/sites/tank-farm/layout', '/api/sites/tank-farm/plan-image']) {
      const res = await other.get(path);
      assert.equal(res.status, 404, path);
    }
    assert.equal((await other.put('/api/sites/tank-farm/layout', { layout: {} })).status, 403, 'a monitor may not edit layouts at all');
  });

  test('the plan image: only PNG or JPEG; an SVG with script is refused with a message naming the problem', async () => {
    const tech = await api(cloud, 'tech');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString('base64');
    const refused = await tech.put('/api/sites/tank-farm/plan-image', { dataBase64: svg });
    assert.equal(refused.status, 400);
    assert.match(String((refused.body as { error?: { message?: string } }).error?.message), /PNG or JPEG/);
    const seeded = await tech.get('/api/sites/tank-farm/plan-image');
    assert.equal(seeded.status, 200);
    assert.equal(seeded.type, 'image/png', 'the seeded plan is still there');
    const png = readFileSync(`${ROOT}cloud/seed/tank-farm-plan.png`);
    assert.deepEqual(seeded.body, png);
  });

  test('layout edits: technician saves, a stale version is refused, an operator may not, bad data names its path', async () => {
    const tech = await api(cloud, 'tech');
    const operator = await api(cloud, 'operator');
    const cur = (await tech.get('/api/sites/tank-farm/layout')).body as { version: number; layout: { planMarkers: { point: string; x: number; y: number }[] } };
    assert.ok(cur.version >= 1, 'the seed saved version 1');
    const moved = { ...cur.layout, planMarkers: cur.layout.planMarkers.map((m) => (m.point === 'gas-02/gas' ? { ...m, x: 0.7 } : m)) };
    assert.equal((await operator.put('/api/sites/tank-farm/layout', { layout: moved, expectedVersion: cur.version })).status, 403);
    const saved = await tech.put('/api/sites/tank-farm/layout', { layout: moved, expectedVersion: cur.version });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const stale = await tech.put('/api/sites/tank-farm/layout', { layout: cur.layout, expectedVersion: cur.version });
    assert.equal(stale.status, 409, 'saving over a newer version is refused');
    const bad = await tech.put('/api/sites/tank-farm/layout', { layout: { planMarkers: [{ point: 'gas-01/gas', x: 1.5, y: 0.2 }, { point: 'gas-01/gas', x: 0.1, y: 0.1 }] } });
    assert.equal(bad.status, 400);
    const history = ((await tech.get('/api/sites/tank-farm/layout')).body as { history: { savedBy: string }[] }).history;
    assert.deepEqual(history.map((h) => h.savedBy).slice(0, 2), ['tech', 'seed'], 'who saved each version is kept');
  });

  test('tank farm: the 重大危险源 unit carries its grade from R, the tank its bands as the edge evaluates them', async () => {
    const county = await api(cloud, 'county');
    const view = (await county.get('/api/sites/tank-farm/view')).body as {
      hazardUnits: { name: string; rValue: number; grade: number; tanks: { level: string }[] }[];
      points: Record<string, { limits: { level: string; value: number }[]; range?: { max: number }; name?: { zh: string } }>;
      hasPlanImage: boolean;
    };
    assert.equal(view.hazardUnits[0]?.grade, 2, 'R 62.4 → 二级');
    assert.equal(view.hazardUnits[0]?.tanks[0]?.level, 'tank-01/level');
    const level = view.points['tank-farm/tank-01/level'];
    assert.deepEqual(
      level?.limits.map((l) => `${l.level}:${l.value}`),
      ['LL:0.5', 'L:1', 'H:16', 'HH:18'],
    );
    assert.equal(level?.range?.max, 20);
    assert.equal(level?.name?.zh, '储罐液位');
    assert.equal(view.hasPlanImage, true);
  });

  test('tailings pond: each item graded against its thresholds, the pond colour aggregated, bad data never counted as normal', async () => {
    await cloud.ingest('gw-demo-02', [
      reading('tailings-pond/pond-level/waterLevel', 246.3), // ≥ yellow 246.2
      reading('tailings-pond/piezo-01/phreaticDepth', 12.4), // deeper than blue 8.5: normal
      reading('tailings-pond/rain-01/rain24h', 18),
      reading('tailings-pond/dam-gnss-01/disp_h', 16), // ≥ orange 15
    ]);
    const mine = await api(cloud, 'mine-operator');
    const view = (await mine.get('/api/sites/tailings-pond/view')).body as {
      tailings: { colour: string | null; items: { id: string; colour: string | null; thresholds: Record<string, number>; points: { path: string; colour: string | null; name: string | null }[] }[] }[];
    };
    const pond = view.tailings[0];
    assert.ok(pond, 'the demo pond has a tailings-aggregate rule');
    const item = (id: string) => pond.items.find((i) => i.id === id);
    assert.equal(item('water-level')?.colour, 'yellow');
    assert.equal(item('water-level')?.thresholds.red, 247);
    assert.equal(item('phreatic')?.colour, null);
    assert.equal(item('dam-displacement')?.colour, 'orange');
    assert.equal(pond.colour, 'orange', 'the highest item colour (one orange item does not promote)');
    assert.equal(item('phreatic')?.points[0]?.name, '浸润线埋深', 'point names from the device profile');
    // A bad reading is not a normal one: its point shows no colour from it.
    await cloud.ingest('gw-demo-02', [reading('tailings-pond/pond-level/waterLevel', 240, 'bad')]);
    const again = (await mine.get('/api/sites/tailings-pond/view')).body as typeof view;
    const wl = again.tailings[0]?.items.find((i) => i.id === 'water-level');
    assert.equal(wl?.points[0]?.colour, null);
    assert.notEqual(wl?.colour, 'blue');
  });
});
