/**
 * A gateway's clock against the cloud's (issue 12, DOMAIN.md §7): acks carry the cloud time the gateway
 * estimates its offset from; a status reporting an offset beyond 5 min raises one system alarm (not one
 * per status) that clears when the clock is back; the offset is readable per gateway. SQLite and PostgreSQL.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readGatewayFacts } from '../../src/ingest/gateway-facts.ts';
import { FakeGateway, reading, waitFor } from './helpers.ts';
import { startHarness } from './harness.ts';

for (const kind of ['sqlite', 'postgres'] as const) {
  void describe(`gateway clock offset (${kind})`, () => {
    void test('acks carry the cloud time; a skewed clock and a gateway not keeping up each raise one system alarm, cleared when well again', async () => {
      const h = await startHarness(kind);
      h.directory.add('gwK', ['siteK']);
      await h.worker.start();
      const gw = await FakeGateway.connect(h.broker.url, 'gwK');
      try {
        const before = Date.now();
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwK', stream: 'telemetry', events: [reading('siteK/d/p', 1, 1)] });
        await waitFor(() => gw.ackSeq('telemetry') === 1, 5000, 'telemetry acked');
        const cloudTime = gw.acks[0]?.cloudTime;
        assert.ok(cloudTime !== undefined && cloudTime >= before && cloudTime <= Date.now(), `ack cloudTime ${cloudTime}`);

        const status = (offset: number, time = Date.now()) => ({ v: 1, gatewayId: 'gwK', state: 'status', bdSeq: 0, time, clockOffsetMs: offset });
        await gw.publish('status', { ...status(12 * 60_000), state: 'online' });
        await waitFor(() => h.sink.open.has('clock:gwK'), 5000, 'the clock alarm');
        for (const off of [13 * 60_000, 11 * 60_000]) await gw.publish('status', status(off));
        await gw.publish('status', status(40));
        await waitFor(() => !h.sink.open.has('clock:gwK'), 5000, 'the clock alarm cleared');
        const raises = h.sink.raises.filter((r) => r.conditionKey === 'clock:gwK');
        assert.equal(raises.length, 1, 'one raise for a run of skewed statuses');
        assert.match(raises[0]?.title ?? '', /网关时钟偏差 12 分钟/);
        assert.equal(raises[0]?.kind, 'system');
        assert.equal(h.sink.clears.filter((c) => c.conditionKey === 'clock:gwK').length, 1);
        // the gateway says it is not keeping up: one health alarm with its words, cleared when ok again
        const health = (h2: 'ok' | 'degraded', detail?: string) => ({ ...status(40), health: h2, ...(detail ? { healthDetail: detail } : {}) });
        await gw.publish('status', health('degraded', 'delivery behind production: telemetry backlog grew by 4000 rows in 5 min while connected (now 4100)'));
        await waitFor(() => h.sink.open.has('health:gwK'), 5000, 'the gateway health alarm');
        await gw.publish('status', health('degraded', 'delivery behind production: telemetry backlog grew by 5000 rows in 5 min while connected (now 9100)'));
        await gw.publish('status', health('ok'));
        await waitFor(() => !h.sink.open.has('health:gwK'), 5000, 'the health alarm cleared');
        const healthRaises = h.sink.raises.filter((r) => r.conditionKey === 'health:gwK');
        assert.equal(healthRaises.length, 1);
        assert.match(healthRaises[0]?.title ?? '', /^网关运行降级：gwK — delivery behind production.* \/ Gateway degraded: gwK — delivery behind production/);
        const clocks = await readGatewayFacts(h.t.db, ['gwK', 'gw-unknown']);
        assert.equal(clocks.get('gwK')?.clockOffsetMs, 40);
        assert.equal(clocks.has('gw-unknown'), false);
        assert.ok((clocks.get('gwK')?.lastSeenAt ?? 0) >= before, 'last seen from the status heartbeat');
      } finally {
        await gw.close();
        await h.close();
      }
    });
  });
}
