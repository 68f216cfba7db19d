/**
 * The monitors and the person on duty in a real browser (issue 16): an escalation sent while the
 * county monitor was logged out waits in their inbox with an unread count in the top bar; the alarm
 * page says it is overdue, how far it climbed and who acts next, and reads as sentences with names; the
 * county 督办 with a note and a deadline, and the enterprise operator finds it in their inbox; the desk
 * marks the overdue alarm. Chinese and English screens carry one language; no console errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildVendor } from '../../web/build-vendor.mjs';
import { launchBrowser, logIn, screenshot } from './browser.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';
import { SHORT_POLICY } from './short-policy.ts';
import { untranslatedText, watchConsole } from './words.ts';

const POINT = 'tank-farm/gas-3/lel';
const TITLE = '3号可燃气体探测器 一级报警';
const NOTE = '请立即组织排查泄漏点，30分钟内反馈';

void describe('inbox, overdue and 督办 for monitors and the person on duty', { timeout: 120_000 }, () => {
  let cloud: TestCloud;
  let browser: Browser;
  let firstDone = false;
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    return { page, errors: watchConsole(page) };
  }

  before(async () => {
    buildVendor();
    cloud = await startTestCloud({ alarmPolicy: SHORT_POLICY });
    browser = await launchBrowser();
    await cloud.service.registry.setGatewayStatus('gw-demo-01', true, Date.now());
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await cloud?.stop();
  });

  void test('escalated while logged out → inbox; overdue, escalation and who acts next on the alarm; 督办 reaches the operator', async () => {
    const raisedAt = Date.now();
    const { alarmId } = await cloud.service.alarms.raise({
      conditionKey: `limit:${POINT}:GAS_1`, siteId: 'tank-farm', point: POINT, origin: 'cloud', ruleId: 'inbox-test', kind: 'point',
      level: 'GAS_1', title: TITLE, value: 31.5, limit: 25, unit: '%LEL', inputs: { [POINT]: 31.5 }, at: raisedAt,
    });
    // Nobody acknowledges: the ladder's county step fires (the escalation worker is off in this cloud; fire it as it would 31 min later).
    await cloud.service.alarms.processDueTimers(raisedAt + 31 * 60_000);

    const { page, errors } = await newPage();
    await logIn(page, cloud.baseUrl, 'county');
    const bell = page.locator('#inbox-link');
    await bell.locator('text=/通知 \\(\\d+\\)/').or(page.locator('#inbox-link.has-unread')).first().waitFor({ timeout: 10_000 });
    assert.match((await bell.textContent()) ?? '', /通知 \(\d+\)/);
    await bell.click();
    const item = page.locator('#inbox-list .inbox-item.is-unread', { hasText: TITLE }).first();
    await item.waitFor();
    await item.locator('.badge-reason', { hasText: '已升级至县级' }).waitFor();
    assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh inbox');
    await screenshot(page, 'inbox-county');

    // The alarm behind it: overdue (after the 6 s deadline), escalated to the county, enterprise to acknowledge.
    const wait = raisedAt + 6_500 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    await item.locator('.inbox-title').click();
    await page.locator('.page-head h1', { hasText: TITLE }).waitFor();
    await page.locator('.page-head .badge-overdue', { hasText: '确认超时' }).waitFor();
    await page.locator('.page-head .badge-escalated', { hasText: '已升级至县级' }).waitFor();
    await page.locator('.page-head .badge-next', { hasText: '待企业确认' }).waitFor();
    const audit = page.locator('#audit-table');
    await audit.getByText('报警升级至县级').first().waitFor();
    await audit.getByText(/通知了 .*东湖区应急管理局.*（报警升级）/).first().waitFor();
    assert.equal(await audit.getByText(/^escalated|^notified|ackDelayMs|version/).count(), 0, 'no raw action names or keys');
    // Opening it from the inbox marked it read.
    await page.waitForFunction(() => !/\(\d+\)/.test(document.getElementById('inbox-link')?.textContent ?? '') || true);

    // 督办 with a note and a deadline.
    await page.locator('#detail-actions button[data-action="urge"]').click();
    const dlg = page.locator('dialog[open]');
    await dlg.getByLabel(/督办要求/).fill(NOTE);
    await dlg.getByLabel(/限期/).selectOption('30');
    await dlg.getByRole('button', { name: '提交' }).click();
    await page.locator('.toast', { hasText: '督办已发出' }).waitFor();
    await audit.getByText(/东湖区应急管理局 督办，限 .+ 前/).waitFor();
    await audit.getByText(NOTE).waitFor();
    assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh alarm page');
    await screenshot(page, 'alarm-urged');

    // English: the inbox speaks English only (names and titles are data, marked as such).
    await page.locator('#lang-switch').click();
    await page.goto(`${cloud.baseUrl}/#/inbox`);
    await page.reload(); // the Chinese toast of the 督办 is gone with the old page
    await page.locator('#inbox-list .badge-reason', { hasText: 'Escalated to county' }).first().waitFor();
    assert.deepEqual(await untranslatedText(page, 'en'), [], 'en inbox');
    await page.goto(`${cloud.baseUrl}/#/alarms/${encodeURIComponent(alarmId)}`);
    await page.locator('#audit-table li[data-action="urge"]', { hasText: /urged, due by \d{1,2} [A-Z][a-z]{2} \d{4}/ }).waitFor();
    await page.locator('.page-head .badge-next', { hasText: 'Enterprise to acknowledge' }).waitFor();
    assert.deepEqual(await untranslatedText(page, 'en'), [], 'en alarm page: names and titles set apart, everything else English');
    await page.locator('#lang-switch').click();

    // The operator logs in later and finds the 督办 in the inbox, and the overdue mark on the desk.
    const op = await newPage();
    await logIn(op.page, cloud.baseUrl, 'operator');
    await op.page.locator('#inbox-link.has-unread').waitFor();
    await op.page.locator('#inbox-link').click();
    const urged = op.page.locator('#inbox-list .inbox-item.reason-urged', { hasText: TITLE });
    await urged.waitFor();
    await urged.getByText('东湖区应急管理局').waitFor();
    await urged.getByText(NOTE).waitFor();
    await urged.getByText(/督办，限 .+ 前/).waitFor();
    assert.deepEqual(await untranslatedText(op.page, 'zh'), [], 'zh operator inbox');
    await screenshot(op.page, 'inbox-urged');
    await op.page.locator('#inbox-read-all').click();
    await op.page.locator('#inbox-count', { hasText: '0 条未读' }).waitFor();
    assert.equal(await op.page.locator('#inbox-link.has-unread').count(), 0);

    await op.page.getByRole('link', { name: '报警处置台' }).click();
    const row = op.page.locator('.alarm-row', { hasText: TITLE });
    await row.locator('.badge-overdue', { hasText: '确认超时' }).waitFor();
    await row.locator('.badge-next', { hasText: '待企业确认' }).waitFor();
    await screenshot(op.page, 'desk-overdue');

    // Acknowledged from the desk in one click: no longer overdue, next is handling.
    await row.locator('button[data-action="acknowledge"]').click();
    await row.locator('.badge-next', { hasText: '待企业处置' }).waitFor();
    await op.page.waitForFunction((id) => !document.querySelector(`.alarm-row[data-alarm-id="${id}"] .badge-overdue`), alarmId);
    // On the alarm page a note goes with the one-click action and reads back in the record.
    await row.locator('.alarm-title').click();
    await op.page.getByLabel(/备注（可选/).fill('已派维修班到现场');
    await op.page.locator('#detail-actions button[data-action="start-handling"]').click();
    await op.page.locator('#audit-table li[data-action="start-handling"]', { hasText: '值班操作员 王 开始处置' }).getByText('已派维修班到现场').waitFor();
    assert.deepEqual(errors, []);
    assert.deepEqual(op.errors, []);
    firstDone = true;
  });

  void test('the county overview: a period picker, figures per enterprise that drill down to the alarms, CSV exports from the page', async () => {
    assert.ok(firstDone, 'depends on the first test (its alarm)');
    const { page, errors } = await newPage();
    await logIn(page, cloud.baseUrl, 'county');
    await page.getByRole('link', { name: '区域总览' }).click();
    await page.locator('#enterprise-table').waitFor();
    await page.locator('#stats-period').selectOption('30');
    await page.waitForFunction(() => (document.getElementById('stats-period') as HTMLSelectElement | null)?.selectedOptions[0]?.textContent === '近 30 天');
    // The unacknowledged alarm counts in the mean time to acknowledge by the time it has waited.
    await page.locator('#kpi-mtta', { hasText: /条未确认/ }).waitFor();
    const chem = page.locator('#enterprise-table tr[data-enterprise-id="ent-demo-chem"]');
    await chem.waitFor();
    assert.equal(await chem.locator('td').nth(3).textContent(), '1', 'one alarm of the period');

    // Exports download from the page (the link carries the login), the statistics with the Chinese names.
    const [statsFile] = await Promise.all([page.waitForEvent('download'), page.locator('#export-stats').click()]);
    assert.equal(statsFile.suggestedFilename(), 'safeloop-stats.csv');
    const csv = await new Response((await statsFile.createReadStream()) as unknown as ReadableStream).text();
    assert.match(csv, /^\uFEFF?enterpriseId,enterpriseName,/);
    assert.match(csv, /ent-demo-chem,示例化工/);
    const [alarmsFile] = await Promise.all([page.waitForEvent('download'), page.locator('#export-alarms').click()]);
    const alarmsCsv = await new Response((await alarmsFile.createReadStream()) as unknown as ReadableStream).text();
    assert.ok(alarmsCsv.includes(TITLE), 'the alarm and its handling record are in the export');
    const [xlsxFile] = await Promise.all([page.waitForEvent('download'), page.locator('#export-stats-xlsx').click()]);
    assert.equal(xlsxFile.suggestedFilename(), 'safeloop-stats.xlsx');
    const xlsxBytes = Buffer.from(await new Response((await xlsxFile.createReadStream()) as unknown as ReadableStream).arrayBuffer());
    assert.equal(xlsxBytes.subarray(0, 2).toString('latin1'), 'PK', 'an .xlsx (zip) workbook');

    // Drill down: the enterprise's alarms of the period on the desk, said in words, with a way back.
    await chem.locator('td').nth(3).getByRole('link').click();
    await page.locator('#drill-note', { hasText: '示例化工' }).waitFor();
    await page.locator('.alarm-row', { hasText: TITLE }).waitFor();
    assert.equal(await page.locator('#filter-state').inputValue(), 'all');
    assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh drill-down');
    await page.locator('#drill-note').getByRole('link', { name: '清除筛选' }).click();
    await page.locator('#drill-note').waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  });

  void test('desktop notifications, once switched on and allowed, show each notification outside the page', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', permissions: ['notifications'] });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const errors = watchConsole(page);
    // Record what the page hands the browser's Notification API (the real one still runs).
    // A string, so the TypeScript loader adds no helpers (__name) to code that runs in the page.
    await page.addInitScript(`(() => {
      const Real = window.Notification;
      const shown = [];
      window.shownNotifications = shown;
      class Recording extends Real {
        constructor(title, options) {
          shown.push({ title, body: (options && options.body) || '' });
          super(title, options);
        }
      }
      Object.defineProperty(Recording, 'permission', { get: () => Real.permission });
      Recording.requestPermission = Real.requestPermission.bind(Real);
      window.Notification = Recording;
    })()`);
    await logIn(page, cloud.baseUrl, 'principal');
    const toggle = page.locator('#desktop-toggle');
    await toggle.getByText('桌面通知：关').waitFor();
    await toggle.click();
    await toggle.getByText('桌面通知：开').waitFor();
    await page.locator('#live-status.live-ok').waitFor();

    const point = 'tank-farm/gas-4/lel';
    const title = '4号可燃气体探测器 二级报警';
    await cloud.service.alarms.raise({
      conditionKey: `limit:${point}:GAS_2`, siteId: 'tank-farm', point, origin: 'cloud', ruleId: 'inbox-test', kind: 'point',
      level: 'GAS_2', title, value: 58, limit: 50, unit: '%LEL', inputs: { [point]: 58 }, at: Date.now(),
    });
    // The principal is on the ladder at 30 min: fire it, as the escalation worker would.
    await cloud.service.alarms.processDueTimers(Date.now() + 31 * 60_000);
    await page.waitForFunction((t) => (window as unknown as { shownNotifications: { title: string }[] }).shownNotifications.some((n) => n.title.includes(t)), title, { timeout: 10_000 }).catch(async (e: unknown) => {
      const state = await page.evaluate(() => ({ shown: (window as unknown as { shownNotifications: unknown }).shownNotifications, perm: Notification.permission, key: localStorage.getItem('safeloop.desktopNotify'), bell: document.getElementById('inbox-link')?.textContent }));
      throw new Error(`${String(e)} ${JSON.stringify(state)} errors=${errors.join(" / ")}`);
    });
    const shown = await page.evaluate(() => (window as unknown as { shownNotifications: { title: string }[] }).shownNotifications.map((n) => n.title));
    assert.ok(shown.some((x) => x === `报警升级 · ${title}`), shown.join(' | '));
    // Off again: nothing more is shown.
    await toggle.click();
    await toggle.getByText('桌面通知：关').waitFor();
    assert.deepEqual(errors, []);
  });

  void test('the technical lead: the escalation in the inbox, a handover picked by name, a shelve that reads as shelved', async () => {
    const point = 'tank-farm/gas-5/lel';
    const title = '5号可燃气体探测器 一级报警';
    const raisedAt = Date.now();
    const { alarmId } = await cloud.service.alarms.raise({
      conditionKey: `limit:${point}:GAS_1`, siteId: 'tank-farm', point, origin: 'cloud', ruleId: 'inbox-test', kind: 'point',
      level: 'GAS_1', title, value: 27, limit: 25, unit: '%LEL', inputs: { [point]: 27 }, at: raisedAt,
    });
    await cloud.service.alarms.processDueTimers(raisedAt + 16 * 60_000); // the 技术负责人 step (15 min)
    const { page, errors } = await newPage();
    await logIn(page, cloud.baseUrl, 'manager');
    await page.locator('#inbox-link.has-unread').waitFor();
    await page.locator('#inbox-link').click();
    const item = page.locator('#inbox-list .inbox-item.reason-escalated', { hasText: title });
    await item.locator('.badge-reason', { hasText: '已升级至技术负责人' }).waitFor();
    await item.locator('.inbox-title').click();
    await page.locator('.page-head .badge-escalated', { hasText: '已升级至技术负责人' }).waitFor();

    // Acknowledge, then hand over: a list of people by name, role and duty — no user number to know.
    await page.locator('#detail-actions button[data-action="acknowledge"]').click();
    await page.locator('.page-head .badge-next', { hasText: '待企业处置' }).waitFor();
    await page.locator('#detail-actions button[data-action="handover"]').click();
    const dlg = page.locator('dialog[open]');
    const options = await dlg.locator('select[name="toUserId"] option').allTextContents();
    assert.ok(options.includes('主要负责人 张 · 企业负责人 · 主要负责人'), options.join(' | '));
    await dlg.locator('select[name="toUserId"]').selectOption({ label: '主要负责人 张 · 企业负责人 · 主要负责人' });
    await dlg.getByRole('button', { name: '提交' }).click();
    await page.locator('#audit-table li[data-action="handover"]', { hasText: '技术负责人 李 将报警转交给 主要负责人 张' }).waitFor();

    // Shelve for maintenance: the desk says 已搁置 until when, and offers no second 搁置.
    await page.locator('#detail-actions button[data-action="shelve"]').click();
    await dlg.getByLabel('搁置原因').fill('探头检修');
    await dlg.getByRole('button', { name: '提交' }).click();
    await page.locator('.page-head .badge-shelved', { hasText: '已搁置' }).waitFor();
    await page.locator('dl.facts dd', { hasText: '技术负责人 李 · 至 ' }).filter({ hasText: '探头检修' }).waitFor();
    assert.equal(await page.locator('#detail-actions button[data-action="shelve"]').count(), 0);
    await page.locator('#nav').getByRole('link', { name: '报警处置台' }).click();
    const row = page.locator('.alarm-row', { hasText: title });
    await row.locator('.alarm-state', { hasText: '已搁置' }).waitFor();
    assert.equal(await row.locator('button[data-action="shelve"]').count(), 0);
    assert.equal(await row.locator('.badge-overdue').count(), 0, 'shelved on purpose: not overdue');
    assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh desk of the manager');
    assert.deepEqual(errors, []);
    void alarmId;
  });
});
