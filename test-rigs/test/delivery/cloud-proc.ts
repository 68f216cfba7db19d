/**
 * A cloud ingest process for the kill -9 test (issue 18): one IngestWorker on a SQLite file with a fixed
 * MQTT client id (persistent broker session), printing STARTED once connected and subscribed.
 * Env: URL, DB, CLIENT_ID.
 */
import { silentLogger } from '@safeloop/contract';
import { SqliteDb } from '@safeloop/cloud/db';
import { IngestWorker } from '@safeloop/cloud/ingest';
import type { GatewayDirectory, GatewayInfo } from '@safeloop/cloud/ingest';
import { SITE } from './harness.ts';

const env = (k: string): string => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`cloud-proc: ${k} is not set`);
  return v;
};
const directory: GatewayDirectory = {
  getGateway: (id: string): Promise<GatewayInfo | undefined> => Promise.resolve({ id, enterpriseId: 'ent-1', siteIds: [SITE] }),
};
const db = new SqliteDb(env('DB'));
const worker = new IngestWorker({
  db,
  mqtt: { url: env('URL'), clientId: env('CLIENT_ID') },
  directory,
  alarms: { raise: () => Promise.resolve({ alarmId: 'a', created: true }), clear: () => Promise.resolve() },
  logger: silentLogger,
  reorderTimeoutMs: 1000,
  replayTimeoutMs: 3000,
  tickMs: 200,
});
await worker.start();
process.stdout.write('STARTED\n');
process.on('SIGTERM', () => {
  void worker.stop().then(async () => {
    await db.close();
    process.exit(0);
  });
});
