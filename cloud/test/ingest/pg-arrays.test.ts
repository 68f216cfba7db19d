/**
 * Array parameters (pg-arrays.ts) as PostgreSQL reads them: latest values, minute rows and rule state go
 * to the server as one array literal per column, expanded by unnest. Every string must come back as sent
 * (quotes, backslashes, braces, commas, the word NULL, blanks, unicode) and every number exactly (NaN and
 * ±Infinity included, which JSON could not carry); and the store built on it must still agree with SQLite.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TelemetryEvent } from '@safeloop/contract';
import { createTelemetryStore, type TelemetryStore } from '../../src/store/index.ts';
import { numArray, textArray } from '../../src/store/pg-arrays.ts';
import { freshState, loadStates, saveStates } from '../../src/rules/state.ts';
import { openDb, reading, type TestDb } from './helpers.ts';

const T0 = Date.UTC(2026, 11, 5, 8, 0, 0);
const AWKWARD = ['', ' ', '  lead and trail  ', 'NULL', 'null', '"', '\\', '\\"', '{a,b}', 'a,b', '{}', "it's", 'tab\there', 'line\nbreak\r\n', '站点/泵-1/压力', 'emoji 🔥', 'Ä\u0301', 'x'.repeat(3000)];

describe('array literals through PostgreSQL unnest', () => {
  let t: TestDb;
  before(async () => {
    t = await openDb('postgres');
  });
  after(async () => {
    await t.close();
  });

  test('strings and nulls come back as sent, in order', async () => {
    const xs = [...AWKWARD, null, 'after null'];
    const rows = await t.db.query<{ v: string | null; i: number }>('SELECT v, i FROM unnest($1::text[]) WITH ORDINALITY AS u(v, i) ORDER BY i', [textArray(xs)]);
    assert.deepEqual(rows.map((r) => r.v), xs);
    assert.deepEqual(await t.db.query('SELECT cardinality($1::text[]) AS n', [textArray([])]), [{ n: 0 }]);
  });

  test('numbers come back exactly, NaN and infinities included', async () => {
    const xs = [0, 5, -7.25, 0.1, 1 / 3, 5e-324, 1e-300, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53 - 1, -(2 ** 53), NaN, Infinity, -Infinity, null, 1e21, 123456789.123456];
    const rows = await t.db.query<{ v: number | null }>('SELECT v FROM unnest($1::float8[]) WITH ORDINALITY AS u(v, i) ORDER BY i', [numArray(xs)]);
    assert.deepEqual(rows.map((r) => r.v), xs);
    const big = [0, 1, -1, 1796427927595, 2 ** 53 - 1, null];
    const ints = await t.db.query<{ v: number | null }>('SELECT v FROM unnest($1::int8[]) WITH ORDINALITY AS u(v, i) ORDER BY i', [numArray(big)]);
    assert.deepEqual(ints.map((r) => r.v), big);
  });

  test('rule state keys and data with awkward characters load and save', async () => {
    const { RulesEngine } = await import('../../src/rules/index.ts');
    await RulesEngine.migrate(t.db);
    const states = AWKWARD.map((s, i) => {
      const st = freshState(`limit|R${i}|site/${s}`, `R${i}`, `site ${s}`);
      st.data = { note: s, n: i };
      st.lastTime = T0 + i;
      st.dueAt = i % 2 === 0 ? null : T0 + i;
      st.dirty = true;
      return st;
    });
    await t.db.transaction((tx) => saveStates(tx, states, T0));
    const loaded = await t.db.transaction((tx) => loadStates(tx, [...states.map((s) => s.key), 'limit|absent|x'], true));
    assert.equal(loaded.size, states.length);
    for (const s of states) {
      const l = loaded.get(s.key);
      assert.ok(l, s.key);
      assert.deepEqual([l.ruleId, l.siteId, l.data, l.lastTime, l.dueAt, l.pendingSince], [s.ruleId, s.siteId, s.data, s.lastTime, s.dueAt, null]);
    }
  });
});

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`latest values and minute rows with awkward text on ${kind}`, () => {
    let t: TestDb;
    let store: TelemetryStore;
    before(async () => {
      t = await openDb(kind);
      store = createTelemetryStore(t.db);
      await store.init();
    });
    after(async () => {
      await t.close();
    });

    async function insert(events: TelemetryEvent[]): Promise<TelemetryEvent[]> {
      await store.prepare(events);
      return t.db.transaction((tx) => store.insert(tx, 'gw"1\\', events, T0 + 60_000, 0, { newSeqs: true }));
    }

    test('every field of the latest value and the minute row as sent', async () => {
      const points = AWKWARD.slice(0, 17).map((s, i) => `s1/${s.replaceAll('/', '|')}#${i}/v`);
      const evs = points.map((p, i) =>
        reading(p, i + 1, i % 3 === 0 ? `val "${AWKWARD[i]}"` : i % 3 === 1 ? -1.5 * i : { nested: AWKWARD[i], list: [1, null] } as never, {
          sourceTime: T0 + i,
          unit: AWKWARD[i],
          ...(i % 2 === 0 ? { quality: 'uncertain', reason: 'bad_time', detail: AWKWARD[i] } : {}),
        }),
      );
      // A second, sane reading of every odd point: the bad_time one before it stays beside it.
      const later = points.map((p, i) => reading(p, 100 + i, i + 0.25, { sourceTime: T0 + 1000 + i, unit: AWKWARD[i] }));
      assert.equal((await insert([...evs, ...later])).length, 2 * points.length);
      const latest = await store.latest({ points });
      assert.equal(latest.length, points.length);
      for (const l of latest) {
        const i = points.indexOf(l.point);
        assert.equal(l.gatewayId, 'gw"1\\');
        assert.equal(l.value, i + 0.25, l.point);
        assert.equal(l.unit, AWKWARD[i]);
        assert.equal(l.siteId, 's1');
        assert.equal(l.timeSuspect, null, 'a sane reading after the bad_time one clears the marker');
      }
      // Now only bad_time readings: the marker carries their text, the value stays.
      const suspect = points.map((p, i) => reading(p, 200 + i, `x${AWKWARD[i]}`, { sourceTime: T0 + 2000 + i, quality: 'uncertain', reason: 'bad_time', detail: AWKWARD[i] }));
      await insert(suspect);
      for (const l of await store.latest({ points })) {
        const i = points.indexOf(l.point);
        assert.equal(l.value, i + 0.25);
        assert.deepEqual([l.timeSuspect?.value, l.timeSuspect?.detail, l.timeSuspect?.eventId], [`x${AWKWARD[i]}`, AWKWARD[i], suspect[i]!.id]);
      }
      const m = await store.history(points[1]!, T0, T0 + 120_000, '1m');
      assert.deepEqual(m, [{ point: points[1], minute: T0, min: -1.5, max: 1.25, avg: -0.125, count: 2 }]);
    });
  });
}
