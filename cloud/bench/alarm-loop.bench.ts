/**
 * Alarm loop figures (RELIABILITY.md E7, E3): raise 300 alarms for one site as fast as the service
 * takes them (flood grouping on), then time the alarm-desk list query a dashboard makes, and 100
 * parallel acknowledgements of one alarm. SQLite (file, WAL, synchronous=FULL) and PostgreSQL.
 *   node --import tsx cloud/bench/alarm-loop.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentLogger, systemClock } from '@safeloop/contract';
import { SqliteDb, PgDb, createPgSchema, dropPgSchema, type SqlDb } from '../src/db/index.ts';
import { Registry, loadSeedFile } from '../src/tenancy/index.ts';
import { AlarmService, type Actor } from '../src/alarms/index.ts';
import { LiveHub, NotificationDispatcher, type AlarmNotifier } from '../src/notify/index.ts';

const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const SEED = new URL('../seed/demo.yaml', import.meta.url).pathname;
const N = 300;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function run(name: string, db: SqlDb): Promise<void> {
  const registry = new Registry({ db });
  await registry.migrate();
  await registry.applySeed(loadSeedFile(SEED));
  const hub = new LiveHub({ registry, logger: silentLogger });
  // No provider here (see notify-flood.bench.ts for SMS figures): count the pages the service asks for.
  const dispatcher = new NotificationDispatcher({ registry, liveHub: hub, logger: silentLogger, clock: systemClock });
  let pages = 0;
  const notifier: AlarmNotifier = {
    alarmChanged: (a) => dispatcher.alarmChanged(a),
    notify: (n) => {
      pages++;
      return dispatcher.notify(n);
    },
    siren: (a, action) => dispatcher.siren(a, action),
  };
  const alarms = new AlarmService({ db, registry, notifier, logger: silentLogger, clock: systemClock });
  await alarms.migrate();
  const t0 = performance.now();
  const per: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await alarms.raise({
      conditionKey: `limit:tank-farm/gd-${i}/conc:GAS_1`, siteId: 'tank-farm', point: `tank-farm/gd-${i}/conc`, origin: 'cloud', ruleId: 'r',
      kind: 'point', level: 'GAS_1', title: `gas ${i}`, value: 30, limit: 25, unit: '%LEL', inputs: {}, at: Date.now(),
    });
    per.push(performance.now() - t);
  }
  const raiseMs = performance.now() - t0;
  const scope = { kind: 'region', regionCode: '360102' } as const;
  const listMs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await alarms.queries.list(scope, { state: 'open', page: 1, pageSize: 50 });
    listMs.push(performance.now() - t);
  }
  const groups = await alarms.queries.groups(scope, { siteId: 'tank-farm' });
  const operator: Actor = { userId: 'u', username: 'operator', role: 'enterprise_operator', scope: { kind: 'enterprise', enterpriseId: 'ent-demo-chem' } };
  const target = (await alarms.queries.list(scope, { state: 'open', pageSize: 1 })).items[0];
  const ta = performance.now();
  const results = await Promise.allSettled(Array.from({ length: 100 }, () => (target ? alarms.acknowledge(target.id, operator) : Promise.reject(new Error('none')))));
  const ackMs = performance.now() - ta;
  process.stdout.write(
    `${name}: ${N} alarms raised in ${raiseMs.toFixed(0)} ms (${((N * 1000) / raiseMs).toFixed(0)}/s; per raise p50 ${pct(per, 50).toFixed(1)} ms, p95 ${pct(per, 95).toFixed(1)} ms); ` +
      `flood groups ${groups.filter((g) => g.kind === 'flood').length} holding ${groups[0]?.alarmCount ?? 0}; notifications dispatched ${pages}; ` +
      `alarm-desk list p50 ${pct(listMs, 50).toFixed(1)} ms, p95 ${pct(listMs, 95).toFixed(1)} ms; ` +
      `100 parallel acks: ${results.filter((r) => r.status === 'fulfilled').length} accepted in ${ackMs.toFixed(0)} ms\n`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'safeloop-alarm-bench-'));
const sqlite = new SqliteDb(join(dir, 'cloud.db'));
try {
  await run('sqlite (file, WAL, FULL)', sqlite);
} finally {
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
}
const schema = `b_alarm_${randomBytes(4).toString('hex')}`;
await createPgSchema(PG_URL, schema);
const pg = new PgDb({ connectionString: PG_URL, schema });
try {
  await run('postgres', pg);
} finally {
  await pg.close();
  await dropPgSchema(PG_URL, schema);
}
