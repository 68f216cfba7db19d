/**
 * One ingest worker process for the scale-out test: PostgreSQL schema and broker from the
 * environment, an MQTT 5 shared subscription, the rules engine on, a table-backed sink.
 * Prints "ready" on stdout once subscribed; runs until killed. SCALE_REORDER_MS and SCALE_REPLAY_MS
 * override the test's short reorder and replay timeouts (the scale-out benchmark passes the defaults);
 * with SCALE_LOG_RECEIVED=1 it prints "r <gateway> <first seq>" for every telemetry batch it receives
 * on its first delivery (the benchmark's gateways mark resends with a user property).
 */
import { silentLogger } from '@safeloop/contract';
import { PgDb } from '../../src/db/index.ts';
import { IngestWorker } from '../../src/ingest/index.ts';
import { RulesEngine } from '../../src/rules/index.ts';
import { MemoryDirectory } from './helpers.ts';
import { SCALE_RULES, TableSink } from './table-sink.ts';


const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} not set`);
  return v;
};

const db = new PgDb({ connectionString: env('SCALE_PG_URL'), schema: env('SCALE_PG_SCHEMA'), max: 6 });
const directory = new MemoryDirectory();
for (let g = 0; g < Number(env('SCALE_GATEWAYS')); g++) directory.add(`gw${g}`, [`s${g}`]);
const worker = new IngestWorker({
  db,
  mqtt: { url: env('SCALE_MQTT_URL'), clientId: `scale-worker-${process.pid}` },
  shareGroup: 'ingest',
  directory,
  alarms: new TableSink(db),
  rules: new RulesEngine({ logger: silentLogger }, SCALE_RULES as never),
  logger: silentLogger,
  reorderTimeoutMs: Number(process.env.SCALE_REORDER_MS ?? 3000),
  replayTimeoutMs: Number(process.env.SCALE_REPLAY_MS ?? 30_000),
  tickMs: 100,
});
await worker.start();
if (process.env.SCALE_LOG_RECEIVED === '1') {
  worker.mqttClient?.on('message', (topic, payload, packet) => {
    if (!topic.endsWith('/up/telemetry') || packet.properties?.userProperties?.['resend']) return;
    const seq = /"seq":(\d+)/.exec(payload.toString('latin1', 0, 256))?.[1];
    if (seq) process.stdout.write(`r ${topic.split('/')[2]} ${seq}\n`);
  });
}
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void worker.stop().then(() => db.close()).then(() => process.exit(0));
});
