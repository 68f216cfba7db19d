/**
 * A gateway's clock against the cloud's (issue 12, DOMAIN.md §7): acks carry the cloud time the gateway
 * estimates its offset from; a status reporting an offset beyond 5 min raises one system alarm (not one
 * per status) that clears when the clock is back; the offset is readable per gateway. SQLite and PostgreSQL.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readGatewayClocks } from '../../src/ingest/gateway-clock.ts';
import { FakeGateway, reading, waitFor } from './helpers.ts';
import { startHarness } from './harness.ts';

for (const kind of ['sqlite', 'postgres'] as const) {
  void describe(`gateway clock offset (${kind})`, () => {
    void test('acks carry the cloud time; a skewed gateway raises one clock alarm, cleared when back in tolerance', async () => {
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
        const clocks = await readGatewayClocks(h.t.db, ['gwK', 'gw-unknown']);
        assert.equal(clocks.get('gwK')?.clockOffsetMs, 40);
        assert.equal(clocks.has('gw-unknown'), false);
      } finally {
        await gw.close();
        await h.close();
      }
    });
  });
}
