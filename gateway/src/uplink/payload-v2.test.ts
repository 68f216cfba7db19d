/**
 * Telemetry payload v2 on the gateway: sent only while the cloud's retained status lists it, with
 * exactly the events (ids, seqs, values, historical flags) v1 would carry; back to v1 when a cloud
 * without it comes online; never with `payload: v1`. Runs on a private Mosquitto because the retained
 * cloud status topic is shared by every client of a broker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchIdGenerator, decodeTelemetryV2, silentLogger, type Reading } from '@safeloop/contract';
import { Journal, JournalConfigSchema, columnsText, entryEvent } from '../journal/index.ts';
import { reading } from '../journal/test-helpers.ts';
import { UplinkConfigSchema } from './config.ts';
import { TestAcker } from '@safeloop/test-rigs/mosquitto/test-acker';
import { startTestMosquitto, type TestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { encodeV2 } from './telemetry-encoder.ts';
import { Uplink } from './uplink.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-v2-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A poll of one device: 250 readings, some bad, one device-flagged historical, varied values. */
function poll(k: number): Reading[] {
  return Array.from({ length: 250 }, (_, i) =>
    reading(k * 250 + i, {
      point: `site1/dev${k % 7}/p${i}`,
      ...(i % 50 === 0 ? { value: null, quality: 'bad' as const, reason: 'timeout' as const, detail: 'no reply in 1000 ms' } : {}),
      ...(i === 3 ? { value: true, unit: undefined } : {}),
      ...(i === 4 ? { value: 'RUN', historical: true } : {}),
      ...(i === 5 ? { quality: 'uncertain' as const, reason: 'stale' as const } : {}),
      sourceTime: Date.now() - 40_000 + i,
      gatewayTime: Date.now() - (k % 2 === 0 ? 40_000 : 0),
    }),
  );
}

