/**
 * Ingest with the rules engine on (SQLite and PostgreSQL, real Mosquitto): effects apply in
 * sequence order even when deliveries overtake each other; an edge alarm and the cloud rule for
 * the same limit share one condition; alarms on inputs that went stale (will) do not clear.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger, type AlarmEvent } from '@safeloop/contract';
import { RulesEngine } from '../../src/rules/index.ts';
import { FakeGateway, newId, reading, waitFor } from './helpers.ts';
import { startHarness, type Harness } from './harness.ts';

const rules = new RulesEngine({ logger: silentLogger }, {
  version: 1,
  rules: [{ id: 'lel', kind: 'limit', enabled: true, points: ['GT-*/lel'], limits: [{ level: 'GAS_1', direction: 'high', value: 25, deadband: 2, onDelaySec: 0, offDelaySec: 0 }], overRangeLatch: true, faultClearHoldSec: 5, faultClearReadings: 2 }],
});

function edge(point: string, seq: number, kind: 'raised' | 'cleared', value: number): AlarmEvent {
  const t = Date.now();
  return { id: newId(t), seq, type: 'alarm', point, kind, level: 'GAS_1', direction: 'high', limit: 25, value, quality: 'good', sourceTime: t, gatewayTime: t };
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`ingest with rules on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind, { rules, reorderTimeoutMs: 5000 });
      h.directory.add('gwR', ['siteR']).add('gwS', ['siteS']).add('gwT', ['siteT']);
      await h.worker.start();
    });
    after(async () => {
      await h.close();
    });

    test('a clear that overtakes its raise waits for it: the alarm ends closed, raised and cleared once', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwR');
      try {
        const key = 'limit:siteR/GT-1/lel:GAS_1';
        const raised = edge('siteR/GT-1/lel', 1, 'raised', 30);
        const cleared = edge('siteR/GT-1/lel', 2, 'cleared', 3);
        await gw.publish('alarm', { v: 1, gatewayId: 'gwR', stream: 'alarm', events: [cleared] });
        await new Promise((r) => setTimeout(r, 150));
        assert.equal(h.sink.clears.filter((c) => c.conditionKey === key).length, 0, 'held until contiguous');
        await gw.publish('alarm', { v: 1, gatewayId: 'gwR', stream: 'alarm', events: [raised] });
        await waitFor(() => h.sink.clears.some((c) => c.conditionKey === key), 3000, 'clear');
        assert.equal(h.sink.raises.filter((r) => r.conditionKey === key).length, 1);
        assert.equal(h.sink.open.has(key), false);
        // Telemetry overtaking: seq 2 (over the limit) arrives before seq 1 and 3 (normal).
        const key2 = 'limit:siteR/GT-2/lel:GAS_1';
        const t0 = Date.now();
        const evs = [reading('siteR/GT-2/lel', 1, 10, { sourceTime: t0 }), reading('siteR/GT-2/lel', 2, 40, { sourceTime: t0 + 1 }), reading('siteR/GT-2/lel', 3, 10, { sourceTime: t0 + 2 })];
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwR', stream: 'telemetry', events: [evs[1]] });
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwR', stream: 'telemetry', events: [evs[2]] });
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwR', stream: 'telemetry', events: [evs[0]] });
        await waitFor(() => gw.ackSeq('telemetry') === 3, 3000, 'ack 3');
        await waitFor(() => h.sink.clears.some((c) => c.conditionKey === key2), 3000, 'cloud clear');
        assert.equal(h.sink.raises.filter((r) => r.conditionKey === key2).length, 1, 'the overtaking reading still raised its alarm once');
      } finally {
        await gw.close();
      }
    });

    test('edge alarm and cloud rule on the same limit: one condition, one occurrence', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwS');
      try {
        const key = 'limit:siteS/GT-1/lel:GAS_1';
        await gw.publish('alarm', { v: 1, gatewayId: 'gwS', stream: 'alarm', events: [edge('siteS/GT-1/lel', 1, 'raised', 31)] });
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwS', stream: 'telemetry', events: [reading('siteS/GT-1/lel', 1, 31)] });
        await waitFor(() => h.sink.raises.filter((r) => r.conditionKey === key).length === 2, 3000, 'both raises');
        assert.deepEqual(new Set(h.sink.raises.filter((r) => r.conditionKey === key).map((r) => r.origin)), new Set(['edge', 'cloud']));
        assert.equal(h.sink.occurrences.get(key), 1);
      } finally {
        await gw.close();
      }
    });

    test('D4: alarms whose inputs went stale with the gateway do not clear', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwT', { bdSeq: 7 });
      const key = 'limit:siteT/GT-1/lel:GAS_1';
      await gw.publish('status', { v: 1, gatewayId: 'gwT', state: 'online', bdSeq: 7, time: Date.now() });
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwT', stream: 'telemetry', events: [reading('siteT/GT-1/lel', 1, 35)] });
      await waitFor(() => h.sink.open.has(key), 3000, 'raised');
      gw.kill();
      await waitFor(() => h.sink.open.has('offline:gwT'), 5000, 'offline alarm');
      assert.ok(h.sink.open.has(key), 'still active');
      assert.equal(h.sink.clears.filter((c) => c.conditionKey === key).length, 0);
    });
  });
}
