/**
 * Several telemetry messages of one gateway committed in one transaction (what queued up while the worker
 * was busy): the ack covers the whole group, a resend inside the group counts once, a bad message is
 * rejected on its own, and the rules see each reading once, in sequence order — a reading over a limit
 * followed by one back to normal raises and clears, once each.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger, systemClock, topics } from '@safeloop/contract';
import { migrate } from '../../src/db/index.ts';
import { UplinkProcessor } from '../../src/ingest/index.ts';
import { INGEST_MIGRATIONS } from '../../src/ingest/migrations.ts';
import { RulesEngine } from '../../src/rules/index.ts';
import { AlarmOutbox, createTelemetryStore } from '../../src/store/index.ts';
import { count, MemoryDirectory, openDb, reading, RecordingSink, telemetryPayload, type TestDb } from './helpers.ts';

const RULES = {
  version: 1,
  rules: [
    { id: 'lel', kind: 'limit' as const, enabled: true, points: ['GT-*/lel'], limits: [{ level: 'GAS_1' as const, direction: 'high' as const, value: 25, deadband: 2, onDelaySec: 0, offDelaySec: 0 }], overRangeLatch: true, faultClearHoldSec: 5, faultClearReadings: 2 },
  ],
};

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`a telemetry group on ${kind}`, () => {
    let t: TestDb;
    let processor: UplinkProcessor;
    let outbox: AlarmOutbox;
    const sink = new RecordingSink();
    before(async () => {
      t = await openDb(kind);
      const store = createTelemetryStore(t.db);
      await store.init();
      outbox = new AlarmOutbox({ db: t.db, sink, logger: silentLogger });
      await outbox.init();
      await migrate(t.db, 'ingest', INGEST_MIGRATIONS);
      const rules = new RulesEngine({ logger: silentLogger }, RULES);
      await rules.init(t.db);
      const directory = new MemoryDirectory().add('gwG', ['siteG']);
      processor = new UplinkProcessor({ db: t.db, store, outbox, directory, rules, logger: silentLogger, clock: systemClock, offlineGraceMs: 60_000 });
    });
    after(async () => {
      await t.close();
    });

    test('one commit, one ack over the group; a resend counts once; a bad message is rejected alone; rules in order', async () => {
      const t0 = Date.now();
      const evs = [1, 2, 3, 4, 5].map((seq) => reading('siteG/GT-1/lel', seq, seq === 3 ? 40 : 10, { sourceTime: t0 + seq }));
      const topic = topics.up('gwG', 'telemetry');
      const items = [
        { topic, payload: telemetryPayload('gwG', evs.slice(0, 3)) },
        { topic, payload: Buffer.from('{"v":1,"gatewayId":"gwG","stream":"telemetry","events":[]}') },
        { topic, payload: telemetryPayload('gwG', evs.slice(2)) }, // seq 3 again: a resend queued beside the original
      ];
      const out = await processor.handleTelemetryGroup(items);
      assert.equal(out.ack?.ackSeq, 5);
      assert.equal(out.inserted, 5);
      assert.equal(out.duplicates, 0, 'the resend inside the group is dropped before the insert');
      assert.equal(await count(t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw'), 5);
      assert.equal(await count(t.db, "SELECT COUNT(*) AS n FROM ingest_rejects WHERE reason = 'invalid'"), 1);
      await outbox.dispatch();
      const key = 'limit:siteG/GT-1/lel:GAS_1';
      assert.equal(sink.raises.filter((r) => r.conditionKey === key).length, 1);
      assert.equal(sink.clears.filter((c) => c.conditionKey === key).length, 1);
      assert.equal(sink.open.has(key), false);
      const [m] = await t.db.query<{ count: number }>("SELECT count FROM telemetry_1m WHERE point = 'siteG/GT-1/lel'");
      assert.equal(Number(m?.count), 5);
    });

    test('a group resent whole is all duplicates and acknowledged again', async () => {
      const t0 = Date.now();
      const evs = [6, 7].map((seq) => reading('siteG/GT-2/lel', seq, 5, { sourceTime: t0 + seq }));
      const topic = topics.up('gwG', 'telemetry');
      const items = [{ topic, payload: telemetryPayload('gwG', [evs[0]!]) }, { topic, payload: telemetryPayload('gwG', [evs[1]!]) }];
      assert.equal((await processor.handleTelemetryGroup(items)).ack?.ackSeq, 7);
      const again = await processor.handleTelemetryGroup(items);
      assert.equal(again.ack?.ackSeq, 7);
      assert.equal(again.inserted, 0);
      assert.equal(again.duplicates, 2);
    });
  });
}
