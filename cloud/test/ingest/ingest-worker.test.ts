/**
 * Ingest over a real Mosquitto (private instance) into SQLite and PostgreSQL:
 * D1 idempotent replays with a monotonic ack, F1 bad payloads never poison the stream,
 * F3 wrong-tenant payloads rejected, edge alarm events into the AlarmSink exactly once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { topics, type AlarmEvent } from '@safeloop/contract';
import { count, FakeGateway, newId, reading, waitFor } from './helpers.ts';
import { startHarness, type Harness } from './harness.ts';

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function alarmEvent(point: string, seq: number, kind: 'raised' | 'cleared', value: number, quality: 'good' | 'bad' = 'good'): AlarmEvent {
  const t = Date.now();
  return { id: newId(t), seq, type: 'alarm', point, kind, level: 'GAS_1', direction: 'high', limit: 25, value, unit: '%LEL', quality, sourceTime: t, gatewayTime: t };
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`ingest worker on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind, { reorderTimeoutMs: 2000 });
      h.directory.add('gwA', ['siteA']).add('gwB', ['siteB']).add('gwC', ['siteC']).add('gwE', ['siteE']).add('gwF', ['siteF']);
      await h.worker.start();
    });
    after(async () => {
      await h.close();
    });

    test('D1: each batch delivered 1–5 times, shuffled → one row per event id, monotonic ack up to the last seq', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwA');
      try {
        const events = Array.from({ length: 60 }, (_, i) => reading(`siteA/d${i % 3}/p${i % 7}`, i + 1, i));
        const batches = Array.from({ length: 12 }, (_, b) => events.slice(b * 5, b * 5 + 5));
        const deliveries = shuffle(batches.flatMap((b) => Array.from({ length: 1 + Math.floor(Math.random() * 5) }, () => b)));
        for (const b of deliveries) await gw.publish('telemetry', { v: 1, gatewayId: 'gwA', stream: 'telemetry', events: b });
        await waitFor(() => gw.ackSeq('telemetry') === 60, 10_000, 'ack 60');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwA'"), 60);
        assert.equal(await count(h.t.db, "SELECT COUNT(DISTINCT id) AS n FROM telemetry_raw WHERE gateway_id = 'gwA'"), 60);
        const seqs = gw.acks.filter((a) => a.stream === 'telemetry').map((a) => a.ackSeq);
        for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! >= seqs[i - 1]!, `ack went backwards: ${seqs.join(',')}`);
        // Re-delivering an already committed batch is acknowledged again (the gateway may have missed the ack).
        const before = gw.acks.length;
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwA', stream: 'telemetry', events: batches[0] });
        await waitFor(() => gw.acks.length > before, 5000, 'repeat ack');
        assert.equal(gw.acks.at(-1)?.ackSeq, 60);
      } finally {
        await gw.close();
      }
    });

    test('F1: malformed, oversized, NaN, missing id and wrong-version payloads are rejected and counted; a later good batch is processed', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwB');
      try {
        const good = reading('siteB/d/p', 1, 1);
        const { id: _omit, ...noId } = reading('siteB/d/p', 2, 2);
        await gw.publish('telemetry', '{"v":1,"gatewayId":"gwB",');
        await gw.publish('telemetry', Buffer.alloc(130 * 1024, 0x20));
        await gw.publish('telemetry', `{"v":1,"gatewayId":"gwB","stream":"telemetry","events":[${JSON.stringify(good).replace('"value":1', '"value":NaN')}]}`);
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwB', stream: 'telemetry', events: [noId] });
        await gw.publish('telemetry', { v: 3, gatewayId: 'gwB', stream: 'telemetry', events: [good] });
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwB', stream: 'telemetry', events: [{ ...good, sourceTime: -5 }] });
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwB', stream: 'telemetry', events: [good] });
        await waitFor(() => gw.ackSeq('telemetry') === 1, 5000, 'good batch acked');
        assert.equal(await h.rejected('not_json'), 2, 'truncated JSON and NaN');
        assert.equal(await h.rejected('oversized'), 1);
        assert.equal(await h.rejected('unknown_version'), 1);
        assert.equal(await h.rejected('invalid'), 2, 'missing id, negative time');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwB'"), 1);
        const rejects = await h.t.db.query<{ reason: string; detail: string }>("SELECT reason, detail FROM ingest_rejects WHERE gateway_id = 'gwB' ORDER BY id");
        assert.equal(rejects.length, 6);
        assert.match(rejects.find((r) => r.reason === 'invalid')?.detail ?? '', /events\.0\.id/);
        const [latest] = await h.worker.store.latest({ points: ['siteB/d/p'] });
        assert.equal(latest?.value, 1, 'nothing coerced');
      } finally {
        await gw.close();
      }
    });

    test('F3: a payload on gateway A\'s topic claiming B, events for a site A does not serve, unknown gateways — rejected and logged', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwC');
      try {
        const before = await h.rejected('wrong_gateway_topic');
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwA', stream: 'telemetry', events: [reading('siteA/d/p', 999, 1)] });
        await gw.client.publishAsync(topics.up('gwZ', 'telemetry'), JSON.stringify({ v: 1, gatewayId: 'gwZ', stream: 'telemetry', events: [reading('siteZ/d/p', 1, 1)] }), { qos: 1 });
        const mine = reading('siteC/d/p', 1, 7);
        const foreign = reading('siteA/d/p', 2, 666);
        // A refused event counts for the ack only up to the seq the gateway announced (issue 18).
        await gw.publish('status', { v: 1, gatewayId: 'gwC', state: 'status', bdSeq: 0, time: Date.now(), nextSeq: { alarm: 1, telemetry: 3 } });
        // Status and telemetry take different lanes: let the announcement land first. (A batch that overtakes it
        // leaves seq 2 unsequenced; the gap is then held until the gateway's replay, which this fake does not send.)
        await waitFor(async () => (await count(h.t.db, "SELECT COUNT(*) AS n FROM ingest_streams WHERE gateway_id = 'gwC' AND stream = 'telemetry' AND announced_seq = 2")) === 1, 5000, 'announcement recorded');
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwC', stream: 'telemetry', events: [mine, foreign] });
        await waitFor(() => gw.ackSeq('telemetry') === 2, 5000, 'ack covers the rejected event too (no head-of-line block)');
        assert.equal((await h.rejected('wrong_gateway_topic')) - before, 1);
        assert.equal(await h.rejected('unknown_gateway'), 1);
        assert.equal(await h.rejected('wrong_tenant'), 1);
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwC'"), 1);
        assert.equal(await count(h.t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw WHERE id = $1', [foreign.id]), 0);
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE seq = 999 AND point = 'siteA/d/p'"), 0);
        const sec = await h.t.db.query<{ detail: string }>("SELECT detail FROM ingest_rejects WHERE reason = 'wrong_tenant'");
        assert.match(sec[0]?.detail ?? '', /siteA\/d\/p is not on a site of gateway gwC/);
      } finally {
        await gw.close();
      }
    });

    test('edge alarm events → AlarmSink once per event, key limit:{point}:{level}; a clear on bad data is ignored', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwE');
      try {
        const raised = alarmEvent('siteE/gas1/lel', 1, 'raised', 31);
        const badClear = alarmEvent('siteE/gas1/lel', 2, 'cleared', 0, 'bad');
        await gw.publish('alarm', { v: 1, gatewayId: 'gwE', stream: 'alarm', events: [raised] });
        await gw.publish('alarm', { v: 1, gatewayId: 'gwE', stream: 'alarm', events: [raised, badClear] });
        await waitFor(() => gw.ackSeq('alarm') === 2, 5000, 'alarm ack');
        await waitFor(() => h.sink.raises.some((r) => r.conditionKey === 'limit:siteE/gas1/lel:GAS_1'), 3000, 'raise');
        const mine = h.sink.raises.filter((r) => r.conditionKey === 'limit:siteE/gas1/lel:GAS_1');
        assert.equal(mine.length, 1);
        assert.equal(mine[0]?.origin, 'edge');
        assert.equal(mine[0]?.siteId, 'siteE');
        assert.equal(mine[0]?.value, 31);
        assert.equal(h.sink.clears.filter((c) => c.conditionKey === 'limit:siteE/gas1/lel:GAS_1').length, 0, 'bad-quality clear ignored');
        await gw.publish('alarm', { v: 1, gatewayId: 'gwE', stream: 'alarm', events: [alarmEvent('siteE/gas1/lel', 3, 'cleared', 3)] });
        await waitFor(() => h.sink.clears.some((c) => c.conditionKey === 'limit:siteE/gas1/lel:GAS_1'), 3000, 'clear');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM edge_events WHERE gateway_id = 'gwE'"), 3);
      } finally {
        await gw.close();
      }
    });

    test('AlarmSink failures are retried from the outbox; the decision is not lost', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwF');
      try {
        h.sink.failNext = 2;
        await gw.publish('alarm', { v: 1, gatewayId: 'gwF', stream: 'alarm', events: [alarmEvent('siteF/gas/lel', 1, 'raised', 40)] });
        await waitFor(() => gw.ackSeq('alarm') === 1, 20_000, 'ack');
        await waitFor(() => h.sink.raises.some((r) => r.conditionKey === 'limit:siteF/gas/lel:GAS_1'), 25_000, 'retried raise');
        await waitFor(async () => (await h.worker.outbox.pending('limit:siteF/gas/lel:GAS_1')) === 0, 10_000, 'outbox row removed after delivery');
      } finally {
        await gw.close();
      }
    });
  });
}