void describe('uplink payload v2 (private Mosquitto)', () => {
  let broker: TestMosquitto;
  before(async () => {
    broker = await startTestMosquitto();
  });
  after(async () => {
    await broker.stop();
  });

  for (const deflate of [false, true]) {
    void it(`v1 until the cloud announces v2, then v2 (${deflate ? 'deflated' : 'plain'}) with the same events; v1 again for a cloud without it`, async () => {
      const gw = `v2${deflate ? 'd' : 'p'}${Math.random().toString(36).slice(2, 8)}`;
      const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, `${gw}.db`) }), logger: silentLogger });
      const acker = new TestAcker({ url: broker.url, gatewayId: gw });
      await acker.start();
      await acker.announce([1], 'old-cloud');
      const uplink = new Uplink({
        config: UplinkConfigSchema.parse({ transport: 'mqtt', url: broker.url, allowInsecure: true, delivery: { ackTimeoutMs: 2000, deflate } }),
        gatewayId: gw,
        siteId: 'site1',
        journal,
        logger: silentLogger,
      });
      await uplink.start();
      try {
        let k = 0;
        const send = async (polls: number, total: number): Promise<void> => {
          for (let i = 0; i < polls; i++) journal.appendTelemetry(poll(k++));
          uplink.notify();
          await acker.waitFor(() => acker.contiguous.telemetry === total && journal.stats().backlog.telemetry === 0, 10_000, `${total} delivered and acked`);
        };
        await send(2, 500);
        assert.equal(acker.v2Batches, 0, 'an old cloud gets v1');
        assert.equal(uplink.metrics().payloadVersion, 1);

        await acker.announce([1, 2], 'new-cloud');
        await acker.waitFor(() => uplink.metrics().payloadVersion === 2, 5000, 'switch to v2');
        const v1Bytes = acker.wireBytes.telemetry;
        await send(8, 2500);
        assert.ok(acker.v2Batches > 0, 'v2 used once announced');
        const v2Bytes = acker.wireBytes.telemetry - v1Bytes;
        assert.ok(v2Bytes < v1Bytes * 4 * (deflate ? 0.15 : 0.6), `2,000 readings in v2: ${v2Bytes} B; 500 in v1: ${v1Bytes} B`);

        await acker.announce([1], 'older-cloud');
        await acker.waitFor(() => uplink.metrics().payloadVersion === 1, 5000, 'back to v1');
        const v2Batches = acker.v2Batches;
        await send(2, 3000);
        assert.equal(acker.v2Batches, v2Batches, 'no v2 to a cloud that does not list it');

        // Every journaled reading reached the "cloud" once, as exactly the event the journal holds.
        const journaled = journal.peek('telemetry', 10_000, { afterSeq: 0 });
        assert.equal(journaled.length, 3000);
        for (const e of journaled) {
          const got = acker.events.get(e.id);
          assert.ok(got, `seq ${e.seq} missing`);
          const want = entryEvent(e);
          if (e.gatewayTime < Date.now() - 30_000 && want['historical'] === undefined) want['historical'] = true;
          assert.deepEqual(got.event, want, `seq ${e.seq}`);
        }
        assert.equal(acker.conflicts, 0);
        assert.equal(acker.invalidBatches, 0);
      } finally {
        await uplink.stop();
        await acker.stop();
        journal.close();
      }
    });
  }

  void it('payload: v1 keeps v1 even when the cloud announces v2', async () => {
    const gw = `v2o${Math.random().toString(36).slice(2, 8)}`;
    const journal = Journal.open({ config: JournalConfigSchema.parse({ path: join(dir, `${gw}.db`) }), logger: silentLogger });
    const acker = new TestAcker({ url: broker.url, gatewayId: gw });
    await acker.start();
    await acker.announce([1, 2], 'v2-cloud');
    const uplink = new Uplink({
      config: UplinkConfigSchema.parse({ transport: 'mqtt', url: broker.url, allowInsecure: true, delivery: { payload: 'v1' } }),
      gatewayId: gw,
      siteId: 'site1',
      journal,
      logger: silentLogger,
    });
    await uplink.start();
    try {
      journal.appendTelemetry(poll(0));
      await acker.waitFor(() => uplink.connected, 5000, 'connected');
      uplink.notify();
      await acker.waitFor(() => acker.contiguous.telemetry === 250, 10_000, 'delivered');
      assert.equal(acker.v2Batches, 0);
      assert.equal(uplink.metrics().payloadVersion, 1);
    } finally {
      await uplink.stop();
      await acker.stop();
      journal.close();
    }
  });
});

void it('encodeV2 cuts a batch until it fits, keeping seqs and ids contiguous', () => {
  const ids = new BatchIdGenerator();
  const t = Date.now();
  const rows = Array.from({ length: 3000 }, (_, i) => ({ point: `s/d/p${i}`, value: Math.random(), quality: 'good' as const, sourceTime: t, gatewayTime: t }));
  const slices = [
    { firstSeq: 11, firstId: ids.take(t, 1000), gatewayTime: t, count: 1000, columns: columnsText(rows, 0, 1000) },
    { firstSeq: 1011, firstId: ids.take(t, 2000), gatewayTime: t, count: 2000, columns: columnsText(rows, 1000, 3000) },
  ];
  const b = encodeV2(slices, { gatewayId: 'gw', historical: false, cutoff: 0, discardedThrough: undefined, deflate: true, maxBytes: 8 * 1024 });
  assert.ok(b.bytes <= 8 * 1024, `${b.bytes} B`);
  assert.ok(b.count < 3000 && b.count > 100, `${b.count} readings`);
  assert.equal(b.fromSeq, 11);
  assert.equal(b.toSeq, 10 + b.count);
  const d = decodeTelemetryV2(b.payload as Buffer);
  assert.ok(d.ok);
  assert.deepEqual(d.value.events.map((e) => e.seq), Array.from({ length: b.count }, (_, i) => 11 + i));
  assert.equal(d.value.events.at(-1)?.point, `s/d/p${b.count - 1}`);
});
