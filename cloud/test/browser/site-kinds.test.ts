/**
 * Site views by kind in chromium, against the real cloud (CloudService, SQLite, demo seed and rules, the
 * demo gateways' configurations as desired configs):
 * - 危化品: the 重大危险源 unit with its grade, the tank's level against its LL/L/H/HH bands, the plan view
 *   with a detector in 二级报警, one whose gateway link is lost shown 离线, never a green "normal";
 *   a technician drags a marker and saves, and the saved layout is what the next reader sees.
 * - 尾矿库: each item graded with its thresholds, the pond's colour, rainfall with the water level.
 * - 矿山: points grouped by working face with their limits.
 * Screenshots at 1400×900 for README; the tank farm also at phone size without sideways scrolling.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Reading } from '@safeloop/contract';
import { buildVendor } from '../../web/build-vendor.mjs';
import { launchBrowser, logIn, screenshot, watchErrors } from './browser.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const MINE_CONFIG = {
  gateway: { id: 'gw-mine-01', siteId: 'mine-demo' },
  journal: { path: './data/mine/journal.db' },
  uplink: { transport: 'mqtt', url: 'mqtt://127.0.0.1:1883', allowInsecure: true },
  devices: [
    { id: 'ch4-t1', name: '1201 采煤工作面 T1', profile: 'generic-mine-methane', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: 15022, unitId: 1 } },
    { id: 'ch4-t2', name: '1201 回风巷 T2', profile: 'generic-mine-methane', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: 15022, unitId: 2 } },
    { id: 'ch4-h1', name: '1302 掘进工作面 T1', profile: 'generic-mine-methane', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: 15022, unitId: 3 } },
  ],
};

const r = (point: string, value: number | boolean, extra: Partial<Reading> = {}): Reading => ({ point, value, quality: 'good', sourceTime: Date.now(), gatewayTime: Date.now(), ...extra }) as Reading;

async function adminToken(cloud: TestCloud): Promise<string> {
  const res = await fetch(`${cloud.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'safeloop' }) });
  return ((await res.json()) as { token: string }).token;
}

async function putJson(cloud: TestCloud, token: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${cloud.baseUrl}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, `${path}: ${await res.text()}`);
}

void describe('site views by kind in chromium', { timeout: 170_000 }, () => {
  let cloud: TestCloud;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function page(username: string, viewport = { width: 1400, height: 900 }): Promise<{ page: Page; errors: string[] }> {
    const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    const p = await ctx.newPage();
    const errors = watchErrors(p);
    await logIn(p, cloud.baseUrl, username);
    return { page: p, errors };
  }

  before(async () => {
    cloud = await startTestCloud({ ruleFiles: ['examples/demo-rules.yaml'] });
    buildVendor();
    browser = await launchBrowser();
    const token = await adminToken(cloud);
    for (const [gw, file] of [['gw-demo-01', 'examples/demo-gateway.yaml'], ['gw-demo-02', 'examples/demo-gateway-pond.yaml']] as const) {
      await putJson(cloud, token, `/api/gateways/${gw}/config`, { config: parseYaml(readFileSync(`${ROOT}${file}`, 'utf8')) as Record<string, unknown> });
    }
    // A coal mine of the demo's mining enterprise, with two working faces.
    const reg = cloud.service.registry;
    await reg.upsertSite({ id: 'mine-demo', enterpriseId: 'ent-demo-mine', name: '示例煤矿 井下', type: 'coal', lat: 28.70, lon: 115.90 });
    await reg.upsertGateway({ id: 'gw-mine-01', enterpriseId: 'ent-demo-mine', name: '井下分站网关', siteIds: ['mine-demo'] });
    await putJson(cloud, token, '/api/gateways/gw-mine-01/config', { config: MINE_CONFIG });
    await putJson(cloud, token, '/api/sites/mine-demo/layout', {
      layout: {
        areas: [
          { id: 'face-1201', name: '1201 综采工作面', kind: 'working_face', devices: ['ch4-t1', 'ch4-t2'] },
          { id: 'face-1302', name: '1302 掘进工作面', kind: 'heading', devices: ['ch4-h1'] },
        ],
      },
    });
    // Ten storage depots of the chemical enterprise a few hundred metres apart: they overlap at the county's zoom.
    for (let i = 0; i < 10; i++) {
      await reg.upsertSite({ id: `depot-${i}`, enterpriseId: 'ent-demo-chem', name: `${i + 1}号仓库`, type: 'hazchem', lat: 28.6950 + (i % 5) * 0.0012, lon: 115.9080 + Math.floor(i / 5) * 0.0012 });
    }
    const now = Date.now();
    for (const gw of ['gw-demo-01', 'gw-demo-02', 'gw-mine-01']) await reg.setGatewayStatus(gw, true, now);
    await cloud.ingest('gw-demo-01', [
      r('tank-farm/gas-01/gas', 56.2),
      r('tank-farm/gas-02/gas', 1.4),
      r('tank-farm/h2s-01/gas', 0, { quality: 'bad', reason: 'comm_lost' }),
      r('tank-farm/tank-01/level', 16.4),
      r('tank-farm/tank-01/temperature', 23.1),
      r('tank-farm/tank-01/pressure', 0.36),
    ]);
    await cloud.service.alarms.raise({
      conditionKey: 'edge:tank-farm/gas-01/gas:GAS_2', siteId: 'tank-farm', point: 'tank-farm/gas-01/gas', origin: 'edge', ruleId: 'edge-limit', kind: 'point',
      level: 'GAS_2', title: '罐区可燃气体探测器 GT-101 二级报警', value: 56.2, limit: 50, unit: '%LEL', inputs: {}, at: now,
    });
    await cloud.service.alarms.raise({
      conditionKey: 'edge:tank-farm/tank-01/level:H', siteId: 'tank-farm', point: 'tank-farm/tank-01/level', origin: 'edge', ruleId: 'edge-limit', kind: 'point',
      level: 'H', title: '1号储罐 液位 高报警', value: 16.4, limit: 16, unit: 'm', inputs: {}, at: now,
    });
    const pond: Reading[] = [];
    for (let i = 30; i >= 0; i--) {
      const t = now - i * 60_000;
      pond.push(r('tailings-pond/pond-level/waterLevel', 245.7 + (30 - i) * 0.018, { sourceTime: t }));
      pond.push(r('tailings-pond/rain-01/intensity', i > 20 ? 0 : 2.4 - i * 0.1, { sourceTime: t }));
      pond.push(r('tailings-pond/rain-01/rain24h', 18 + (30 - i) * 0.2, { sourceTime: t }));
      pond.push(r('tailings-pond/piezo-01/phreaticDepth', 12.4, { sourceTime: t }));
      pond.push(r('tailings-pond/beach-01/beachLength', 112 - (30 - i) * 0.1, { sourceTime: t }));
      pond.push(r('tailings-pond/beach-01/freeboard', 1.46 - (30 - i) * 0.008, { sourceTime: t }));
      pond.push(r('tailings-pond/dam-gnss-01/disp_h', 4 + (30 - i) * 0.25, { sourceTime: t }));
      pond.push(r('tailings-pond/dam-gnss-01/disp_e', 3.5 + (30 - i) * 0.2, { sourceTime: t }));
      pond.push(r('tailings-pond/dam-gnss-01/disp_n', -2 - (30 - i) * 0.12, { sourceTime: t }));
      pond.push(r('tailings-pond/dam-gnss-01/disp_u', -0.8 - (30 - i) * 0.05, { sourceTime: t }));
      pond.push(r('tailings-pond/dam-gnss-01/disp_rate', 0.9, { sourceTime: t }));
    }
    await cloud.ingest('gw-demo-02', pond);
    // The warning the tailings rule raises for this state (the test cloud writes telemetry without its ingest worker).
    await cloud.service.alarms.raise({
      conditionKey: 'tailings:demo-pond-aggregate:tailings-pond', siteId: 'tailings-pond', origin: 'cloud', ruleId: 'demo-pond-aggregate', kind: 'warning',
      colour: 'yellow', title: '尾矿库预警 / Tailings pond warning: yellow', inputs: {}, at: now,
    });
    await cloud.ingest('gw-mine-01', [r('mine-demo/ch4-t1/ch4', 0.42), r('mine-demo/ch4-t2/ch4', 0.61), r('mine-demo/ch4-h1/ch4', 1.12)]);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await cloud?.stop();
  });

  test('tank farm: hazard unit grade, tank bands, plan markers by live state; a technician moves one and saves', async () => {
    const { page: p, errors } = await page('operator');
    await p.goto(`${cloud.baseUrl}/#/sites/tank-farm`);
    const unit = p.locator('#hazard-units .hazard-unit');
    await unit.waitFor();
    assert.match(await unit.locator('h3').innerText(), /甲醇储罐区[\s\S]*二级重大危险源[\s\S]*R 值 62\.4/);
    assert.equal(await p.locator('.tank-gauge .tank-tick').count(), 4, 'LL, L, H and HH drawn on the level scale');
    const levelRow = p.locator('#hazard-units tr[data-point="tank-farm/tank-01/level"]');
    assert.match(await levelRow.innerText(), /16\.4[\s\S]*高/, '16.4 m stands in the H band (16 … 18)');
    const marker = (point: string) => p.locator(`.plan-marker[data-point="${point}"]`);
    await marker('gas-01/gas').waitFor();
    await p.locator('#plan-sheet img.plan-image').evaluate((img: HTMLImageElement) => img.decode());
    assert.equal(await marker('gas-01/gas').getAttribute('data-state'), 'alarm2');
    assert.match((await marker('gas-01/gas').getAttribute('aria-label')) ?? '', /二级报警/);
    assert.equal(await marker('h2s-01/gas').getAttribute('data-state'), 'offline', 'a lost link is 离线, not 正常');
    assert.equal(await marker('gas-02/gas').getAttribute('data-state'), 'normal');
    assert.equal(await marker('tank-01/level').getAttribute('data-state'), 'alarm1', 'a 高报警 on the level is a first-level state');
    await screenshot(p, 'site-tank-farm');
    assert.deepEqual(errors, []);

    // The tank's device page: the limits the edge evaluates (from the profile), the last poll and its age.
    await cloud.ingest('gw-demo-01', [r('tank-farm/tank-01/level', 16.4), r('tank-farm/tank-01/temperature', 23.1), r('tank-farm/tank-01/pressure', 0.36)]);
    await p.goto(`${cloud.baseUrl}/#/sites/tank-farm/devices/tank-01`);
    await p.locator('#device-limits').waitFor();
    assert.match(await p.locator('#device-limits').innerText(), /储罐液位[\s\S]*≥ 18/);
    assert.match(await p.locator('#device-last-poll').innerText(), /前/);
    assert.equal(await p.locator('#device-late').count(), 0, 'a fresh value is not late');

    const phone = await page('operator', { width: 390, height: 844 });
    await phone.page.goto(`${cloud.baseUrl}/#/sites/tank-farm`);
    await phone.page.locator('.plan-marker').first().waitFor();
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `no sideways scrolling on a phone (overflow ${overflow}px)`);

    const tech = await page('tech');
    await tech.page.goto(`${cloud.baseUrl}/#/sites/tank-farm`);
    await tech.page.locator('#plan-edit').click();
    const m = tech.page.locator('.plan-marker[data-point="gas-02/gas"]');
    const sheet = await tech.page.locator('#plan-sheet').boundingBox();
    const box = await m.boundingBox();
    assert.ok(sheet && box);
    await tech.page.mouse.move(box.x + 9, box.y + 9);
    await tech.page.mouse.down();
    await tech.page.mouse.move(sheet.x + sheet.width * 0.75, sheet.y + sheet.height * 0.2, { steps: 8 });
    await tech.page.mouse.up();
    await tech.page.locator('#plan-save').click();
    await tech.page.locator('.toast', { hasText: /布置已保存/ }).waitFor();
    const res = await fetch(`${cloud.baseUrl}/api/sites/tank-farm/layout`, { headers: { authorization: `Bearer ${await adminToken(cloud)}` } });
    const saved = (await res.json()) as { layout: { planMarkers: { point: string; x: number; y: number }[] }; history: { savedBy: string }[] };
    const g2 = saved.layout.planMarkers.find((x) => x.point === 'gas-02/gas');
    assert.ok(g2 && Math.abs(g2.x - 0.75) < 0.03 && Math.abs(g2.y - 0.2) < 0.03, `moved to (0.75, 0.2): ${JSON.stringify(g2)}`);
    assert.equal(saved.history[0]?.savedBy, 'tech');
    assert.deepEqual(tech.errors, []);
    // The operator sees no editing tools.
    assert.equal(await p.locator('#plan-edit').count(), 0);
  });

  test('tailings pond: items graded with their thresholds, the pond colour, rainfall and water level on one axis', async () => {
    const { page: p, errors } = await page('mine-operator');
    await p.goto(`${cloud.baseUrl}/#/sites/tailings-pond`);
    const item = (id: string) => p.locator(`.pond-item[data-item="${id}"]`);
    await item('water-level').waitFor();
    assert.equal(await item('water-level').getAttribute('data-colour'), 'yellow', '246.24 m ≥ yellow 246.2');
    assert.equal(await item('dam-displacement').getAttribute('data-colour'), 'yellow', '11.5 mm ≥ yellow 10');
    assert.equal(await item('phreatic').getAttribute('data-colour'), 'none');
    assert.equal(await item('freeboard').getAttribute('data-colour'), 'blue', '安全超高 1.22 m ≤ blue 1.3');
    assert.equal(await item('beach').getAttribute('data-colour'), 'none', '干滩长度 109 m > blue 100');
    assert.match(await item('water-level').locator('.thresholds').innerText(), /蓝 ≥ 245\.9[\s\S]*黄 ≥ 246\.2[\s\S]*橙 ≥ 246\.5[\s\S]*红 ≥ 247/);
    assert.match(await item('phreatic').locator('.thresholds').innerText(), /蓝 ≤ 8\.5/);
    assert.equal(await p.locator('#pond-colour').getAttribute('data-colour'), 'yellow');
    await p.locator('#pond-rain-level canvas').first().waitFor();
    await p.locator('#pond-gnss-vector canvas').first().waitFor();
    await p.waitForTimeout(300);
    await screenshot(p, 'site-tailings-pond');
    assert.deepEqual(errors, []);
    const phone = await page('mine-operator', { width: 390, height: 844 });
    await phone.page.goto(`${cloud.baseUrl}/#/sites/tailings-pond`);
    await phone.page.locator('.pond-item').first().waitFor();
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the pond page fits a phone (overflow ${overflow}px)`);
  });

  test('map: overlapping sites drawn as one group with its count; a click zooms in and they separate', async () => {
    const { page: p, errors } = await page('county');
    await p.goto(`${cloud.baseUrl}/#/map`);
    await p.locator('#region-map canvas').first().waitFor();
    const markers = () =>
      p.evaluate(() => {
        const el = document.getElementById('region-map');
        const chart = el && (window as unknown as { echarts: { getInstanceByDom(e: HTMLElement): { getOption(): { series: { data: { clusterIds?: string[]; siteId?: string; value: number[] }[] }[] }; convertToPixel(f: object, v: number[]): number[] } } }).echarts.getInstanceByDom(el);
        const data = chart?.getOption().series[0]?.data ?? [];
        return data.map((d) => ({ ids: d.clusterIds ?? [d.siteId], at: chart!.convertToPixel({ geoIndex: 0 }, [d.value[0] ?? 0, d.value[1] ?? 0]) }));
      });
    let groups = await markers();
    const big = groups.find((g) => g.ids.length >= 5);
    assert.ok(big, `the depots are grouped: ${JSON.stringify(groups.map((g) => g.ids.length))}`);
    assert.ok(groups.some((g) => g.ids.length === 1 && g.ids[0] === 'tank-farm'), 'a site on its own keeps its own marker');
    await p.waitForTimeout(500); // echarts paints on the next animation frame
    await screenshot(p, 'map-clustered');
    const box = await p.locator('#region-map').boundingBox();
    assert.ok(box);
    await p.mouse.click(box.x + (big.at[0] ?? 0), box.y + (big.at[1] ?? 0));
    await p.waitForTimeout(400);
    groups = await markers();
    const largest = Math.max(...groups.map((g) => g.ids.length));
    assert.ok(largest < big.ids.length, `zoomed in, the group splits (largest now ${largest} of ${big.ids.length})`);
    assert.deepEqual(errors, []);
  });

  test('mine: points grouped by working face, each with its limits', async () => {
    const { page: p, errors } = await page('admin');
    await p.goto(`${cloud.baseUrl}/#/sites/mine-demo`);
    const face = p.locator('section.area[data-area="face-1201"]');
    await face.waitFor();
    assert.match(await face.locator('.area-title').innerText(), /1201 综采工作面[\s\S]*工作面/);
    assert.equal(await face.locator('tr[data-point^="mine-demo/ch4-t"]').count() >= 2, true);
    const heading = p.locator('section.area[data-area="face-1302"]');
    const row = heading.locator('tr[data-point="mine-demo/ch4-h1/ch4"]');
    assert.match(await row.innerText(), /1\.12/);
    assert.match(await row.locator('[data-cell="limits"]').innerText(), /≥ 1[\s\S]*≥ 1\.5/);
    await screenshot(p, 'site-mine');
    assert.deepEqual(errors, []);
  });
});
