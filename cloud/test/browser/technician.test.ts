/**
 * The field technician's journey in a real browser (issue 15): the gateways of their area, a claim code
 * made for a site and shown once with the command to run on the gateway, the gateway claiming it (as
 * `safeloop provision claim` would, over the real API with a CSR openssl made) and then coming online,
 * its commissioning report opened in a sandbox, an unused code expired, and the gateway revoked.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { buildVendor } from '../../web/build-vendor.mjs';
import { launchBrowser, logIn, screenshot } from './browser.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';
import { untranslatedText, watchConsole } from './words.ts';

const GW = 'gw-pond-02';
const ROOT = new URL('../../../', import.meta.url).pathname;

function csrFor(cn: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-csr-'));
  try {
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-subj', `/CN=${cn}`, '-out', join(dir, 'csr.pem')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'csr.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void describe('the field technician in the browser', { timeout: 120_000 }, () => {
  let cloud: TestCloud;
  let browser: Browser;
  let ctx: BrowserContext | undefined;

  before(async () => {
    buildVendor();
    cloud = await startTestCloud();
    browser = await launchBrowser();
  });
  after(async () => {
    await ctx?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await cloud?.stop();
  });

  void test('claim code → gateway claims and comes online → commissioning report → revoke', async () => {
    ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await ctx.newPage();
    const errors = watchConsole(page);
    await logIn(page, cloud.baseUrl, 'tech');
    await page.getByRole('link', { name: '网关与调试' }).click();
    await page.locator('#gateway-table tr[data-gateway-id="gw-demo-01"]').waitFor();
    await page.locator('#prov-site').selectOption('tailings-pond');
    await page.locator('#claim-codes').getByText('该场所还没有认领码').waitFor();

    // A claim code, shown once, with the command for the gateway.
    await page.locator('#claim-create').click();
    const code = ((await page.locator('#claim-new .claim-code').textContent()) ?? '').trim();
    assert.ok(code.length >= 8, `a claim code is shown (${code})`);
    assert.match((await page.locator('#claim-new pre').textContent()) ?? '', new RegExp(`safeloop provision claim --cloud http://127.0.0.1:\\d+ --code ${code} --ca-fingerprint [0-9A-F:]{95}`));
    await page.locator('#claim-table tr[data-status="open"]').waitFor();
    assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh technician page');
    await screenshot(page, 'technician-claim-code');

    // The gateway claims it over the API, exactly as the CLI does, then reports online.
    const claim = await fetch(`${cloud.baseUrl}/api/provision/claim`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, gatewayId: GW, csrPem: csrFor(GW) }) });
    assert.equal(claim.status, 200, await claim.text());
    await cloud.service.registry.setGatewayStatus(GW, true, Date.now());
    await page.reload();
    const row = page.locator(`#gateway-table tr[data-gateway-id="${GW}"]`);
    await row.locator('[data-cell="status"]', { hasText: '在线' }).waitFor();
    assert.doesNotMatch((await row.textContent()) ?? '', /未签发证书/);
    await page.locator('#prov-site').selectOption('tailings-pond');
    await page.locator('#claim-table tr[data-status="used"]', { hasText: GW }).waitFor();

    // Its commissioning report (uploaded by the CLI after the visit), opened in a sandbox.
    const login = await fetch(`${cloud.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'tech', password: 'safeloop' }) });
    const token = ((await login.json()) as { token: string }).token;
    const up = await fetch(`${cloud.baseUrl}/api/sites/tailings-pond/commissioning-reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        technician: '现场技术员 孙', performedAt: Date.now(), gatewayId: GW, summary: { passed: true, points: 12 },
        markdown: '# 调试报告\n12 个测点全部通过', html: '<h1>尾矿库调试报告</h1><p>12 个测点全部通过</p><script>parent.document.title = "pwned"</script>',
      }),
    });
    assert.equal(up.status, 201, await up.text());
    await page.reload();
    await page.locator('#prov-site').selectOption('tailings-pond');
    await page.locator('#report-list li', { hasText: '通过' }).getByRole('button', { name: '查看报告' }).click();
    const frame = page.frameLocator('#report-frame');
    await frame.getByText('尾矿库调试报告').waitFor();
    assert.equal(await page.locator('#report-frame').getAttribute('sandbox'), '', 'no script, no access to the dashboard');
    assert.notEqual(await page.title(), 'pwned');
    const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#report-download').click()]);
    assert.match(file.suggestedFilename(), /^commissioning-tailings-pond-[0-9A-Z]{26}\.html$/);
    assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh technician page with the report');
    await screenshot(page, 'technician-report');

    // A second code nobody will use is expired now.
    await page.locator('#claim-create').click();
    await page.locator('#claim-new').waitFor();
    await page.locator('#claim-table tr[data-status="open"] button[data-action="expire"]').click();
    await page.locator('#claim-table tr[data-status="expired"]').waitFor();
    assert.equal(await page.locator('#claim-table tr[data-status="open"]').count(), 0);

    // Revoke: a reason, then every certificate of the gateway is revoked.
    await row.locator('button[data-action="revoke"]').click();
    const dlg = page.locator('dialog[open]');
    await dlg.getByLabel(/原因/).fill('网关更换');
    await dlg.getByRole('button', { name: '提交' }).click();
    await page.locator('.toast', { hasText: `已吊销网关 ${GW} 的 1 张证书` }).waitFor();
    const certs = await fetch(`${cloud.baseUrl}/api/gateways/${GW}/certificates`, { headers: { authorization: `Bearer ${token}` } });
    assert.ok(((await certs.json()) as { revokedAt: number | null }[]).every((c) => c.revokedAt !== null), 'every certificate revoked');
    // The one console message: the browser refusing the report's script (the sandbox at work).
    assert.deepEqual(errors.filter((e) => !/Blocked script execution in 'about:srcdoc'/.test(e)), []);
    assert.ok(errors.some((e) => /Blocked script execution in 'about:srcdoc'/.test(e)), 'the report script was blocked');
  });

  void test('remote configuration: edit, preview the diff, apply, roll back — every version in the history', async () => {
    const token = ((await (await fetch(`${cloud.baseUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'safeloop' }) })).json()) as { token: string }).token;
    const v1 = await fetch(`${cloud.baseUrl}/api/gateways/gw-demo-02/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ config: parseYaml(readFileSync(join(ROOT, 'examples/demo-gateway-pond.yaml'), 'utf8')) }),
    });
    assert.equal(v1.status, 200, await v1.text());
    const c2 = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    try {
      const page = await c2.newPage();
      const errors = watchConsole(page);
      await logIn(page, cloud.baseUrl, 'tech');
      await page.getByRole('link', { name: '网关与调试' }).click();
      await page.locator('#gateway-table tr[data-gateway-id="gw-demo-02"] button[data-action="config"]').click();
      const editor = page.locator('#config-editor');
      await editor.waitFor();
      const doc = JSON.parse(await editor.inputValue()) as { devices: { pollIntervalMs: number }[] };
      assert.equal(doc.devices[0]?.pollIntervalMs, 5000);
      // A slip first: not JSON is said so, nothing is sent.
      await editor.fill('{ devices: ');
      await page.locator('#config-preview').click();
      await page.locator('#config-result .error', { hasText: '不是有效的 JSON' }).waitFor();
      doc.devices[0]!.pollIntervalMs = 2000;
      await editor.fill(JSON.stringify(doc, null, 2));
      await page.locator('#config-preview').click();
      await page.locator('#config-diff', { hasText: 'devices[0].pollIntervalMs' }).waitFor();
      assert.match(await page.locator('#config-result').innerText(), /校验通过：相对当前 v1 有 1 处修改/);
      await page.locator('#config-apply').click();
      await page.locator('.toast', { hasText: '已保存为 v2' }).waitFor();
      // Roll back to v1 from the history: loaded, previewed, applied as v3 with the note.
      await page.locator('#config-history tr[data-version="1"] button[data-action="rollback"]').click();
      await page.locator('#config-diff', { hasText: 'devices[0].pollIntervalMs' }).waitFor();
      await page.locator('#config-apply').click();
      await page.locator('.toast', { hasText: '已保存为 v3' }).waitFor();
      await page.locator('#config-history tr[data-version="3"]', { hasText: '回滚到 v1' }).waitFor();
      const now = (await (await fetch(`${cloud.baseUrl}/api/gateways/gw-demo-02/config`, { headers: { authorization: `Bearer ${token}` } })).json()) as { version: number; config: { devices: { pollIntervalMs: number }[] } };
      assert.equal(now.version, 3);
      assert.equal(now.config.devices[0]?.pollIntervalMs, 5000, 'v3 is v1 again');
      assert.deepEqual(await untranslatedText(page, 'zh'), [], 'zh configuration panel');
      await screenshot(page, 'technician-remote-config');
      assert.deepEqual(errors, []);
    } finally {
      await c2.close();
    }
  });
});
