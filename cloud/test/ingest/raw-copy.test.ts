/**
 * Raw readings by COPY (PostgreSQL) when the stream says their seqs are new, and what happens when that
 * hint is wrong: a journal restored from a backup resends events that are stored already, under a new
 * epoch, so their seqs look new while their ids are not. COPY has no ON CONFLICT: it fails on the first
 * duplicate id, the savepoint takes it back, and the batch goes in the idempotent way — every reading once,
 * none lost. SQLite ignores the hint; both stores must give the same answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TelemetryEvent } from '@safeloop/contract';
import { createTelemetryStore, type TelemetryStore } from '../../src/store/index.ts';
import { rawCopyText } from '../../src/store/pg-raw-copy.ts';
import { count, openDb, reading, type TestDb } from './helpers.ts';

const T0 = Date.UTC(2026, 11, 4, 8, 0, 0);

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`raw readings with the new-seqs hint on ${kind}`, () => {
    let t: TestDb;
    let store: TelemetryStore;
    before(async () => {
      t = await openDb(kind);
      // Every batch by COPY, however small, so the duplicate fallback below is the COPY's.
      store = createTelemetryStore(t.db, { copyMinEvents: 1 });
      await store.init();
    });
    after(async () => {
      await t.close();
    });

    async function insert(events: TelemetryEvent[], epoch: number): Promise<TelemetryEvent[]> {
      await store.prepare(events);
      return t.db.transaction((tx) => store.insert(tx, 'gw1', events, T0 + 5000, epoch, { newSeqs: true }));
    }

    test('new events are stored with every field as sent, awkward characters included', async () => {
      const evs = [
        reading('s1/d1/lel', 1, 12.5, { sourceTime: T0 }),
        reading('s1/d1/state', 2, 'tab\there, newline\nthere, back\\slash', { sourceTime: T0 + 1, quality: 'uncertain', reason: 'bad_time', detail: 'a\\b\tc\r\nd' }),
        reading('s1/d1/flag', 3, null, { sourceTime: T0 + 2, quality: 'bad', reason: 'timeout', historical: true }),
      ];
      assert.deepEqual((await insert(evs, 0)).map((e) => e.id), evs.map((e) => e.id));
      const raw = await store.history('s1/d1/state', T0, T0 + 10, 'raw');
      assert.equal(raw[0]?.value, 'tab\there, newline\nthere, back\\slash');
      const rows = await t.db.query<{ detail: string; seq: number; historical: number }>('SELECT detail, seq, historical FROM telemetry_raw ORDER BY seq');
      assert.deepEqual(rows.map((r) => [r.detail, Number(r.seq), Number(r.historical)]), [[null, 1, 0], ['a\\b\tc\r\nd', 2, 0], [null, 3, 1]]);
    });

    test('events stored before under another epoch come back as duplicates: only the new one is stored and returned', async () => {
      const old = reading('s1/d2/lel', 1, 7, { sourceTime: T0 + 100 });
      assert.equal((await insert([old], 0)).length, 1);
      const added = reading('s1/d2/lel', 2, 8, { sourceTime: T0 + 200 });
      const fresh = await insert([old, added], 1);
      assert.deepEqual(fresh.map((e) => e.id), [added.id]);
      assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE point = 's1/d2/lel'"), 2);
      const [m] = await store.history('s1/d2/lel', T0, T0 + 60_000, '1m');
      assert.equal(m?.count, 2, 'the duplicate is not counted twice in the minute');
    });

    test('the same id twice in one batch is stored once', async () => {
      const e = reading('s1/d3/lel', 1, 3, { sourceTime: T0 + 300 });
      const fresh = await insert([e, { ...e, seq: 2 }], 2);
      assert.equal(fresh.length, 1);
      assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE point = 's1/d3/lel'"), 1);
    });
  });
}

describe('which way raw rows go in (PostgreSQL)', () => {
  test('a batch below copyMinEvents is one INSERT; one at it is a COPY in a savepoint', async () => {
    const t = await openDb('postgres');
    try {
      const store = createTelemetryStore(t.db, { copyMinEvents: 4 });
      await store.init();
      const statements: string[] = [];
      const run = async (events: TelemetryEvent[]): Promise<void> => {
        await store.prepare(events);
        statements.length = 0;
        await t.db.transaction((tx) => {
          const seen = Object.create(tx) as typeof tx;
          seen.execScript = (sql) => (statements.push(sql), tx.execScript(sql));
          seen.copyFrom = (sql, data) => (statements.push('COPY'), tx.copyFrom!(sql, data));
          return store.insert(seen, 'gw1', events, T0 + 5000, 0, { newSeqs: true });
        });
      };
      await run([1, 2, 3].map((s) => reading('s9/d1/lel', s, s, { sourceTime: T0 + s })));
      assert.deepEqual(statements, [], 'three readings: no savepoint, no COPY');
      await run([4, 5, 6, 7].map((s) => reading('s9/d1/lel', s, s, { sourceTime: T0 + s })));
      assert.deepEqual(statements, ['SAVEPOINT raw_copy', 'COPY', 'RELEASE SAVEPOINT raw_copy']);
      assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE point = 's9/d1/lel'"), 7);
    } finally {
      await t.close();
    }
  });
});

test('COPY text: null as \\N, backslash, tab, newline and carriage return escaped, one line per event', () => {
  const e = reading('s/d/p', 7, 'x\ty', { sourceTime: 1000, gatewayTime: 1001, detail: 'a\\b\nc\rd' });
  const line = rawCopyText('gw\t1', [e], 2000, 3);
  assert.equal(line, `${e.id}\tgw\\t1\ts/d/p\t7\t\\N\t"x\\\\ty"\tgood\t\\N\ta\\\\b\\nc\\rd\t1000\t1001\t0\t2000\t3\n`);
});
