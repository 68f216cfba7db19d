/**
 * A real cloud for browser tests, in-process through the composition root (CloudService): SQLite in
 * a temp folder, the demo seed, the dashboard served from cloud/web. No MQTT (the ingest worker is
 * off): tests raise alarms through the AlarmSink and write telemetry straight into the store, then
 * push it to the live hub as ingest does after commit. Notifications go through the real Alibaba Cloud SMS
 * client and a 企业微信 robot to the local provider servers, so alarm pages show real delivery records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, validateConfig, type Reading } from '@safeloop/contract';
import { ulid } from 'ulid';
import { CloudService } from '../../src/cloud-service.ts';
import { CloudConfigSchema } from '../../src/config.ts';
import { startFakeAliyun, startFakeWecom } from '../notify/provider-servers.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

export interface TestCloud {
  baseUrl: string;
  service: CloudService;
  /** Write readings as if a gateway had sent them (store + live push). */
  ingest(gatewayId: string, readings: readonly Reading[]): Promise<void>;
  stop(): Promise<void>;
}

export interface TestCloudOptions {
  /** Alarm deadlines and ladders (config `alarms.policy`), e.g. shortened for overdue tests. */
  alarmPolicy?: unknown;
  /** Rule files to load (repository-relative), e.g. examples/demo-rules.yaml for the tailings view. */
  ruleFiles?: string[];
}

export async function startTestCloud(options: TestCloudOptions = {}): Promise<TestCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-browser-'));
  process.env.SAFELOOP_BROWSER_AK_ID = 'browser-ak';
  process.env.SAFELOOP_BROWSER_AK_SECRET = 'browser-secret';
  process.env.SAFELOOP_BROWSER_WECOM = 'browser-wecom-key';
  const aliyun = await startFakeAliyun({ accessKeyId: 'browser-ak', accessKeySecret: 'browser-secret' });
  const wecom = await startFakeWecom({ key: 'browser-wecom-key' });
  const cleanup = (): void => {
    rmSync(dir, { recursive: true, force: true });
    void aliyun.close();
    void wecom.close();
  };
  const ak = { accessKeyId: { env: 'SAFELOOP_BROWSER_AK_ID' }, accessKeySecret: { env: 'SAFELOOP_BROWSER_AK_SECRET' } };
  const config = validateConfig('(browser test cloud)', {
    http: { host: '127.0.0.1', port: 0 },
    store: { kind: 'sqlite', path: join(dir, 'cloud.db') },
    // Required by the schema; never dialled because the ingest worker is off.
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    seed: 'cloud/seed/demo.yaml',
    auth: { secretFile: join(dir, 'token-secret') },
    web: { enabled: true, dir: 'cloud/web' },
    workers: { ingest: false, escalation: false },
    ...(options.alarmPolicy !== undefined ? { alarms: { policy: options.alarmPolicy } } : {}),
    ...(options.ruleFiles ? { ruleFiles: options.ruleFiles } : {}),
    notify: {
      sms: { provider: 'aliyun', endpoint: `${aliyun.url}/`, ...ak, signName: '安全生产预警', templateCode: 'SMS_BROWSER' },
      robots: [{ kind: 'wecom', name: 'chem-duty', baseUrl: wecom.url, key: { env: 'SAFELOOP_BROWSER_WECOM' }, enterpriseId: 'ent-demo-chem' }],
    },
  }, CloudConfigSchema);
  let service: CloudService;
  try {
    // Remote configuration validates documents with the gateway's own schema, as `safeloop cloud` does.
    const { checkGatewayConfig } = await import('@safeloop/gateway/config-check');
    service = await CloudService.start(config, { logger: silentLogger, repoRoot: REPO_ROOT, validateGatewayConfig: checkGatewayConfig });
  } catch (err) {
    cleanup();
    throw err;
  }
  let seq = 0;
  return {
    baseUrl: service.url.replace('localhost', '127.0.0.1'),
    service,
    async ingest(gatewayId, readings) {
      const events = readings.map((r) => ({ ...r, id: ulid(r.sourceTime), seq: ++seq }));
      await service.store.prepare(events);
      await service.db.transaction(async (tx) => {
        await service.store.insert(tx, gatewayId, events, Date.now());
      });
      service.liveHub.publishLatest(readings);
    },
    async stop() {
      try {
        await service.stop();
      } finally {
        cleanup();
      }
    },
  };
}
