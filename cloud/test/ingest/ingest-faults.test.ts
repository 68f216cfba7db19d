/**
 * Ingest faults on SQLite and PostgreSQL with a real Mosquitto:
 * D3 sequence gap → replay command → data-integrity alarm when it is not filled, the ack held at the gap
 * until the events arrive or the gateway declares them discarded (and a gap filled in time cancels cleanly); D4 the will marks the gateway offline and its points stale, a stale
 * death after a newer birth is ignored; D5 a worker dying before or after its commit loses and
 * duplicates nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlarmEvent, TelemetryEvent } from '@safeloop/contract';
import type { SqlDb } from '../../src/db/index.ts';
import { SqliteTelemetryStore, PgTelemetryStore, type TelemetryStore } from '../../src/store/index.ts';
import { count, FakeGateway, newId, reading, telemetryPayload, waitFor } from './helpers.ts';
import { startHarness, type Harness } from './harness.ts';

const batch = (gw: string, events: TelemetryEvent[]): object => ({ v: 1, gatewayId: gw, stream: 'telemetry', events });
const status = (gw: string, state: 'online' | 'offline' | 'status', bdSeq: number, extra: object = {}): object => ({ v: 1, gatewayId: gw, state, bdSeq, time: Date.now(), ...extra });

/** A store that fails once inside the transaction, after writing: the commit must roll back. */
function failingOnce(real: TelemetryStore): TelemetryStore & { armed: boolean } {
  const wrapper = Object.create(real) as TelemetryStore & { armed: boolean };
  wrapper.armed = true;
  wrapper.insert = async (tx: SqlDb, gw: string, events: readonly TelemetryEvent[], at: number) => {
    const fresh = await real.insert(tx, gw, events, at);
    if (wrapper.armed) {
      wrapper.armed = false;
      throw new Error('worker crashed before commit');
    }
    return fresh;
  };
  return wrapper;
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`ingest faults on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind);
      h.directory.add('gwG', ['siteG']).add('gwH', ['siteH']).add('gwO', ['siteO']).add('gwK', ['siteK']).add('gwL', ['siteL']).add('gwQ', ['siteQ']).add('gwR', ['siteR']);
      await h.worker.start();
    });
    after(async () => {
      await h.close();
    });

    test('D3: a gap is replay-requested, then held under an integrity alarm (never acknowledged past) until the events arrive', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwG');
      try {
        const evs = Array.from({ length: 15 }, (_, i) => reading('siteG/d/p', i + 1, i));
        await gw.publish('telemetry', batch('gwG', evs.slice(0, 5)));
        await gw.publish('telemetry', batch('gwG', evs.slice(10, 15)));
        // Both batches stored before the announcement (on a loaded machine the status could overtake the second batch).
        await waitFor(async () => (await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwG'")) === 10, 5000, 'both batches stored');
        await gw.publish('status', status('gwG', 'status', 0, { nextSeq: { alarm: 1, telemetry: 16 } }));
        await waitFor(() => gw.commands.some((c) => c.type === 'replay'), 3000, 'replay command');
        const cmd = gw.commands.find((c) => c.type === 'replay');
        assert.deepEqual(cmd && cmd.type === 'replay' ? [cmd.stream, cmd.fromSeq, cmd.toSeq] : [], ['telemetry', 6, 10]);
        assert.equal(gw.ackSeq('telemetry'), 5, 'ack held at the gap');
        await waitFor(() => h.sink.raises.some((r) => r.conditionKey.startsWith('integrity:gwG:telemetry')), 3000, 'integrity alarm');
        const alarm = h.sink.raises.find((r) => r.conditionKey.startsWith('integrity:gwG:telemetry'));
        assert.equal(alarm?.kind, 'system');
        assert.equal(alarm?.siteId, 'siteG');
        assert.deepEqual([alarm?.inputs.fromSeq, alarm?.inputs.toSeq], [6, 10]);
        // The worst case of the old behaviour: the replay is late (ingest behind, broker dropped it). The ack must
        // not move past 5 however long it takes, and the cloud keeps asking.
        await waitFor(() => gw.commands.filter((c) => c.type === 'replay').length >= 2, 3000, 'replay asked again');
        await new Promise((r) => setTimeout(r, 400));
        assert.equal(gw.ackSeq('telemetry'), 5, 'still held: the gateway keeps 6–10');
        assert.ok(!h.sink.clears.some((c) => c.conditionKey === alarm?.conditionKey), 'the alarm stays active while the gap lasts');
        assert.equal(h.sink.raises.filter((r) => r.conditionKey.startsWith('integrity:gwG')).length, 1, 'raised once per gap');
        // The late events arrive: stored, acked through 15, the alarm clears as "nothing lost".
        await gw.publish('telemetry', batch('gwG', evs.slice(5, 10)));
        await waitFor(() => gw.ackSeq('telemetry') === 15, 3000, 'ack 15 once the gap filled');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwG'"), 15);
        await waitFor(() => h.sink.clears.some((c) => c.conditionKey === alarm?.conditionKey), 3000, 'integrity alarm cleared');
        assert.match(h.sink.clears.find((c) => c.conditionKey === alarm?.conditionKey)?.reason ?? '', /nothing lost/);
      } finally {
        await gw.close();
      }
    });

    test('D3: a gap the gateway declares discarded (discardedThrough) is acknowledged over, and its integrity alarm clears naming the discard', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwQ');
      try {
        const evs = Array.from({ length: 12 }, (_, i) => reading('siteQ/d/p', i + 1, i));
        await gw.publish('telemetry', batch('gwQ', evs.slice(0, 2)));
        await gw.publish('status', status('gwQ', 'status', 0, { nextSeq: { alarm: 1, telemetry: 13 } }));
        await gw.publish('telemetry', batch('gwQ', evs.slice(8, 10)));
        await waitFor(() => h.sink.raises.some((r) => r.conditionKey.startsWith('integrity:gwQ:telemetry')), 3000, 'integrity alarm');
        assert.equal(gw.ackSeq('telemetry'), 2);
        // The gateway's disk budget dropped 3–8: its next batch says so. A forged, larger discard is bounded by
        // what the gateway announced (12): the ack never passes it.
        await gw.publish('telemetry', { ...batch('gwQ', evs.slice(10, 11)), discardedThrough: 8 });
        await waitFor(() => gw.ackSeq('telemetry') === 11, 3000, 'ack over the declared discard and what waited above it');
        const key = h.sink.raises.find((r) => r.conditionKey.startsWith('integrity:gwQ:telemetry'))?.conditionKey;
        await waitFor(() => h.sink.clears.some((c) => c.conditionKey === key), 3000, 'integrity alarm cleared');
        assert.match(h.sink.clears.find((c) => c.conditionKey === key)?.reason ?? '', /discarded/);
        await gw.publish('telemetry', { ...batch('gwQ', evs.slice(11, 12)), discardedThrough: 999_999 });
        await waitFor(() => gw.ackSeq('telemetry') === 12, 3000, 'ack 12, not 999,999: a discard is bounded by the announced tail');
      } finally {
        await gw.close();
      }
    });

    test('D3: a gap held open when the gateway starts a new journal clears as never received, and the new epoch acks from 1', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwR');
      try {
        await gw.publish('status', status('gwR', 'online', 1, { journalId: 'journal-rrrrrrrr', nextSeq: { alarm: 1, telemetry: 1 } }));
        const evs = Array.from({ length: 6 }, (_, i) => reading('siteR/d/p', i + 1, i));
        await gw.publish('telemetry', batch('gwR', [evs[0]!, evs[1]!, evs[4]!, evs[5]!]));
        await gw.publish('status', status('gwR', 'status', 1, { journalId: 'journal-rrrrrrrr', nextSeq: { alarm: 1, telemetry: 7 } }));
        await waitFor(() => h.sink.raises.some((r) => r.conditionKey.startsWith('integrity:gwR:telemetry')), 3000, 'integrity alarm');
        const key = h.sink.raises.find((r) => r.conditionKey.startsWith('integrity:gwR:telemetry'))?.conditionKey;
        assert.equal(gw.ackSeq('telemetry'), 2, 'held at the gap');
        // The gateway's journal was replaced (disk swapped): 3–4 can never come.
        await gw.publish('status', status('gwR', 'online', 2, { journalId: 'journal-ssssssss', nextSeq: { alarm: 1, telemetry: 1 } }));
        await waitFor(() => h.sink.clears.some((c) => c.conditionKey === key), 3000, 'integrity alarm cleared');
        assert.match(h.sink.clears.find((c) => c.conditionKey === key)?.reason ?? '', /never received/);
        const acksBefore = gw.acks.length;
        await gw.publish('telemetry', batch('gwR', [reading('siteR/d/p', 1, 10)]));
        await waitFor(() => gw.acks.slice(acksBefore).some((a) => a.stream === 'telemetry' && a.ackSeq === 1), 3000, 'new epoch acked from 1');
      } finally {
        await gw.close();
      }
    });

    test('D3: a gap filled within the reorder timeout cancels cleanly (no replay, no alarm)', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwH');
      try {
        const evs = Array.from({ length: 10 }, (_, i) => reading('siteH/d/p', i + 1, i));
        await gw.publish('telemetry', batch('gwH', evs.slice(5)));
        await gw.publish('telemetry', batch('gwH', evs.slice(0, 5)));
        await waitFor(() => gw.ackSeq('telemetry') === 10, 3000, 'ack 10');
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(gw.commands.length, 0);
        assert.equal(h.sink.raises.filter((r) => r.conditionKey.startsWith('integrity:gwH')).length, 0);
      } finally {
        await gw.close();
      }
    });

    test('D3: a tail gap announced by status (nextSeq) is replay-requested too', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwL');
      try {
        await gw.publish('telemetry', batch('gwL', [reading('siteL/d/p', 1, 1)]));
        await waitFor(() => gw.ackSeq('telemetry') === 1, 3000, 'ack 1');
        await gw.publish('status', status('gwL', 'status', 0, { nextSeq: { alarm: 1, telemetry: 4 } }));
        await waitFor(() => gw.commands.some((c) => c.type === 'replay'), 3000, 'replay for the tail');
        const cmd = gw.commands.find((c) => c.type === 'replay');
        assert.deepEqual(cmd && cmd.type === 'replay' ? [cmd.fromSeq, cmd.toSeq] : [], [2, 3]);
        await gw.publish('telemetry', batch('gwL', [reading('siteL/d/p', 2, 2), reading('siteL/d/p', 3, 3)]));
        await waitFor(() => gw.ackSeq('telemetry') === 3, 3000, 'replayed tail acked');
      } finally {
        await gw.close();
      }
    });

    test('D4: the will marks the gateway offline and its points stale, then an offline alarm; a new birth clears it; a stale death is ignored', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwO', { bdSeq: 1 });
      await gw.publish('status', status('gwO', 'online', 1));
      await gw.publish('telemetry', batch('gwO', [reading('siteO/d/a', 1, 1), reading('siteO/d/b', 2, 2)]));
      await waitFor(() => gw.ackSeq('telemetry') === 2, 3000, 'ack');
      gw.kill();
      await waitFor(async () => (await h.worker.store.latest({ siteId: 'siteO' })).every((l) => l.stale), 5000, 'points stale');
      const state = await h.t.db.query<{ state: string }>("SELECT state FROM gateway_state WHERE gateway_id = 'gwO'");
      assert.equal(state[0]?.state, 'offline');
      await waitFor(() => h.sink.open.has('offline:gwO'), 3000, 'offline alarm after the grace');
      const gw2 = await FakeGateway.connect(h.broker.url, 'gwO', { bdSeq: 2 });
      try {
        await gw2.publish('status', status('gwO', 'online', 2));
        await waitFor(() => !h.sink.open.has('offline:gwO'), 3000, 'offline alarm cleared by the birth');
        // The death of the previous session, delivered late, must not take the new session offline.
        await gw2.publish('status', status('gwO', 'offline', 1));
        await waitFor(async () => (await h.registry.getSingleMetricAsString('safeloop_ingest_stale_deaths_ignored_total')).includes(' 1'), 3000, 'stale death counted');
        const after = await h.t.db.query<{ state: string; bd_seq: number }>("SELECT state, bd_seq FROM gateway_state WHERE gateway_id = 'gwO'");
        assert.deepEqual([after[0]?.state, Number(after[0]?.bd_seq)], ['online', 2]);
        assert.equal(h.sink.raises.filter((r) => r.conditionKey === 'offline:gwO').length, 1);
      } finally {
        await gw2.close();
      }
    });

    test('D5: crash before commit (rolled back) and after commit before ack/dispatch → no loss, no duplicate, alarm raised once', async () => {
      const realStore = kind === 'sqlite' ? new SqliteTelemetryStore(h.t.db) : new PgTelemetryStore(h.t.db);
      const crashing = failingOnce(realStore);
      const w1 = h.newWorker({ store: crashing });
      const evs = [reading('siteK/d/p', 1, 1), reading('siteK/d/p', 2, 2)];
      const topic = 'safeloop/v1/gwK/up/telemetry';
      await assert.rejects(w1.processor.handle(topic, telemetryPayload('gwK', evs)), /crashed before commit/);
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwK'"), 0, 'rolled back');
      // The gateway resends (nothing was acked); this time the worker commits, then dies before ack and dispatch.
      const out = await w1.processor.handle(topic, telemetryPayload('gwK', evs));
      assert.equal(out.inserted, 2);
      const raised: AlarmEvent = { id: newId(), seq: 1, type: 'alarm', point: 'siteK/gas/lel', kind: 'raised', level: 'GAS_2', direction: 'high', limit: 50, value: 55, quality: 'good', sourceTime: Date.now(), gatewayTime: Date.now() };
      const alarmOut = await w1.processor.handle('safeloop/v1/gwK/up/alarm', Buffer.from(JSON.stringify({ v: 1, gatewayId: 'gwK', stream: 'alarm', events: [raised] })));
      assert.equal(alarmOut.enqueued, 1);
      assert.equal(await w1.outbox.pending('limit:siteK/gas/lel:GAS_2'), 1, 'decision committed, not yet delivered');
      // The gateway got no ack, so it resends through the broker to the surviving worker.
      const gw = await FakeGateway.connect(h.broker.url, 'gwK');
      try {
        await gw.publish('telemetry', batch('gwK', evs));
        await gw.publish('alarm', { v: 1, gatewayId: 'gwK', stream: 'alarm', events: [raised] });
        await waitFor(() => gw.ackSeq('telemetry') === 2 && gw.ackSeq('alarm') === 1, 3000, 'acks');
        await waitFor(() => h.sink.raises.some((r) => r.conditionKey === 'limit:siteK/gas/lel:GAS_2'), 3000, 'orphaned decision delivered');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwK'"), 2);
        assert.equal(h.sink.raises.filter((r) => r.conditionKey === 'limit:siteK/gas/lel:GAS_2').length, 1);
      } finally {
        await gw.close();
      }
    });
  });
}
