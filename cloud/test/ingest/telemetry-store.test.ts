/** One suite, two stores: SQLite and PostgreSQL (own schema per run, dropped afterwards). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TelemetryEvent } from '@safeloop/contract';
import { createTelemetryStore, DAY_MS, PgTelemetryStore, type TelemetryStore } from '../../src/store/index.ts';
import { count, openDb, reading, type TestDb } from './helpers.ts';

const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`TelemetryStore on ${kind}`, () => {
    let t: TestDb;
    let store: TelemetryStore;
    const now = T0 + 3600_000;
    before(async () => {
      t = await openDb(kind);
      store = kind === 'postgres' ? new PgTelemetryStore(t.db, { retentionDays: 30, now: () => now }) : createTelemetryStore(t.db, { retentionDays: 30 });
      await store.init();
      await store.init(); // idempotent
    });
    after(async () => {
      await t.close();
    });

    async function insert(gw: string, events: TelemetryEvent[]): Promise<TelemetryEvent[]> {
      await store.prepare(events);
      return t.db.transaction((tx) => store.insert(tx, gw, events, now));
    }

    test('each event id is stored once; only new events come back', async () => {
      const evs = [
        reading('s1/d1/lel', 1, 10, { sourceTime: T0 }),
        reading('s1/d1/lel', 2, 30, { sourceTime: T0 + 1000 }),
        reading('s1/d1/lel', 3, 20, { sourceTime: T0 + 2000 }),
      ];
      assert.equal((await insert('gw1', evs)).length, 3);
      assert.deepEqual(await insert('gw1', [...evs].reverse()), []);
      const extra = reading('s1/d1/lel', 4, 50, { sourceTime: T0 + 61_000 });
      const again = await insert('gw1', [evs[1]!, extra]);
      assert.deepEqual(again.map((e) => e.id), [extra.id]);
      assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE point = 's1/d1/lel'"), 4);
    });

    test('per-minute min/max/avg/count from new readings only (good numeric)', async () => {
      await insert('gw1', [reading('s1/d1/lel', 5, 99, { sourceTime: T0 + 3000, quality: 'bad', reason: 'timeout' })]);
      const m = await store.history('s1/d1/lel', T0, T0 + 120_000, '1m');
      assert.deepEqual(m, [
        { point: 's1/d1/lel', minute: T0, min: 10, max: 30, avg: 20, count: 3 },
        { point: 's1/d1/lel', minute: T0 + 60_000, min: 50, max: 50, avg: 50, count: 1 },
      ]);
      const raw = await store.history('s1/d1/lel', T0, T0 + 120_000, 'raw');
      assert.deepEqual(raw.map((r) => [r.value, r.quality]), [[10, 'good'], [30, 'good'], [20, 'good'], [99, 'bad'], [50, 'good']]);
    });

    test('latest: newest source time wins; a historical backlog reading never overwrites a newer value', async () => {
      const live = reading('s1/d2/level', 1, 5.5, { sourceTime: T0 + 10_000, unit: 'm' });
      await insert('gw1', [live]);
      const old = reading('s1/d2/level', 2, 1.1, { sourceTime: T0 + 5_000, historical: true });
      await insert('gw1', [old]);
      let [l] = await store.latest({ points: ['s1/d2/level'] });
      assert.equal(l?.value, 5.5);
      assert.equal(l?.unit, 'm');
      assert.equal(l?.eventId, live.id);
      // Two readings of one point in one batch: the newest is kept whatever the order.
      await insert('gw1', [reading('s1/d2/level', 4, 7, { sourceTime: T0 + 30_000 }), reading('s1/d2/level', 3, 6, { sourceTime: T0 + 20_000 })]);
      [l] = await store.latest({ points: ['s1/d2/level'] });
      assert.equal(l?.value, 7);
    });

    test('values of every type and quality round-trip', async () => {
      await insert('gw1', [
        reading('s1/d3/valve', 1, true, { sourceTime: T0 }),
        reading('s1/d3/mode', 2, 'auto', { sourceTime: T0 }),
        reading('s1/d3/flow', 3, null, { sourceTime: T0, quality: 'bad', reason: 'comm_lost', detail: 'no reply' }),
      ]);
      const l = await store.latest({ points: ['s1/d3/valve', 's1/d3/mode', 's1/d3/flow', 'nope/x/y'] });
      assert.deepEqual(l.map((x) => [x.point, x.value, x.quality, x.reason]), [
        ['s1/d3/flow', null, 'bad', 'comm_lost'],
        ['s1/d3/mode', 'auto', 'good', null],
        ['s1/d3/valve', true, 'good', null],
      ]);
      const bySite = await store.latest({ siteId: 's1' });
      assert.ok(bySite.length >= 5 && bySite.every((x) => x.siteId === 's1'));
    });

    test('gateway offline marks its points stale; a fresh live reading clears it, a historical one does not', async () => {
      await insert('gw2', [reading('s2/d1/p', 1, 1, { sourceTime: T0 }), reading('s2/d1/q', 2, 2, { sourceTime: T0 })]);
      const n = await t.db.transaction((tx) => store.markGatewayStale(tx, 'gw2'));
      assert.equal(n, 2);
      assert.ok((await store.latest({ siteId: 's2' })).every((x) => x.stale));
      await insert('gw2', [reading('s2/d1/p', 3, 3, { sourceTime: T0 + 1000, historical: true })]);
      await insert('gw2', [reading('s2/d1/q', 4, 4, { sourceTime: T0 + 1000 })]);
      const l = await store.latest({ siteId: 's2' });
      assert.deepEqual(l.map((x) => [x.point, x.value, x.stale]), [['s2/d1/p', 3, true], ['s2/d1/q', 4, false]]);
    });

    test('retention drops raw readings older than the setting (PostgreSQL: whole day partitions)', async () => {
      const oldT = now - 40 * DAY_MS;
      await insert('gw3', [reading('s3/d/p', 1, 1, { sourceTime: oldT }), reading('s3/d/p', 2, 2, { sourceTime: now - DAY_MS })]);
      if (kind === 'postgres') {
        const parts = await count(t.db, "SELECT COUNT(*) AS n FROM pg_inherits WHERE inhparent = 'telemetry_raw'::regclass");
        assert.ok(parts >= 2, `partitions: ${parts}`);
      }
      const r = await store.applyRetention(now);
      assert.ok(r.dropped >= 1);
      const left = await store.history('s3/d/p', 0, now + 1, 'raw');
      assert.deepEqual(left.map((x) => x.value), [2]);
      // A late backlog reading for a dropped day is still accepted (its partition comes back).
      assert.equal((await insert('gw3', [reading('s3/d/p', 3, 3, { sourceTime: oldT + 1 })])).length, 1);
    });
  });
}
