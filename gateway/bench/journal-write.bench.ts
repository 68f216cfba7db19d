/**
 * Journal write rate with the durability settings (WAL, synchronous=FULL asserted, BEGIN IMMEDIATE, wire-schema
 * validation, ULID ids, per-stream seq, disk-budget check) against raw batched inserts of pre-serialised rows
 * into the same table shape on the same disk, in the same run.
 *
 *   node --import tsx gateway/bench/journal-write.bench.ts [readings=200000] [batch=1000] [rounds=3]
 *
 * Raw variants: WAL + synchronous=OFF (no durability at all) and WAL + synchronous=NORMAL (better-sqlite3's default).
 * Also: one alarm event per transaction (synchronous=FULL), the worst case for an alarm flood.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '@safeloop/contract';
import type { Reading } from '@safeloop/contract';
import { Journal, JournalConfigSchema } from '../src/journal/index.ts';
import { alarm } from '../src/journal/test-helpers.ts';

const total = Number(process.argv[2] ?? 200_000);
const batch = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'safeloop-jbench-'));
const T = Date.now();

function readings(from: number, n: number): Reading[] {
  return Array.from({ length: n }, (_, i) => {
    const k = from + i;
    return { point: `site1/dev${k % 100}/p${k % 1000}`, value: (k % 1000) / 10, unit: 'ppm', quality: 'good', sourceTime: T + k, gatewayTime: T + k };
  });
}

let run = 0;
function raw(sync: 'OFF' | 'NORMAL'): number {
  const db = new Database(join(dir, `raw-${sync}-${++run}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, gateway_time INTEGER NOT NULL, body TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO t (seq, id, gateway_time, body) VALUES (?, ?, ?, ?)');
  const rows = readings(0, total).map((r, i) => ({ seq: i + 1, id: `01JD${String(i).padStart(22, '0')}`, t: r.gatewayTime, body: JSON.stringify(r) }));
  const tx = db.transaction((slice: typeof rows) => {
    for (const r of slice) ins.run(r.seq, r.id, r.t, r.body);
  });
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += batch) tx(rows.slice(i, i + batch));
  const ms = performance.now() - t0;
  db.close();
  return (total / ms) * 1000;
}

function journal(): number {
  const j = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, `journal-${++run}.db`), diskBudgetBytes: 4_000_000_000 }), logger: silentLogger });
  const batches: Reading[][] = [];
  for (let i = 0; i < total; i += batch) batches.push(readings(i, Math.min(batch, total - i)));
  const t0 = performance.now();
  for (const b of batches) j.appendTelemetry(b);
  const ms = performance.now() - t0;
  if (j.stats().nextSeq.telemetry !== total + 1) throw new Error('journal lost rows');
  j.close();
  return (total / ms) * 1000;
}

function alarms(n: number): number {
  const j = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, 'alarms.db') }), logger: silentLogger });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) j.appendAlarmEvents([alarm(i)]);
  const ms = performance.now() - t0;
  j.close();
  return (n / ms) * 1000;
}

try {
  // the machine is shared: interleave the variants over several rounds and report medians
  const rounds = Number(process.argv[4] ?? 3);
  const res = { off: [] as number[], normal: [] as number[], journal: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    res.off.push(raw('OFF'));
    res.journal.push(journal());
    res.normal.push(raw('NORMAL'));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rawOff = median(res.off);
  const durable = median(res.journal);
  const rawNormal = median(res.normal);
  const alarmRate = alarms(1000);
  const f = (x: number) => Math.round(x).toLocaleString('en-US');
  process.stdout.write(
    [
      `readings ${total} per variant and round, batch ${batch}, medians of ${rounds} interleaved rounds`,
      `raw batched inserts, WAL synchronous=OFF:    ${f(rawOff)} rows/s`,
      `raw batched inserts, WAL synchronous=NORMAL: ${f(rawNormal)} rows/s`,
      `Journal.appendTelemetry (FULL, validated):   ${f(durable)} rows/s`,
      `ratio journal / raw OFF:    ${(durable / rawOff).toFixed(2)}`,
      `ratio journal / raw NORMAL: ${(durable / rawNormal).toFixed(2)}`,
      `appendAlarmEvents, 1 event per commit (FULL): ${f(alarmRate)} events/s`,
      '',
    ].join('\n'),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
