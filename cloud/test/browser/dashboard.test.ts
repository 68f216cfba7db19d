/**
 * The dashboard in a real browser against a real cloud: the warn → handle → feedback loop done
 * entirely in the page. An operator sees an alarm appear live (raised after the page loaded),
 * acknowledges it and submits feedback with a photo; a county monitor reviews and closes it; a
 * monitor of another county never sees it; the language switch works and persists. Screenshots of
 * the main views land in test-results/screenshots/ and docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Reading } from '@safeloop/contract';
import { buildVendor } from '../../web/build-vendor.mjs';
import { accessibilityProblems, launchBrowser, logIn, screenshot, watchErrors } from './browser.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';

// A 1×1 PNG, the smallest real photo the feedback form can upload.
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const POINT = 'tank-farm/gas-1/lel';
const CONDITION = `limit:${POINT}:GAS_2`;

function pointAlarm(point: string, level: 'GAS_1' | 'GAS_2' | 'H', title: string, value: number, limit: number, unit: string, at: number) {
  return { conditionKey: `limit:${point}:${level}`, siteId: point.split('/')[0] ?? '', point, origin: 'cloud' as const, ruleId: 'browser-test', kind: 'point' as const, level, title, value, limit, unit, inputs: { [point]: value }, at };
}

void describe('dashboard in chromium', { timeout: 170_000 }, () => {
  let cloud: TestCloud;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let alarmTitle = '';
  let alarmId = '';

  async function newPage(viewport = { width: 1366, height: 860 }): Promise<{ page: Page; errors: string[] }> {
    const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    return { page, errors: watchErrors(page) };
  }

  function row(page: Page, title: string) {
    return page.locator('#alarm-list li.alarm-row', { hasText: title });
  }

  before(async () => {
    buildVendor();
    cloud = await startTestCloud();
    browser = await launchBrowser();
    // An hour of readings from the tank farm, as the gateway would have sent them.
    const now = Date.now();
    const readings: Reading[] = [];
    for (let i = 60; i >= 0; i--) {
      const t = now - i * 60_000;
      const lel = i < 12 ? 8 + (12 - i) * 4.2 : 6 + Math.sin(i / 5) * 2;
      readings.push({ point: POINT, value: Math.round(lel * 10) / 10, unit: '%LEL', quality: 'good', sourceTime: t, gatewayTime: t });
      readings.push({ point: 'tank-farm/h2s-1/h2s', value: 1.2, unit: 'mg/m3', quality: 'good', sourceTime: t, gatewayTime: t });
      readings.push({ point: 'tank-farm/tank-1/level', value: 6.4, unit: 'm', quality: i === 0 ? 'uncertain' : 'good', ...(i === 0 ? { reason: 'stale' as const } : {}), sourceTime: t, gatewayTime: t });
    }
    await cloud.ingest('gw-demo-01', readings);
    await cloud.service.registry.setGatewayStatus('gw-demo-01', true, now);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await cloud?.stop();
  });

  void test('the operator sees a new alarm appear live, acknowledges it and submits feedback with a photo', async () => {
    const { page, errors } = await newPage();
    // Everything the page loads comes from the cloud itself: no tiles, fonts or scripts from outside.
    const outside: string[] = [];
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(cloud.baseUrl) && !url.startsWith('data:') && !url.startsWith('blob:')) outside.push(url);
    });
    await logIn(page, cloud.baseUrl, 'operator');
    // Role-fitted view: the operator's own sites only.
    await page.locator('#sites-table').getByRole('link', { name: '罐区', exact: true }).waitFor();
    assert.equal(await page.locator('#sites-table').getByText('青山湖罐区').count(), 0, 'another enterprise’s site must not show');

    // Two older alarms on the desk: one left unacknowledged until its escalation timer fired.
    const t0 = Date.now();
    await cloud.service.alarms.raise(pointAlarm('tank-farm/gas-2/lel', 'GAS_1', '2号可燃气体探测器 一级报警', 31.5, 25, '%LEL', t0 - 20 * 60_000));
    await cloud.service.alarms.raise(pointAlarm('tank-farm/tank-1/temp', 'H', '1号储罐温度 高报警', 46.2, 45, '°C', t0 - 5 * 60_000));
    await cloud.service.alarms.processDueTimers(t0 + 16 * 60_000);

    await page.getByRole('link', { name: '报警处置台' }).click();
    await page.locator('#alarm-summary').waitFor();
    await page.locator('#live-status.live-ok').waitFor();
    await page.locator('.alarm-row.is-escalated').first().waitFor();
    // Mark the window: if the page reloads, the mark disappears.
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

    alarmTitle = `1号可燃气体探测器 二级报警 ${Date.now().toString(36)}`;
    const raised = await cloud.service.alarms.raise({
      conditionKey: CONDITION,
      siteId: 'tank-farm',
      point: POINT,
      origin: 'cloud',
      ruleId: 'browser-test',
      kind: 'point',
      level: 'GAS_2',
      colour: 'orange',
      title: alarmTitle,
      value: 56.5,
      limit: 50,
      unit: '%LEL',
      inputs: { [POINT]: 56.5 },
      at: Date.now(),
    });
    alarmId = raised.alarmId;
    const r = row(page, alarmTitle);
    await r.waitFor({ timeout: 15_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true, 'the alarm arrived without a reload');
    await r.getByText('二级报警').first().waitFor();
    await r.getByText('橙').first().waitFor();
    // Most severe first: the new 二级报警 heads the list.
    assert.match((await page.locator('#alarm-list li.alarm-row').first().textContent()) ?? '', /二级报警/);
    await screenshot(page, 'alarm-desk');
    assert.deepEqual(await accessibilityProblems(page), [], 'alarm desk: names and contrast');

    // Phone-size alarm desk (a field worker), while the alarm still waits for acknowledgement.
    const phone = await newPage({ width: 390, height: 844 });
    await logIn(phone.page, cloud.baseUrl, 'operator');
    await phone.page.goto(`${cloud.baseUrl}/#/alarms`);
    await row(phone.page, alarmTitle).getByRole('button', { name: '确认' }).waitFor();
    await screenshot(phone.page, 'alarm-desk-phone', true);

    // Keyboard: focus the acknowledge button and press Enter.
    await r.getByRole('button', { name: '确认' }).focus();
    await page.keyboard.press('Enter');
    await row(page, alarmTitle).locator('.alarm-state', { hasText: '已确认' }).waitFor();

    await row(page, alarmTitle).getByRole('button', { name: '填写反馈' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('原因').fill('2号储罐法兰垫片老化，微量泄漏');
    await dlg.getByLabel('采取的措施').fill('关闭进料阀，更换垫片，现场通风');
    await dlg.getByLabel('处置结果').fill('浓度回落至 5 %LEL 以下');
    await dlg.getByLabel('处置结论').selectOption('handled');
    await dlg.getByLabel('现场照片').setInputFiles({ name: 'scene.png', mimeType: 'image/png', buffer: PNG_1X1 });
    assert.deepEqual(await accessibilityProblems(page), [], 'feedback form: names and contrast');
    await dlg.getByRole('button', { name: '提交' }).click();
    await row(page, alarmTitle).locator('.alarm-state', { hasText: '已反馈' }).waitFor();

    // The details page shows the feedback and the audit trail.
    await row(page, alarmTitle).locator('.alarm-title').click();
    await page.locator('#feedback-block').getByText('关闭进料阀').waitFor();
    // The uploaded photo comes back through the authenticated attachment route.
    await page.locator('#feedback-block img[src^="blob:"]').waitFor();
    assert.ok((await page.locator('#audit-table li').count()) >= 3, 'raise, acknowledge and feedback are audited');
    // …and who was paged how: the SMS to the on-duty operator and the 企业微信 group post, accepted by the providers.
    await page.locator('#delivery-table tr.delivery-sent', { hasText: '短信' }).first().waitFor();
    assert.ok((await page.locator('#delivery-table tr.delivery-sent', { hasText: '企业微信群' }).count()) >= 1);
    assert.ok((await page.locator('#delivery-table', { hasText: '值班操作员 王 (138****0001)' }).count()) === 1, 'the recipient by name, not username');

    await page.goto(`${cloud.baseUrl}/#/sites/tank-farm`);
    await page.getByRole('heading', { name: '罐区', exact: true }).waitFor();
    await page.locator('#gateway-health').getByText('在线').waitFor();
    // Latest values with unit and quality: the stale tank level shows as 可疑 (stale).
    const levelRow = page.locator('tr[data-point="tank-farm/tank-1/level"]');
    await levelRow.getByText('6.4').waitFor();
    await levelRow.getByText('数据可疑').waitFor();
    await levelRow.locator('[data-cell="quality"]', { hasText: '数据过时' }).waitFor();
    await levelRow.locator('[data-cell="state"]', { hasText: '正常' }).waitFor();
    assert.equal(await levelRow.locator('[data-cell="unit"]').textContent(), 'm');
    // A fresh reading arrives over the live stream and patches the row in place.
    await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    const t1 = Date.now();
    await cloud.ingest('gw-demo-01', [{ point: 'tank-farm/tank-1/level', value: 7.1, unit: 'm', quality: 'good', sourceTime: t1, gatewayTime: t1 }]);
    await levelRow.locator('[data-cell="value"]', { hasText: '7.1' }).waitFor();
    await levelRow.locator('[data-cell="quality"]', { hasText: '数据有效' }).waitFor();
    // The gas detector in 二级报警: its value coloured, its state a 二级报警 chip linked to the alarm —
    // not the word 正常 that the data quality used to show.
    const gasRow = page.locator('#latest-gas-1 tr[data-point="tank-farm/gas-1/lel"]');
    await gasRow.locator('[data-cell="state"] a .chip', { hasText: '二级报警' }).waitFor();
    assert.match((await gasRow.locator('[data-cell="value"]').getAttribute('class')) ?? '', /val-orange/);
    assert.equal(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload), true);
    await screenshot(page, 'site', true);
    // The gateway's desired configuration names the device's profile, protocol, address and poll interval.
    const adminLogin = await fetch(`${cloud.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'safeloop' }) });
    const adminToken = ((await adminLogin.json()) as { token: string }).token;
    const put = await fetch(`${cloud.baseUrl}/api/gateways/gw-demo-01/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({
        config: {
          gateway: { id: 'gw-demo-01', siteId: 'tank-farm' },
          uplink: { transport: 'mqtt', url: 'mqtt://127.0.0.1:1883', allowInsecure: true },
          devices: [{ id: 'gas-1', name: '罐区可燃气体探测器 GT-101', profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: 15020, unitId: 1 }, pollIntervalMs: 1000 }],
        },
      }),
    });
    assert.equal(put.status, 200, await put.text());
    // Device page: its points and the limits drawn from the alarms it raised.
    await page.reload();
    await page.getByRole('link', { name: '罐区可燃气体探测器 GT-101', exact: true }).click();
    await page.locator('#device-profile').waitFor();
    const facts = page.locator('#device-profile');
    for (const text of ['generic-catalytic-lel', 'Modbus TCP', '127.0.0.1:15020 #1', 'gw-demo-01', '每 1 秒']) await facts.getByText(text, { exact: true }).waitFor();
    await page.locator('#device-latest tr[data-point="tank-farm/gas-1/lel"]').waitFor();
    // The registered point's limits come from its alarms (the profile's own points may be listed too, with theirs).
    await page.locator('#device-limits tr', { hasText: 'tank-farm/gas-1/lel' }).getByRole('cell', { name: '二级报警', exact: true }).waitFor();
    await page.locator('#device-latest [data-cell="state"]', { hasText: '二级报警' }).waitFor();
    await page.goto(`${cloud.baseUrl}/#/points/${POINT}`);
    await page.locator('#trend-chart canvas').waitFor();
    // The 二级 limit the alarm carried is drawn in (echarts exposes its option).
    const marks = await page.evaluate(() => {
      const w = window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: { markLine?: { data: { yAxis: number }[] } }[] } } } };
      const chart = w.echarts.getInstanceByDom(document.getElementById('trend-chart') as Element);
      return chart.getOption().series[0]?.markLine?.data.map((d) => d.yAxis) ?? [];
    });
    assert.ok(marks.includes(50), `mark lines at ${JSON.stringify(marks)}`);
    // 24 hours comes as per-minute aggregates: the average line plus a min/max envelope.
    await page.locator('#trend-range').selectOption('24h');
    await page.waitForFunction(() => {
      const w = window as unknown as { echarts: { getInstanceByDom(el: Element): { getOption(): { series: { name: string; data: unknown[] }[] } } } };
      const series = w.echarts.getInstanceByDom(document.getElementById('trend-chart') as Element).getOption().series;
      return series.length === 3 && series.every((x) => x.data.length >= 60);
    });
    await screenshot(page, 'point');
    assert.deepEqual(errors.concat(phone.errors), []);
    assert.deepEqual(outside, [], 'requests outside the cloud');
  });

  void test('a monitor of another county cannot see the alarm', async () => {
    assert.ok(alarmId, 'depends on the first test');
    const { page, errors } = await newPage();
    await logIn(page, cloud.baseUrl, 'county2');
    await page.goto(`${cloud.baseUrl}/#/alarms`);
    await page.locator('#alarm-summary').waitFor();
    await page.locator('#alarm-list li').first().waitFor();
    assert.equal(await row(page, alarmTitle).count(), 0);
    const status = await page.evaluate(async (id) => {
      const token = localStorage.getItem('safeloop.token');
      const res = await fetch(`/api/alarms/${id}`, { headers: { authorization: `Bearer ${token}` } });
      return res.status;
    }, alarmId);
    assert.ok(status === 404 || status === 403, `direct fetch of another county's alarm answers ${status}`);
    assert.equal(await page.locator('#sites-table').count(), 0);
    assert.deepEqual(errors, []);
  });

  void test('the county monitor reviews and closes the alarm once it has cleared', async () => {
    assert.ok(alarmId, 'depends on the first test');
    await cloud.service.alarms.clear({ conditionKey: CONDITION, at: Date.now(), value: 3.2 });
    const { page, errors } = await newPage();
    await logIn(page, cloud.baseUrl, 'county');
    // The county's one map: both enterprises' sites, the tank farm 橙 (open 二级报警), the tailings
    // pond's gateway offline; the other county's site absent.
    const sites = page.locator('#sites-table tbody tr');
    await page.locator('#sites-table tr[data-site-id="tank-farm"]').getByText('橙').waitFor();
    await page.locator('#sites-table tr[data-site-id="tailings-pond"]').getByText('离线').waitFor();
    assert.equal(await sites.count(), 2);
    await page.waitForTimeout(500); // let echarts draw the outlines
    await screenshot(page, 'map');
    await page.getByRole('link', { name: '区域总览' }).click();
    await page.locator('#enterprise-table').waitFor();
    await page.waitForTimeout(500);
    await screenshot(page, 'overview');

    await page.getByRole('link', { name: '报警处置台' }).click();
    const r = row(page, alarmTitle);
    await r.waitFor();
    await r.getByRole('button', { name: '审核' }).click();
    const dlg = page.getByRole('dialog');
    await dlg.getByLabel('审核反馈').selectOption('approve');
    await dlg.getByLabel('审核意见').fill('措施得当，同意关闭');
    await dlg.getByRole('button', { name: '提交' }).click();
    await row(page, alarmTitle).locator('.alarm-state', { hasText: '已审核' }).waitFor();

    await row(page, alarmTitle).getByRole('button', { name: '关闭' }).click();
    await page.getByRole('dialog').getByRole('button', { name: '提交' }).click();
    await row(page, alarmTitle).waitFor({ state: 'detached' });

    await page.locator('#filter-state').selectOption('closed');
    await row(page, alarmTitle).locator('.alarm-state', { hasText: '已关闭' }).waitFor();
    assert.deepEqual(errors, []);
  });

  void test('a flood of alarms collapses into one row that expands', async () => {
    const { page, errors } = await newPage();
    await logIn(page, cloud.baseUrl, 'mine-operator');
    await page.getByRole('link', { name: '报警处置台' }).click();
    await page.locator('#live-status.live-ok').waitFor();
    const t0 = Date.now();
    // More than 10 new alarms at one site within 10 minutes is a flood (ISA-18.2 grouping).
    for (let i = 1; i <= 12; i++) {
      await cloud.service.alarms.raise(pointAlarm(`tailings-pond/piezometer-${i}/depth`, 'H', `${i}号浸润线监测点 高报警`, 10 + i / 10, 10, 'm', t0 + i));
    }
    const toggle = page.locator('#alarm-list .group-toggle');
    await toggle.getByText('同组另有 11 条').waitFor({ timeout: 15_000 });
    assert.equal(await page.locator('#alarm-list li.alarm-row').count(), 1, 'one row for the whole flood');
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.focus();
    await page.keyboard.press('Space');
    await page.locator('#alarm-list li.alarm-row.in-group').nth(10).waitFor();
    assert.equal(await page.locator('#alarm-list li.alarm-row').count(), 12);
    assert.equal(await page.locator('#alarm-list .group-toggle').getAttribute('aria-expanded'), 'true');
    // One cause, one decision: the whole flood acknowledged from its head row, each one audited.
    await page.locator('#alarm-list button[data-action="acknowledge-group"]', { hasText: '确认本组 12 条' }).click();
    await page.locator('.toast', { hasText: '已确认 12/12 条' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#alarm-list li.alarm-row.is-unacked').length === 0);
    assert.equal(await page.locator('#alarm-list button[data-action="acknowledge-group"]').count(), 0);
    assert.deepEqual(errors, []);
  });

  void test('the language switch turns the page to English and the choice persists', async () => {
    const { page, errors } = await newPage();
    await logIn(page, cloud.baseUrl, 'operator');
    await page.locator('#lang-switch').click();
    await page.getByRole('link', { name: 'Alarm desk' }).click();
    await page.getByRole('heading', { name: 'Alarm desk' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.locator('#filter-state').selectOption('all');
    await row(page, alarmTitle).getByText('Level 2 alarm').waitFor();
    await screenshot(page, 'alarm-desk-en');
    // Keyboard: Enter on a focused row opens the alarm.
    await row(page, alarmTitle).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/alarms\/[^/]+$/);
    await page.locator('#audit-table').waitFor();
    await page.goBack();
    await page.reload();
    await page.getByRole('heading', { name: 'Alarm desk' }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('safeloop.lang')), 'en');
    await page.locator('#lang-switch').click();
    await page.getByRole('heading', { name: '报警处置台' }).waitFor();
    assert.deepEqual(errors, []);
  });
});
