/**
 * The alarm path's round trips to PostgreSQL, counted on the real client: on two shared cores each one is a
 * wait for a backend and then for the worker, so a statement added here shows in the alarm's p99
 * (cloud/README-rules.md, "Round trips on the alarm path").
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pgQueryRecorder } from '../../src/db/pg-query-recorder.ts';
import { silentLogger, systemClock, topics } from '@safeloop/contract';
import { UplinkProcessor } from '../../src/ingest/index.ts';
import { INGEST_MIGRATIONS } from '../../src/ingest/migrations.ts';
import { migrate } from '../../src/db/index.ts';
import { loadRuleFile, RulesEngine } from '../../src/rules/index.ts';
import { AlarmOutbox, createTelemetryStore } from '../../src/store/index.ts';
import { MemoryDirectory, newId, openDb, reading, RecordingSink, telemetryPayload, type TestDb } from './helpers.ts';

const TEMPLATE = new URL('../../rules/templates/hazchem-tank-farm.yaml', import.meta.url).pathname;

describe('round trips on the alarm path (PostgreSQL)', () => {
  let t: TestDb;
  let processor: UplinkProcessor;
  let outbox: AlarmOutbox;
  const sink = new RecordingSink();
  const recorder = pgQueryRecorder();
  const trips = recorder.sent;
  let sinkSawTrips = -1;
  before(async () => {
    t = await openDb('postgres');
    const store = createTelemetryStore(t.db);
    await store.init();
    outbox = new AlarmOutbox({ db: t.db, sink: { raise: (i) => ((sinkSawTrips = trips.length), sink.raise(i)), clear: (i) => sink.clear(i) }, logger: silentLogger });
    await outbox.init();
    await migrate(t.db, 'ingest', INGEST_MIGRATIONS);
    const rules = new RulesEngine({ logger: silentLogger, sites: { getSite: (id) => Promise.resolve({ id, type: 'hazchem' }) } }, loadRuleFile(TEMPLATE));
    await rules.init(t.db);
    const directory = new MemoryDirectory();
    directory.add('probe', ['probe']);
    processor = new UplinkProcessor({ db: t.db, store, outbox, directory, rules, logger: silentLogger, clock: systemClock, offlineGraceMs: 60_000 });
    // Warm up: the stream rows, today's partition and the rule set exist before anything is counted.
    await processor.handle(topics.up('probe', 'telemetry'), telemetryPayload('probe', [reading('probe/GT-0/lel', 1, 1)]));
    await alarmEvent('probe/GE-0/lel', 1);
    while ((await outbox.dispatch()) > 0);
    recorder.start();
  });
  after(async () => {
    recorder.stop();
    await t.close();
  });

  function alarmEvent(point: string, seq: number): Promise<unknown> {
    const at = Date.now();
    const events = [{ id: newId(at), seq, type: 'alarm', point, kind: 'raised', level: 'GAS_2', direction: 'high', limit: 50, value: 61, quality: 'good', sourceTime: at, gatewayTime: at }];
    return processor.handle(topics.up('probe', 'alarm'), Buffer.from(JSON.stringify({ v: 1, gatewayId: 'probe', stream: 'alarm', events })));
  }

  test('a reading over a cloud limit, reported alone: committed in 4 round trips, the AlarmSink called after 1 more', async () => {
    trips.length = 0;
    const r = await processor.handle(topics.up('probe', 'telemetry'), telemetryPayload('probe', [reading('probe/GT-1/lel', 2, 60)]));
    assert.equal(r.enqueued, 2, '60 %LEL is over both the 一级 (GAS_1) and the 二级 (GAS_2) limit');
    assert.equal(trips.length, 4, trips.join('\n----\n'));
    assert.match(trips[0]!, /^BEGIN\n;\nINSERT INTO ingest_streams/);
    assert.match(trips[3]!, /\n;\nCOMMIT$/);
    trips.length = 0;
    sinkSawTrips = -1;
    assert.equal(await outbox.dispatch(), 2);
    assert.equal(sinkSawTrips, 1, 'the sink is called once the due rows are read');
    assert.ok(sink.raises.some((i) => i.conditionKey === 'limit:probe/GT-1/lel:GAS_1'));
    assert.ok(sink.raises.some((i) => i.conditionKey === 'limit:probe/GT-1/lel:GAS_2'));
  });

  test('an edge alarm event: committed in 3 round trips', async () => {
    trips.length = 0;
    await alarmEvent('probe/GE-1/lel', 2);
    assert.equal(trips.length, 3, trips.join('\n----\n'));
    while ((await outbox.dispatch()) > 0);
    assert.ok(sink.raises.some((i) => i.conditionKey === 'limit:probe/GE-1/lel:GAS_2'));
  });
});
