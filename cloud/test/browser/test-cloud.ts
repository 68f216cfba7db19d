/**
 * A real cloud for browser tests, in-process: SQLite in a temp folder, the demo seed, the alarm
 * service, the live hub, auth and the HTTP server serving cloud/web at /. No MQTT: tests raise
 * alarms through the AlarmSink and write telemetry straight into the store.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, systemClock, type Reading } from '@safeloop/contract';
import { Registry as PromRegistry } from 'prom-client';
import { ulid } from 'ulid';
import { AlarmService } from '../../src/alarms/alarm-service.ts';
import { AuthService } from '../../src/auth/auth-service.ts';
import { SqliteDb } from '../../src/db/index.ts';
import { buildHttpServer } from '../../src/http/server.ts';
import { LiveHub } from '../../src/notify/live-hub.ts';
import { NotificationDispatcher } from '../../src/notify/dispatcher.ts';
import { createTelemetryStore } from '../../src/store/index.ts';
import { Registry } from '../../src/tenancy/registry.ts';
import { loadSeedFile } from '../../src/tenancy/seed.ts';

const CLOUD_DIR = new URL('../../', import.meta.url).pathname;

/** The gas-detector limits (GB/T 50493: 一级 25 %LEL, 二级 50 %LEL) as the rules API lists them. */
const TEST_RULES = [
  {
    id: 'lel-limits',
    kind: 'limit',
    siteTypes: ['hazchem'],
    points: ['gas-*/lel'],
    unit: '%LEL',
    limits: [
      { level: 'GAS_1', direction: 'high', value: 25, deadband: 2, onDelaySec: 0, offDelaySec: 0 },
      { level: 'GAS_2', direction: 'high', value: 50, deadband: 2, onDelaySec: 0, offDelaySec: 0 },
    ],
  },
];

export interface TestCloud {
  baseUrl: string;
  alarms: AlarmService;
  registry: Registry;
  liveHub: LiveHub;
  /** Write readings as if a gateway had sent them (store + live push). */
  ingest(gatewayId: string, readings: readonly Reading[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestCloud(): Promise<TestCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-browser-'));
  const db = new SqliteDb(join(dir, 'cloud.db'));
  const stops: (() => Promise<void> | void)[] = [() => rmSync(dir, { recursive: true, force: true }), () => db.close()];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const logger = silentLogger;
    const clock = systemClock;
    const metricsRegistry = new PromRegistry();
    const registry = new Registry({ db });
    await registry.migrate();
    await registry.applySeed(loadSeedFile(join(CLOUD_DIR, 'seed/demo.yaml')));
    const liveHub = new LiveHub({ registry, logger });
    const notifier = new NotificationDispatcher({ registry, liveHub, logger });
    const alarms = new AlarmService({ db, registry, notifier, logger, clock, metricsRegistry });
    await alarms.migrate();
    const telemetry = createTelemetryStore(db);
    await telemetry.init();
    const auth = new AuthService({ db, users: registry.users, clock, secret: randomBytes(32) });
    const app = await buildHttpServer({
      db,
      registry,
      alarms,
      liveHub,
      auth,
      metricsRegistry,
      telemetry,
      rules: { list: () => TEST_RULES, put: () => TEST_RULES },
      logger,
      staticDir: join(CLOUD_DIR, 'web'),
      clock,
      sseHeartbeatMs: 2_000,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    stops.push(() => app.close());
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    let seq = 0;
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      alarms,
      registry,
      liveHub,
      async ingest(gatewayId, readings) {
        const events = readings.map((r) => ({ ...r, id: ulid(r.sourceTime), seq: ++seq }));
        await telemetry.prepare(events);
        await db.transaction(async (tx) => {
          await telemetry.insert(tx, gatewayId, events, Date.now());
        });
        liveHub.publishLatest(readings);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
