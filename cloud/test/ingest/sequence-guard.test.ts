/**
 * Issue 18: sequences that cannot be poisoned, through a real Mosquitto into real SQLite and PostgreSQL
 * stores — a seq reused under a new id is not stored; a refused event counts for the ack only up to what
 * the gateway announced; an event beyond the announced seq that never becomes contiguous is dropped, never
 * acknowledged; a stream whose gateway keeps resending acknowledged events raises an integrity alarm
 * naming the gateway, asks for a rebirth, and recovers when the gateway re-announces a new journal.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { count, FakeGateway, reading, waitFor } from './helpers.ts';
import { startHarness, type Harness } from './harness.ts';

const batch = (gw: string, events: object[]): object => ({ v: 1, gatewayId: gw, stream: 'telemetry', events });
const status = (gw: string, state: 'online' | 'status', nextTelemetry: number, extra: object = {}): object => ({
  v: 1,
  gatewayId: gw,
  state,
  bdSeq: 0,
  time: Date.now(),
  nextSeq: { alarm: 1, telemetry: nextTelemetry },
  ...extra,
});

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`sequence guard on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind, { stuckRoundGapMs: 100 });
      h.directory.add('gwR', ['siteR']).add('gwT', ['siteT']).add('gwW', ['siteW']).add('gwS', ['siteS']);
      await h.worker.start();
    });
    after(async () => {
      await h.close();
    });

    test('an event reusing a stored seq with a new id is not stored; the first one stands', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwR');
      try {
        await gw.publish('status', status('gwR', 'online', 11));
        const evs = Array.from({ length: 5 }, (_, i) => reading('siteR/d/p', i + 1, i));
        await gw.publish('telemetry', batch('gwR', evs));
        await waitFor(() => gw.ackSeq('telemetry') === 5, 5000, 'ack 5');
        const twin = reading('siteR/d/p', 3, 333);
        const above = reading('siteR/d/p', 8, 8);
        const aboveTwin = reading('siteR/d/p', 8, 888);
        await gw.publish('telemetry', batch('gwR', [twin, above, aboveTwin]));
        await waitFor(async () => (await h.rejected('seq_reused')) >= 2, 5000, 'two reuses rejected');
        assert.equal(await count(h.t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw WHERE id = $1 OR id = $2', [twin.id, aboveTwin.id]), 0);
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwR'"), 6);
        assert.equal(gw.ackSeq('telemetry'), 5);
      } finally {
        await gw.close();
      }
    });

    test('a refused (wrong tenant) event counts for the ack only once the gateway announced its seq', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwT');
      try {
        await gw.publish('status', status('gwT', 'online', 3));
        await gw.publish('telemetry', batch('gwT', [reading('siteT/d/p', 1, 1), reading('siteT/d/p', 2, 2)]));
        await waitFor(() => gw.ackSeq('telemetry') === 2, 5000, 'ack 2');
        const foreign = reading('siteR/d/p', 3, 666);
        await gw.publish('telemetry', batch('gwT', [foreign]));
        await waitFor(async () => (await h.rejected('wrong_tenant')) >= 1, 5000, 'refused');
        await new Promise((r) => setTimeout(r, 100));
        assert.equal(gw.ackSeq('telemetry'), 2, 'not announced yet: the ack does not pass it');
        await gw.publish('status', status('gwT', 'status', 4));
        // published after the status: its telemetry waits for it (TelemetryQueue.hold), whatever the lanes
        await gw.publish('telemetry', batch('gwT', [foreign]));
        await waitFor(() => gw.ackSeq('telemetry') === 3, 5000, 'announced: the refused event no longer blocks the stream');
      } finally {
        await gw.close();
      }
    });

    test('an unannounced seq inside the window that never becomes contiguous is dropped, never acknowledged', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwW');
      try {
        await gw.publish('status', status('gwW', 'online', 6));
        await gw.publish('telemetry', batch('gwW', Array.from({ length: 5 }, (_, i) => reading('siteW/d/p', i + 1, i))));
        await waitFor(() => gw.ackSeq('telemetry') === 5, 5000, 'ack 5');
        const forged = reading('siteW/d/p', 500, 1);
        await gw.publish('telemetry', batch('gwW', [forged]));
        await waitFor(() => h.sink.raises.some((r) => r.conditionKey.startsWith('unannounced:gwW:telemetry')), 5000, 'integrity event');
        const raised = h.sink.raises.find((r) => r.conditionKey.startsWith('unannounced:gwW:telemetry'));
        assert.match(raised?.title ?? '', /seqs 500 on gateway gwW/);
        assert.equal(await count(h.t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw WHERE id = $1', [forged.id]), 0, 'the unannounced row is not kept');
        assert.ok(!h.sink.raises.some((r) => r.conditionKey.startsWith('integrity:gwW')), 'no loss invented for seqs the gateway never announced');
        assert.equal(gw.ackSeq('telemetry'), 5);
        // The genuine seq 500, when the gateway gets there, is stored normally.
        await gw.publish('status', status('gwW', 'status', 501));
        const real = reading('siteW/d/p', 500, 2);
        await gw.publish('telemetry', batch('gwW', [real]));
        await waitFor(async () => (await count(h.t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw WHERE id = $1', [real.id])) === 1, 5000, 'real 500 stored');
      } finally {
        await gw.close();
      }
    });

    test('a gateway refusing our acks raises an integrity alarm naming it, gets a rebirth request, and recovers with a new journal', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwS');
      try {
        await gw.publish('status', status('gwS', 'online', 6, { journalId: 'journal-aaaaaaaa' }));
        const evs = Array.from({ length: 5 }, (_, i) => reading('siteS/d/p', i + 1, i));
        await gw.publish('telemetry', batch('gwS', evs));
        await waitFor(() => gw.ackSeq('telemetry') === 5, 5000, 'ack 5');
        for (let round = 0; round < 3; round++) {
          await new Promise((r) => setTimeout(r, 150));
          await gw.publish('telemetry', batch('gwS', evs));
        }
        await waitFor(() => h.sink.raises.some((r) => r.conditionKey === 'stuck:gwS:telemetry'), 5000, 'stuck alarm');
        assert.match(h.sink.raises.find((r) => r.conditionKey === 'stuck:gwS:telemetry')?.title ?? '', /gateway gwS keeps resending/);
        await waitFor(() => gw.commands.some((c) => c.type === 'rebirth'), 5000, 'rebirth requested');
        // It re-announces: a new journal, numbering from 1 again.
        await gw.publish('status', status('gwS', 'online', 3, { journalId: 'journal-bbbbbbbb' }));
        await waitFor(() => h.sink.clears.some((c) => c.conditionKey === 'stuck:gwS:telemetry'), 5000, 'stuck alarm cleared');
        const fresh = [reading('siteS/d/p', 1, 10), reading('siteS/d/p', 2, 11)];
        const acksBefore = gw.acks.length;
        await gw.publish('telemetry', batch('gwS', fresh));
        await waitFor(() => gw.acks.slice(acksBefore).some((a) => a.stream === 'telemetry' && a.ackSeq === 2), 5000, 'acks restart from the new numbering');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwS' AND epoch = 1"), 2);
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwS' AND epoch = 0"), 5, 'old rows stay under the old epoch');
      } finally {
        await gw.close();
      }
    });
  });
}
