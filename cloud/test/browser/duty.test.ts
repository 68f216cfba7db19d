/**
 * The person on duty in a real browser (issue 16): a severe alarm sounds until it is acknowledged,
 * the tab title carries the count and flashes, a banner names it with a one-click 确认; the sound
 * can be switched off for the session and the page says so; a return to alarm is announced exactly
 * like a new alarm. Deadlines are shortened in the test config so overdue marks appear in seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildVendor } from '../../web/build-vendor.mjs';
import { launchBrowser, logIn, screenshot } from './browser.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';
import { SHORT_POLICY } from './short-policy.ts';
import { untranslatedText, watchConsole } from './words.ts';


const POINT = 'tank-farm/gas-1/lel';
const CONDITION = `limit:${POINT}:GAS_2`;

interface Sound {
  paused: boolean;
  state: string;
  announced: number;
  time: number;
}

async function sound(page: Page): Promise<Sound> {
  return page.evaluate(() => {
    const a = document.getElementById('alarm-sound') as HTMLAudioElement | null;
    return { paused: a?.paused ?? true, state: a?.dataset.state ?? 'none', announced: Number(a?.dataset.announced ?? 0), time: a?.currentTime ?? 0 };
  });
}

async function waitSound(page: Page, state: string): Promise<void> {
  await page.waitForFunction((s) => (document.getElementById('alarm-sound') as HTMLAudioElement | null)?.dataset.state === s, state, { timeout: 10_000 });
}

void describe('annunciation for the person on duty', { timeout: 120_000 }, () => {
  let cloud: TestCloud;
  let browser: Browser;
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

  void test('a 二级 alarm sounds until acknowledged, the tab flashes its count, a return to alarm sounds again', async () => {
    const { page, errors } = await newPage();
    await logIn(page, cloud.baseUrl, 'operator');
    await page.getByRole('link', { name: '报警处置台' }).click();
    await page.locator('#live-status.live-ok').waitFor();
    await page.locator('#sound-toggle', { hasText: '报警声音：开' }).waitFor();
    assert.equal((await sound(page)).paused, true, 'silent while nothing waits');
    assert.equal(await page.locator('#alarm-banner').isHidden(), true);

    const title = '1号可燃气体探测器 二级报警';
    await cloud.service.alarms.raise({
      conditionKey: CONDITION, siteId: 'tank-farm', point: POINT, origin: 'cloud', ruleId: 'duty-test', kind: 'point',
      level: 'GAS_2', title, value: 56.5, limit: 50, unit: '%LEL', inputs: { [POINT]: 56.5 }, at: Date.now(),
    });
    const banner = page.locator('#alarm-banner');
    await banner.getByText(title).waitFor({ timeout: 10_000 });
    await banner.getByText('1 条报警待确认').waitFor();
    await banner.getByText('罐区').waitFor();
    await waitSound(page, 'playing');
    // Really playing: the element is running and its clock advances.
    const s1 = await sound(page);
    await page.waitForTimeout(600);
    const s2 = await sound(page);
    assert.equal(s2.paused, false);
    // The tone loops, so its clock may wrap: it must have moved, not necessarily forward.
    assert.notEqual(s2.time, s1.time, `audio clock moves (${s1.time} → ${s2.time})`);
    assert.equal(s2.announced, 1);
    // Tab title carries the count and flashes between two texts; the icon carries the count too.
    const titles = new Set<string>();
    for (let i = 0; i < 6; i++) {
      titles.add(await page.title());
      await page.waitForTimeout(250);
    }
    assert.ok([...titles].every((x) => x.startsWith('(1) ')), `titles ${[...titles].join(' | ')}`);
    assert.ok(titles.has('(1) 1 条报警未确认'), `flashing titles ${[...titles].join(' | ')}`);
    assert.ok(titles.size >= 2, 'the title alternates');
    assert.match((await page.locator('#favicon').getAttribute('href')) ?? '', /c62828/);
    await screenshot(page, 'annunciation-banner');

    // Sound off for the session: said in words in the top bar and the banner; back on again.
    await page.locator('#sound-toggle').click();
    await waitSound(page, 'muted');
    assert.equal((await sound(page)).paused, true);
    assert.equal(await page.locator('#sound-toggle').getAttribute('aria-pressed'), 'true');
    await page.locator('#sound-toggle', { hasText: '报警声音：关' }).waitFor();
    await banner.getByText('报警声音已关闭（本次登录）').waitFor();
    assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh page with banner, sound off');
    await screenshot(page, 'annunciation-muted');
    // The choice lasts the session: a reload keeps it.
    await page.reload();
    await banner.getByText(title).waitFor();
    await waitSound(page, 'muted');
    await page.locator('#sound-toggle').click();
    await waitSound(page, 'playing');

    // One click in the banner acknowledges: the sound stops, the title loses its count.
    await banner.getByRole('button', { name: '确认' }).click();
    await banner.waitFor({ state: 'hidden' });
    await waitSound(page, 'idle');
    assert.equal((await sound(page)).paused, true);
    await page.waitForFunction(() => !document.title.startsWith('('));

    // Return to alarm: cleared, then active again before close — announced exactly like a new alarm.
    const before = (await sound(page)).announced;
    await cloud.service.alarms.clear({ conditionKey: CONDITION, at: Date.now(), value: 12 });
    await page.waitForTimeout(300);
    await cloud.service.alarms.raise({
      conditionKey: CONDITION, siteId: 'tank-farm', point: POINT, origin: 'cloud', ruleId: 'duty-test', kind: 'point',
      level: 'GAS_2', title, value: 61.2, limit: 50, unit: '%LEL', inputs: { [POINT]: 61.2 }, at: Date.now(),
    });
    await banner.getByText(title).waitFor({ timeout: 10_000 });
    await banner.getByText('复现1次').waitFor();
    await waitSound(page, 'playing');
    assert.equal((await sound(page)).announced, before + 1, 'announced again');
    await page.locator('.toast', { hasText: `报警复现：${title}` }).waitFor();
    await page.waitForFunction(() => document.title.startsWith('(1) '));
    assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh desk');
    assert.deepEqual(errors, []);
  });
});
