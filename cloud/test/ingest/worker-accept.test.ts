/**
 * A worker that takes only some uplink topics (`accept`, used by the latency bench to split bulk and probe
 * gateways between two workers) never stores or acknowledges the others — the gateway keeps them and
 * resends — and reports each message it takes through received → started → committed, before its ack.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IngestStage } from '../../src/ingest/index.ts';
import { count, FakeGateway, reading, waitFor } from './helpers.ts';
import { startHarness, type Harness } from './harness.ts';

describe('ingest worker with accept and onStage on postgres', () => {
  let h: Harness;
  const stages: { topic: string; stage: IngestStage }[] = [];
  before(async () => {
    h = await startHarness('postgres', {
      accept: (topic) => !topic.includes('/gwX/'),
      onStage: (topic, stage) => void stages.push({ topic, stage }),
    });
    h.directory.add('gwX', ['siteX']).add('gwY', ['siteY']);
    await h.worker.start();
  });
  after(async () => {
    await h.close();
  });

  test('a refused gateway is neither stored nor acknowledged; an accepted one is, after received → started → committed', async () => {
    const x = await FakeGateway.connect(h.broker.url, 'gwX');
    const y = await FakeGateway.connect(h.broker.url, 'gwY');
    try {
      await x.publish('telemetry', { v: 1, gatewayId: 'gwX', stream: 'telemetry', events: [reading('siteX/GT-1/lel', 1, 60)] });
      await y.publish('telemetry', { v: 1, gatewayId: 'gwY', stream: 'telemetry', events: [reading('siteY/GT-1/lel', 1, 5)] });
      await waitFor(() => y.ackSeq('telemetry') === 1, 5000, 'gwY acked');
      // gwX was published first on the same broker; give it time to show up if it were taken.
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(x.acks.length, 0, 'never acknowledged what it did not store');
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwX'"), 0);
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwY'"), 1);
      assert.ok(stages.every((s) => s.topic.includes('/gwY/')), 'no stage for a refused topic');
      assert.deepEqual(
        stages.map((s) => s.stage),
        ['received', 'started', 'committed'],
      );
    } finally {
      await x.close();
      await y.close();
    }
  });
});
