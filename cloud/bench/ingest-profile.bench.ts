/**
 * Per-statement profile of one ingest lane into PostgreSQL (rules on): where a batch's time goes.
 *   node --import tsx cloud/bench/ingest-profile.bench.ts
 */
import { randomBytes } from 'node:crypto';
import { silentLogger, systemClock, topics } from '@safeloop/contract';
import { createPgSchema, dropPgSchema, PgDb, migrate } from '../src/db/index.ts';
import { UplinkProcessor } from '../src/ingest/index.ts';
import { INGEST_MIGRATIONS } from '../src/ingest/migrations.ts';
import { loadRuleFile, RulesEngine } from '../src/rules/index.ts';
import { AlarmOutbox, createTelemetryStore } from '../src/store/index.ts';
import { MemoryDirectory, newId } from '../test/ingest/helpers.ts';
const PG = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `prof_${randomBytes(3).toString('hex')}`;
await createPgSchema(PG, schema);
const db = new PgDb({ connectionString: PG, schema });
const times = new Map<string, number>();
 
const wrap = (o: any) => { for (const m of ['query', 'exec', 'execScript', 'copyFrom']) { const f = o[m].bind(o); o[m] = async (sql: string, p: any) => { const s = performance.now(); try { return await f(sql, p); } finally { const k = sql.replace(/\s+/g, ' ').slice(0, 60); times.set(k, (times.get(k) ?? 0) + performance.now() - s); } }; } };
const origTx = db.transaction.bind(db);
let txTime = 0;
(db as any).transaction = async (fn: any) => { const s0 = performance.now(); try { return await origTx(async (tx: any) => { wrap(tx); return fn(tx); }); } finally { txTime += performance.now() - s0; } };
const store = createTelemetryStore(db); await store.init();
const outbox = new AlarmOutbox({ db, sink: { raise: async () => ({ alarmId: '', created: true }), clear: async () => {} }, logger: silentLogger }); await outbox.init();
await migrate(db, 'ingest', INGEST_MIGRATIONS);
const rules = new RulesEngine({ logger: silentLogger, sites: { getSite: (id) => Promise.resolve({ id, type: 'hazchem' as const }) } }, loadRuleFile('' + new URL('../rules/templates/hazchem-tank-farm.yaml', import.meta.url).pathname + ''));
await rules.init(db);
const dir = new MemoryDirectory().add('gw1', ['site1']);
const p = new UplinkProcessor({ db, store, outbox, directory: dir, rules, logger: silentLogger, clock: systemClock, offlineGraceMs: 60000 });
const t0 = Date.now() - 3600_000;
const N = 40;
const payloads = Array.from({ length: N }, (_, b) => {
  const events = Array.from({ length: 500 }, (_, k) => { const n = b * 500 + k; return { id: newId(t0 + n), seq: n + 1, point: `site1/GT-${n % 1000}/lel`, value: 5, quality: 'good', sourceTime: t0 + n, gatewayTime: t0 + n }; });
  return Buffer.from(JSON.stringify({ v: 1, gatewayId: 'gw1', stream: 'telemetry', events }));
});
const s = performance.now();
let inTx = 0;
for (const payload of payloads) {
  await p.handle(topics.up('gw1', 'telemetry'), payload);
}
const total = performance.now() - s;
console.log(`total ${(total / N).toFixed(1)} ms/batch of 500 (${Math.round((500 * N) / (total / 1000))} readings/s, one lane); transaction incl. BEGIN/COMMIT ${(txTime / N).toFixed(1)} ms; outside (validate, prepare) ${((total - txTime) / N).toFixed(1)} ms`);
void inTx;
for (const [k, v] of [...times].sort((a, b) => b[1] - a[1])) console.log(`${(v / N).toFixed(1)} ms  ${k}`);
await db.close(); await dropPgSchema(PG, schema);
