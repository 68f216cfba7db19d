/**
 * Telemetry payload v2 (columnar, plain or deflated) through a real Mosquitto into SQLite and
 * PostgreSQL: the cloud announces it, stores exactly the rows the v1 form would have stored (same ids,
 * seqs and values; a v1 resend of the same readings is a duplicate), and refuses a truncated, bomb or
 * malformed v2 payload with a named reason without losing anything it had already accepted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import mqtt from 'mqtt';
import {
  BatchIdGenerator,
  CloudStatusMessageSchema,
  MAX_INFLATED_BYTES,
  batchEventId,
  encodeTelemetryV2,
  parsePayload,
  segmentOf,
  topics,
  type SegmentReading,
} from '@safeloop/contract';
import { count, FakeGateway, waitFor } from './helpers.ts';
import { startHarness, type Harness } from './harness.ts';

const ids = new BatchIdGenerator();

function poll(device: string, n: number, t: number): SegmentReading[] {
  return Array.from({ length: n }, (_, i) => ({
    point: `siteV/${device}/r${i}`,
    value: i % 5 === 0 ? null : i * 0.5,
    quality: i % 5 === 0 ? ('bad' as const) : ('good' as const),
    ...(i % 5 === 0 ? { reason: 'timeout' as const } : { unit: 'ppm' }),
    sourceTime: t,
    gatewayTime: t + 3,
  }));
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`payload v2 on ${kind}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(kind, { reorderTimeoutMs: 2000 });
      h.directory.add('gwV', ['siteV']);
      await h.worker.start();
    });
    after(async () => {
      await h.close();
    });

    test('the retained cloud status lists payload versions 1 and 2', async () => {
      const c = await mqtt.connectAsync(h.broker.url);
      try {
        const got = new Promise<Buffer>((resolve) => c.on('message', (_t, p) => resolve(p)));
        await c.subscribeAsync(topics.cloudStatus(), { qos: 1 });
        const r = parsePayload(CloudStatusMessageSchema, await got);
        assert.ok(r.ok);
        assert.deepEqual(r.value.payloadVersions, [1, 2]);
      } finally {
        await c.endAsync();
      }
    });

    test('plain and deflated v2 store the v1 rows; bad v2 payloads are refused by name and lose nothing', async () => {
      const gw = await FakeGateway.connect(h.broker.url, 'gwV');
      try {
        const t = Date.now();
        const a = poll('d1', 120, t);
        const b = poll('d2', 80, t + 1000);
        const idA = ids.take(t, a.length);
        const idB = ids.take(t, b.length);
        await gw.publish('telemetry', encodeTelemetryV2('gwV', [segmentOf(1, idA, a, false)], { deflate: false }));
        await gw.publish('telemetry', encodeTelemetryV2('gwV', [segmentOf(121, idB, b, false)], { deflate: true }));
        await waitFor(() => gw.ackSeq('telemetry') === 200, 10_000, 'ack 200');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwV'"), 200);
        assert.equal(await count(h.t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw WHERE id = $1 AND seq = 121', [batchEventId(idB, 0)]), 1);
        assert.equal(await count(h.t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw WHERE id = $1 AND seq = 200', [batchEventId(idB, 79)]), 1);
        const [latest] = await h.worker.store.latest({ points: ['siteV/d2/r7'] });
        assert.equal(latest?.value, 3.5);

        // The same readings again as v1 (a gateway that fell back): duplicates, not new rows.
        const v1 = a.slice(0, 10).map((r, i) => ({ id: batchEventId(idA, i), seq: 1 + i, ...r }));
        const acks = gw.acks.length;
        await gw.publish('telemetry', { v: 1, gatewayId: 'gwV', stream: 'telemetry', events: v1 });
        await waitFor(() => gw.acks.length > acks, 5000, 'ack of the v1 resend');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwV'"), 200);

        const c = poll('d3', 50, t + 2000);
        const good = encodeTelemetryV2('gwV', [segmentOf(201, ids.take(t, 50), c, false)], { deflate: true });
        const plain = JSON.parse(encodeTelemetryV2('gwV', [segmentOf(201, ids.take(t, 50), c, false)], { deflate: false }).toString()) as {
          segments: Record<string, unknown>[];
        };
        (plain.segments[0]!['st'] as number[]).pop();
        const before = { bad: await h.rejected('bad_compression'), big: await h.rejected('oversized'), invalid: await h.rejected('invalid'), version: await h.rejected('unknown_version') };
        await gw.publish('telemetry', good.subarray(0, good.length - 8));
        await gw.publish('telemetry', deflateSync(Buffer.alloc(MAX_INFLATED_BYTES + 1024, 0x41)));
        await gw.publish('telemetry', JSON.stringify(plain));
        await gw.publish('alarm', encodeTelemetryV2('gwV', [segmentOf(1, ids.take(t, 1), c.slice(0, 1), false)], { deflate: false }));
        // The alarm stream has its own lane and may be refused before the telemetry queue is through: wait for all four.
        await waitFor(
          async () =>
            (await h.rejected('unknown_version')) > before.version &&
            (await h.rejected('bad_compression')) > before.bad &&
            (await h.rejected('oversized')) > before.big &&
            (await h.rejected('invalid')) > before.invalid,
          10_000,
          'the four bad payloads refused',
        );
        assert.equal((await h.rejected('bad_compression')) - before.bad, 1, 'truncated deflate stream');
        assert.equal((await h.rejected('oversized')) - before.big, 1, 'inflate bomb');
        assert.equal((await h.rejected('invalid')) - before.invalid, 1, 'wrong-length column');
        const rejects = await h.t.db.query<{ reason: string; detail: string; sample: string | null }>(
          "SELECT reason, detail, sample FROM ingest_rejects WHERE gateway_id = 'gwV' ORDER BY id",
        );
        assert.match(rejects.find((r) => r.reason === 'invalid')?.detail ?? '', /segments\[0\]\.st: 49 entries, expected n = 50/);
        assert.match(rejects.find((r) => r.reason === 'bad_compression')?.sample ?? '', /^base64:eJ/);
        // Nothing accepted before is lost, the ack did not move, and the good batch still goes through.
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwV'"), 200);
        assert.equal(gw.ackSeq('telemetry'), 200);
        await gw.publish('telemetry', good);
        await waitFor(() => gw.ackSeq('telemetry') === 250, 5000, 'ack 250');
        assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwV'"), 250);
      } finally {
        await gw.close();
      }
    });
  });
}
