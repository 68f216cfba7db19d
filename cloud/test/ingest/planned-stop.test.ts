/**
 * A planned stop is not a lost gateway (issue 16): the offline status a gateway publishes when it stops on
 * purpose (shutdown: true) marks it stopped with no offline alarm within the normal grace; if it is not back
 * within the planned-stop grace the alarm says so in its own words. An unplanned loss (the MQTT will) still
 * raises the offline alarm after the normal grace. SQLite and PostgreSQL.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { readGatewayFacts } from '../../src/ingest/gateway-facts.ts';
import { FakeGateway, waitFor } from './helpers.ts';
import { startHarness } from './harness.ts';

for (const kind of ['sqlite', 'postgres'] as const) {
  void describe(`planned stop (${kind})`, () => {
    void test('stopped on purpose: shown as stopped, alarm only after the planned-stop grace; a lost gateway alarms after the normal grace', async () => {
      const h = await startHarness(kind, { offlineGraceMs: 300, plannedStopGraceMs: 2500 });
      h.directory.add('gwP', ['siteP']).add('gwL', ['siteL']);
      await h.worker.start();
      const planned = await FakeGateway.connect(h.broker.url, 'gwP');
      const lost = await FakeGateway.connect(h.broker.url, 'gwL');
      try {
        const status = (gatewayId: string, state: 'online' | 'offline', extra: object = {}) => ({ v: 1, gatewayId, state, bdSeq: 1, time: Date.now(), ...extra });
        await planned.publish('status', status('gwP', 'online'));
        await lost.publish('status', status('gwL', 'online'));
        await sleep(200);
        await planned.publish('status', status('gwP', 'offline', { shutdown: true }));
        await lost.publish('status', status('gwL', 'offline')); // what the broker sends for a will: no shutdown flag
        await waitFor(() => h.sink.open.has('offline:gwL'), 5000, 'the lost gateway alarms after the normal grace');
        await sleep(600);
        assert.equal(h.sink.open.has('offline:gwP'), false, 'no offline alarm for a planned stop within its grace');
        const facts = await readGatewayFacts(h.t.db, ['gwP', 'gwL']);
        assert.equal(facts.get('gwP')?.stoppedOnPurpose, true);
        assert.ok((facts.get('gwP')?.lastSeenAt ?? 0) > Date.now() - 10_000, 'last seen from its last message');
        assert.equal(facts.get('gwL')?.stoppedOnPurpose, undefined, 'a lost gateway is not called stopped');
        await waitFor(() => h.sink.open.has('offline:gwP'), 6000, 'the planned stop outlasted its grace');
        assert.match(h.sink.open.get('offline:gwP')?.title ?? '', /网关计划停运后未恢复：gwP \/ Gateway gwP stopped on purpose and not back/);
        // back online: the alarm clears, the stopped mark goes
        await planned.publish('status', { ...status('gwP', 'online'), bdSeq: 2 });
        await waitFor(() => !h.sink.open.has('offline:gwP'), 5000, 'cleared by the birth');
        assert.equal((await readGatewayFacts(h.t.db, ['gwP'])).get('gwP')?.stoppedOnPurpose, undefined);
      } finally {
        await planned.close();
        await lost.close();
        await h.close();
      }
    });
  });
}
