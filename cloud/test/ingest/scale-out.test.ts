/**
 * Scale-out: three ingest worker processes share one Mosquitto (MQTT 5 shared subscription) and
 * one PostgreSQL schema. Three simulated gateways stream telemetry with a journal (window of
 * unacknowledged batches, resend after an ack timeout). One worker is killed with SIGKILL
 * mid-stream. Afterwards every reading is stored exactly once and every alarm occurrence the data
 * implies exists exactly once (none twice, none missed), raised and cleared in order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger, type TelemetryEvent } from '@safeloop/contract';
import { IngestWorker } from '../../src/ingest/index.ts';
import { RulesEngine } from '../../src/rules/index.ts';
import { count, FakeGateway, MemoryDirectory, openDb, reading, startMosquitto, waitFor, type TestDb } from './helpers.ts';
import { createSinkTable, TableSink } from './table-sink.ts';

const GATEWAYS = 3;
const BATCHES = 60;
const PER_BATCH = 20;
const WINDOW = 8;
const ACK_TIMEOUT_MS = 1500;
/** A batch resent n times waits ACK_TIMEOUT_MS × 2^n (capped) before the next resend, as a gateway backs off. */
const MAX_ACK_TIMEOUT_MS = 12_000;
const WORKER = fileURLToPath(new URL('./scale-out-worker.ts', import.meta.url));

/** A gateway with a journal: keeps a window of unacknowledged batches in flight and resends on timeout. */
class JournalGateway {
  readonly batches: TelemetryEvent[][] = [];
  private readonly sentAt = new Map<number, number>();
  private readonly tries = new Map<number, number>();
  private next = 0;
  resends = 0;
  constructor(
    readonly gw: FakeGateway,
    readonly index: number,
  ) {
    const t0 = Date.now() - BATCHES * 1000;
    for (let b = 0; b < BATCHES; b++) {
      this.batches.push(
        Array.from({ length: PER_BATCH }, (_, k) => {
          const seq = b * PER_BATCH + k + 1;
          // GT-0 goes over the limit in every tenth batch: one alarm occurrence each.
          const value = k === 0 && b % 10 === 5 ? 40 : 10;
          return reading(`s${index}/GT-${k}/lel`, seq, value, { sourceTime: t0 + b * 1000 + k });
        }),
      );
    }
  }
  get acked(): number {
    return this.gw.ackSeq('telemetry');
  }
  get done(): boolean {
    return this.acked >= BATCHES * PER_BATCH;
  }
  async pump(): Promise<void> {
    const ackedBatches = Math.floor(this.acked / PER_BATCH);
    if (this.next < ackedBatches) this.next = ackedBatches;
    const now = Date.now();
    for (let b = ackedBatches; b < Math.min(BATCHES, ackedBatches + WINDOW); b++) {
      const sent = this.sentAt.get(b);
      const tries = this.tries.get(b) ?? 0;
      if (sent !== undefined && now - sent < Math.min(MAX_ACK_TIMEOUT_MS, ACK_TIMEOUT_MS * 2 ** Math.max(0, tries - 1))) continue;
      if (sent !== undefined) this.resends += 1;
      this.sentAt.set(b, now);
      this.tries.set(b, tries + 1);
      await this.gw.publish('telemetry', { v: 1, gatewayId: this.gw.id, stream: 'telemetry', events: this.batches[b] });
    }
  }
}

let t: TestDb;
let broker: Awaited<ReturnType<typeof startMosquitto>>;
const procs: ChildProcess[] = [];

before(async () => {
  t = await openDb('postgres');
  broker = await startMosquitto();
  await createSinkTable(t.db);
  // Migrate once up front (workers would race harmlessly, but the test wants a clean start).
  const w = new IngestWorker({ db: t.db, mqtt: { url: broker.url }, directory: new MemoryDirectory(), alarms: new TableSink(t.db), rules: new RulesEngine({ logger: silentLogger }), logger: silentLogger });
  await w.migrate();
});

after(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : Promise.resolve())));
  await broker.stop();
  await t.close();
});

function startWorker(): Promise<ChildProcess> {
  const p = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, SCALE_PG_URL: process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test', SCALE_PG_SCHEMA: t.schema!, SCALE_MQTT_URL: broker.url, SCALE_GATEWAYS: String(GATEWAYS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  procs.push(p);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not become ready')), 90_000);
    createInterface({ input: p.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve(p);
      }
    });
    p.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

test('three workers, one killed mid-stream: every reading stored once, every alarm occurrence once', { timeout: 175_000 }, async () => {
  const t0 = Date.now();
  const workers = await Promise.all([startWorker(), startWorker(), startWorker()]);
  const tReady = Date.now();
  const gateways = await Promise.all(Array.from({ length: GATEWAYS }, async (_, i) => new JournalGateway(await FakeGateway.connect(broker.url, `gw${i}`), i)));
  let killedAt = -1;
  try {
    const total = GATEWAYS * BATCHES * PER_BATCH;
    // Alone this takes ~12 s; the full suite on 2 cores has taken 95 s (resend storms when acks are slow).
    const deadline = Date.now() + 140_000;
    while (!gateways.every((g) => g.done)) {
      if (Date.now() > deadline) {
        // Say why: the cloud's view of each stream and what it refused.
        const streams = await t.db.query('SELECT * FROM ingest_streams ORDER BY gateway_id, stream');
        const rejects = await t.db.query('SELECT gateway_id, reason, COUNT(*) AS n FROM ingest_rejects GROUP BY gateway_id, reason');
        throw new Error(
          `not all acked: ${gateways.map((g) => `${g.acked} (resends ${g.resends})`).join(', ')}\nstreams ${JSON.stringify(streams)}\nrejects ${JSON.stringify(rejects)}`,
        );
      }
      for (const g of gateways) await g.pump();
      const acked = gateways.reduce((n, g) => n + g.acked, 0);
      if (killedAt < 0 && acked >= total * 0.4) {
        killedAt = acked;
        workers[1]!.kill('SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const tAcked = Date.now();
    if (process.env.SCALE_DEBUG) process.stderr.write(`ready ${tReady - t0} ms, all acked ${tAcked - tReady} ms\n`);
    assert.ok(killedAt > 0 && killedAt < total, `killed mid-stream at ${killedAt}/${total}`);
    assert.equal(await count(t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw'), total);
    assert.equal(await count(t.db, 'SELECT COUNT(DISTINCT id) AS n FROM telemetry_raw'), total);
    // Decisions left behind by the killed worker are delivered by the survivors.
    await waitFor(async () => (await count(t.db, 'SELECT COUNT(*) AS n FROM alarm_outbox')) === 0, 15_000, 'outbox drained');
    const occ = await t.db.query<{ condition_key: string; n: number; open: number }>(
      'SELECT condition_key, COUNT(*) AS n, SUM(CASE WHEN cleared_at IS NULL THEN 1 ELSE 0 END) AS open FROM test_alarm_occurrences GROUP BY condition_key ORDER BY condition_key',
    );
    // A gap left by batches the dead worker's session swallowed may, before they are resent, raise a
    // data-integrity alarm (this fake gateway never announces its seq); the data's own alarms are these:
    assert.deepEqual(
      occ.filter((o) => o.condition_key.startsWith('limit:')).map((o) => [o.condition_key, Number(o.n), Number(o.open)]),
      gateways.map((g) => [`limit:s${g.index}/GT-0/lel:GAS_1`, BATCHES / 10, 0]),
    );
    const resends = gateways.reduce((n, g) => n + g.resends, 0);
    assert.ok(resends >= 0);
  } finally {
    for (const g of gateways) await g.gw.close();
  }
});
