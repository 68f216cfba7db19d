/**
 * Done-when: restarting the cloud three times leaves exactly one webhook delivery per alarm event.
 * Config subscriptions are upserted by name through the composition root (CloudService), scoped to
 * a tenant and filtered by their events; a subscription of another county and one that only wants
 * escalations receive nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, validateConfig } from '@safeloop/contract';
import { CloudService } from '../../src/cloud-service.ts';
import { CloudConfigSchema } from '../../src/config.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

test('three restarts, one webhook delivery per alarm event, tenant-scoped and event-filtered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-webhooks-'));
  const got: { path: string; event: string; headers: IncomingMessage['headers'] }[] = [];
  const hook = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      got.push({ path: req.url ?? '', event: String(req.headers['x-safeloop-event']), headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  process.env.SAFELOOP_TEST_WEBHOOK_SECRET = 'whsec-restart-test-0123456789';
  const base = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  const config = validateConfig(
    '(webhook restart test)',
    {
      http: { host: '127.0.0.1', port: 0 },
      store: { kind: 'sqlite', path: join(dir, 'cloud.db') },
      mqtt: { url: 'mqtt://127.0.0.1:1' },
      seed: 'cloud/seed/demo.yaml',
      auth: { secretFile: join(dir, 'token-secret') },
      web: { enabled: false },
      workers: { ingest: false, escalation: false },
      notify: {
        webhooks: [
          { name: 'county-duty', url: `${base}/county`, secret: { env: 'SAFELOOP_TEST_WEBHOOK_SECRET' }, regionCode: '360102', events: ['alarm.raised'] },
          { name: 'other-county', url: `${base}/other`, secret: { env: 'SAFELOOP_TEST_WEBHOOK_SECRET' }, regionCode: '360111' },
          { name: 'escalations-only', url: `${base}/esc`, secret: { env: 'SAFELOOP_TEST_WEBHOOK_SECRET' }, enterpriseId: 'ent-demo-chem', events: ['alarm.escalated'] },
        ],
      },
    },
    CloudConfigSchema,
  );
  let service: CloudService | undefined;
  try {
    for (let i = 0; i < 3; i++) {
      service = await CloudService.start(config, { logger: silentLogger, repoRoot: REPO_ROOT });
      if (i < 2) {
        await service.stop();
        service = undefined;
      }
    }
    assert.ok(service);
    const rows = await service.db.query<{ name: string; active: number }>('SELECT name, active FROM webhook_subscriptions ORDER BY name');
    assert.deepEqual(rows.map((r) => [r.name, Number(r.active)]), [['county-duty', 1], ['escalations-only', 1], ['other-county', 1]], 'one row per name');
    await service.alarms.raise({
      conditionKey: 'limit:tank-farm/gd-1/conc:GAS_1', siteId: 'tank-farm', point: 'tank-farm/gd-1/conc', origin: 'cloud', ruleId: 'r', kind: 'point', level: 'GAS_1',
      title: 'webhook restart test', value: 30, limit: 25, unit: '%LEL', inputs: {}, at: Date.now(),
    });
    const deadline = Date.now() + 20_000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 4_500)); // two more outbox passes: nothing else may arrive
    assert.deepEqual(got.map((g) => [g.path, g.event]), [['/county', 'alarm.raised']]);
  } finally {
    await service?.stop();
    await new Promise<void>((r) => hook.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});
