/**
 * Columnar journal rows (issue 20, round 4): the columns text gives back every reading exactly as the
 * per-reading JSON did; a journal of schema 3 with unsent rows in the old form (reading JSON joined by
 * newlines, one batch partly acknowledged) upgrades and delivers every one of them, through v1 and
 * through v2, before and after the new columnar rows.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { batchEventId, decodeTelemetryV2, fastReadingJson, QUALITIES, REASON_CODES, silentLogger, type Reading } from '@safeloop/contract';
import { columnBodies, columnsText, parseColumns, readingAt, sliceColumns } from './columns.ts';
import { JournalConfigSchema } from './config.ts';
import { entryJson } from './entry.ts';
import { Journal } from './journal.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { alarm, reading, T0 } from './test-helpers.ts';
import { encodeV2 } from '../uplink/telemetry-encoder.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-columns-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const MIXED: Reading[] = [
  reading(1),
  { point: 'site1/dev1/state', value: true, quality: 'good', sourceTime: T0 - 5, gatewayTime: T0 },
  { point: 'site1/dev1/label', value: 'say "hi"\n', quality: 'uncertain', reason: 'out_of_range', detail: 'a "quoted" detail', sourceTime: T0, gatewayTime: T0 + 3 },
  { point: 'site1/dev1/gone', value: null, quality: 'bad', reason: 'timeout', sourceTime: T0 + 1, gatewayTime: T0 + 1, historical: true },
  reading(2, { unit: 'µg/m³', value: -0.000125 }),
];

void describe('columns text', () => {
  void it('gives back each reading as the per-reading JSON the journal wrote before', () => {
    const text = columnsText(MIXED);
    assert.deepEqual(columnBodies(text), MIXED.map((r) => fastReadingJson(r)));
    assert.equal(parseColumns(text).n, MIXED.length);
  });

  void it('a slice holds exactly the readings of its range', () => {
    const text = columnsText(MIXED);
    assert.deepEqual(columnBodies(sliceColumns(text, 1, 4)), MIXED.slice(1, 4).map((r) => fastReadingJson(r)));
    assert.deepEqual(columnBodies(columnsText(MIXED, 2, 5)), MIXED.slice(2, 5).map((r) => fastReadingJson(r)));
  });
});

void describe('upgrade from per-reading JSON rows (schema 3)', () => {
  void it('delivers every unsent old-format row, then the new columnar rows, through v1 and v2', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.filter((m) => m.version <= 3));
    const firstId = '01JD0000000000000000000000';
    const oldReadings = Array.from({ length: 10 }, (_, i) => reading(i, { gatewayTime: T0 }));
    const ins = old.prepare('INSERT INTO telemetry_batches (first_seq, last_seq, first_id, gateway_time, bodies) VALUES (?, ?, ?, ?, ?)');
    ins.run(1, 6, firstId, T0, oldReadings.slice(0, 6).map((r) => JSON.stringify(r)).join('\n'));
    ins.run(7, 10, batchEventId(firstId, 6), T0, oldReadings.slice(6).map((r) => JSON.stringify(r)).join('\n'));
    old.prepare("UPDATE stream_state SET next_seq = 11, acked_seq = 2 WHERE stream = 'telemetry'").run();
    old.close();

    const j = Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600 }), logger: silentLogger });
    const fresh = Array.from({ length: 5 }, (_, i) => reading(100 + i, { gatewayTime: T0 + 10 }));
    j.appendTelemetry(fresh);
    const expected = [...oldReadings.slice(2), ...fresh].map((r) => JSON.parse(JSON.stringify(r)) as Record<string, unknown>);

    const v1 = j.peek('telemetry', 100);
    assert.deepEqual(v1.map((e) => e.seq), Array.from({ length: 13 }, (_, i) => 3 + i));
    assert.equal(v1[0]!.id, batchEventId(firstId, 2), 'old ids are kept');
    assert.deepEqual(v1.map((e) => { const { id: _i, seq: _s, ...rest } = JSON.parse(entryJson(e)) as Record<string, unknown>; return rest; }), expected);

    const slices = j.peekTelemetrySlices(100);
    const batch = encodeV2(slices, { gatewayId: 'gw1', historical: false, cutoff: 0, discardedThrough: undefined, deflate: false, maxBytes: 96 * 1024 });
    const d = decodeTelemetryV2(batch.payload as Buffer);
    assert.ok(d.ok, d.ok ? '' : d.detail);
    assert.deepEqual(d.value.events.map((e) => [e.seq, e.id]), v1.map((e) => [e.seq, e.id]));
    assert.deepEqual(d.value.events.map(({ id: _i, seq: _s, ...rest }) => rest), expected);

    const db = new Database(path, { readonly: true });
    const kinds = db.prepare<[], { old: number; cols: number }>('SELECT SUM(columns IS NULL) AS old, SUM(columns IS NOT NULL) AS cols FROM telemetry_batches').get();
    assert.deepEqual(kinds, { old: 2, cols: 1 }, 'old rows stay as they were; the new one is columnar');
    db.close();
    assert.deepEqual(j.ack('telemetry', 15), { accepted: true, ackedSeq: 15 });
    assert.equal(j.stats().backlog.telemetry, 0);
    j.close();
  });
});

void describe('deflated columns (schema 5)', () => {
  const ODD: Reading[] = [
    ...MIXED,
    { point: 'site1/dev1/temp', value: 21.5, unit: '°C', quality: 'bad', reason: 'sensor_fault', detail: '探头故障 probe fault', sourceTime: T0, gatewayTime: T0 },
  ];

  void it('stores new rows deflated and reads back every reading exactly, whole and cut by an ack', () => {
    const path = join(dir, 'deflated.db');
    const j = Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600 }), logger: silentLogger });
    j.appendTelemetry(ODD);
    const db = new Database(path, { readonly: true });
    const row = db.prepare<[], { t: string; stored: number; text: number }>('SELECT typeof(columns) AS t, length(columns) AS stored, last_seq AS text FROM telemetry_batches').get();
    db.close();
    assert.equal(row?.t, 'blob');
    const expected = ODD.map((r) => fastReadingJson(r));
    assert.deepEqual(j.peek('telemetry', 100).map((e) => e.body), expected);
    assert.deepEqual(j.ack('telemetry', 2), { accepted: true, ackedSeq: 2 });
    const slices = j.peekTelemetrySlices(100);
    assert.deepEqual(slices.map((s) => [s.firstSeq, s.count]), [[3, ODD.length - 2]]);
    assert.deepEqual(columnBodies(slices[0]!.columns), expected.slice(2), 'a row cut by the ack: the readings after it, unicode intact');
    j.close();
  });

  void it('a schema-4 journal with unsent text rows upgrades and delivers them, then the deflated ones, in order', () => {
    const path = join(dir, 'schema4.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.filter((m) => m.version <= 4));
    const firstId = '01JD0000000000000000000000';
    old.prepare("INSERT INTO telemetry_batches (first_seq, last_seq, first_id, gateway_time, bodies, columns) VALUES (1, ?, ?, ?, '', ?)").run(ODD.length, firstId, T0, columnsText(ODD));
    old.prepare(`UPDATE stream_state SET next_seq = ${ODD.length + 1}, acked_seq = 1 WHERE stream = 'telemetry'`).run();
    old.close();

    const j = Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600 }), logger: silentLogger });
    const fresh = Array.from({ length: 3 }, (_, i) => reading(200 + i, { gatewayTime: T0 + 10 }));
    j.appendTelemetry(fresh);
    const want = [...ODD.slice(1), ...fresh].map((r) => fastReadingJson(r));
    assert.deepEqual(j.peek('telemetry', 100).map((e) => e.body), want);
    const slices = j.peekTelemetrySlices(100);
    assert.deepEqual(slices.flatMap((s) => columnBodies(s.columns)), want);
    const db = new Database(path, { readonly: true });
    assert.deepEqual(db.prepare('SELECT typeof(columns) AS t FROM telemetry_batches ORDER BY first_seq').all(), [{ t: 'text' }, { t: 'blob' }]);
    db.close();
    j.close();
  });

  void it('a damaged stored row is an error naming the row, never readings with wrong values; alarms are still read', () => {
    const path = join(dir, 'damaged.db');
    const w = Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600 }), logger: silentLogger });
    w.appendTelemetry(Array.from({ length: 200 }, (_, i) => reading(i, { value: i / 10 })));
    w.appendAlarmEvents([alarm(1)]);
    w.close(); // (the journal that wrote the row would serve it from memory: recent-rows.ts)
    const db = new Database(path);
    const stored = db.prepare<[], { columns: Buffer }>('SELECT columns FROM telemetry_batches').get()!.columns;
    // one bit flipped in the middle of the deflated data (a storage fault SQLite does not see)
    const flipped = Buffer.from(stored);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    db.prepare('UPDATE telemetry_batches SET columns = ?').run(flipped);
    db.close();
    const j = Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600 }), logger: silentLogger });
    assert.throws(() => j.peekTelemetrySlices(100), /incorrect|invalid|check|corrupt/i);
    assert.throws(() => j.peek('telemetry', 100), /incorrect|invalid|check|corrupt/i);
    assert.equal(j.peek('alarm', 10).length, 1, 'the alarm stream does not depend on telemetry rows');
    j.close();
  });

  void it('a gateway that knows only schema 4 refuses the file instead of reading deflated rows as text', () => {
    const path = join(dir, 'newer.db');
    Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600 }), logger: silentLogger }).close();
    const db = new Database(path);
    assert.throws(() => migrate(db, MIGRATIONS.filter((m) => m.version <= 4)), /newer than this gateway knows/);
    db.close();
  });
});

void describe('v1 bodies written directly', () => {
  void it('equal JSON.stringify of each reading, for any values, units, reasons, details and flags', () => {
    const readingArb = fc.record(
      {
        point: fc.constantFrom('s/d/a', 's/d/b', 'site-1/dev_2/p-3'),
        value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.string({ maxLength: 20 }), fc.constant(-0)),
        unit: fc.constantFrom('°C', 'µg/m³', '%LEL', 'say "x"'),
        quality: fc.constantFrom(...QUALITIES),
        reason: fc.constantFrom(...REASON_CODES),
        detail: fc.string({ maxLength: 30 }),
        sourceTime: fc.integer({ min: T0 - 10_000, max: T0 + 10_000 }),
        gatewayTime: fc.integer({ min: T0 - 10_000, max: T0 + 10_000 }),
        historical: fc.boolean(),
      },
      { requiredKeys: ['point', 'value', 'quality', 'sourceTime', 'gatewayTime'] },
    );
    fc.assert(
      fc.property(fc.array(readingArb, { minLength: 1, maxLength: 30 }), (rs) => {
        const text = columnsText(rs as Reading[]);
        const c = parseColumns(text);
        assert.deepEqual(columnBodies(text), rs.map((_, i) => JSON.stringify(readingAt(c, i))));
      }),
      { numRuns: 500 },
    );
  });

  void it('a row whose columns are shorter than its count is an error, not readings with missing values', () => {
    const text = columnsText([reading(1), reading(2)]).replace('"n":2', '"n":3');
    assert.throws(() => columnBodies(text), /damaged/);
  });
});
