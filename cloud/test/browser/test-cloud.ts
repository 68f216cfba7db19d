/**
 * A real cloud for browser tests, in-process through the composition root (CloudService): SQLite in
 * a temp folder, the demo seed, the dashboard served from cloud/web. No MQTT (the ingest worker is
 * off): tests raise alarms through the AlarmSink and write telemetry straight into the store, then
 * push it to the live hub as ingest does after commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, validateConfig, type Reading } from '@safeloop/contract';
import { ulid } from 'ulid';
import { CloudService } from '../../src/cloud-service.ts';
import { CloudConfigSchema } from '../../src/config.ts';

const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

export interface TestCloud {
  baseUrl: string;
  service: CloudService;
  /** Write readings as if a gateway had sent them (store + live push). */
  ingest(gatewayId: string, readings: readonly Reading[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCloud(): Promise<TestCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-browser-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const config = validateConfig('(browser test cloud)', {
    http: { host: '127.0.0.1', port: 0 },
    store: { kind: 'sqlite', path: join(dir, 'cloud.db') },
    // Required by the schema; never dialled because the ingest worker is off.
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    seed: 'cloud/seed/demo.yaml',
    auth: { secretFile: join(dir, 'token-secret') },
    web: { enabled: true, dir: 'cloud/web' },
    workers: { ingest: false, escalation: false },
  }, CloudConfigSchema);
  let service: CloudService;
  try {
    service = await CloudService.start(config, { logger: silentLogger, repoRoot: REPO_ROOT });
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
