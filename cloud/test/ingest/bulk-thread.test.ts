/**
 * Big telemetry groups on the bulk thread (PostgreSQL, real Mosquitto): a limit crossing inside a big
 * batch raises its alarm through the main thread's sink, after the commit; rules see readings in
 * sequence order whether the thread or the main thread stored them; a thread that dies loses nothing and
 * comes back; a newer stored rule set reaches the thread; another tenant's point is refused there and counted
 * here; a worker clock years behind still dispatches at once; a thread that cannot start leaves ingest to
 * the main thread.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { silentLogger, type TelemetryEvent } from '@safeloop/contract';
import { IngestWorker } from '../../src/ingest/index.ts';
import { RulesEngine, type RuleSet } from '../../src/rules/index.ts';
import { count, FakeGateway, MemoryDirectory, PG_URL, reading, RecordingSink, waitFor } from './helpers.ts';
import { startHarness, type Harness } from './harness.ts';
import type { TestBulkData } from './bulk-thread-setup.ts';

const SETUP = new URL('./bulk-thread-setup.ts', import.meta.url).href;

function lelRules(version: number, limit: number): RuleSet {
  return {
    version,
    rules: [{ id: 'lel', kind: 'limit', enabled: true, points: ['GT-*/lel'], limits: [{ level: 'GAS_1', direction: 'high', value: limit, deadband: 2, onDelaySec: 0, offDelaySec: 0 }], overRangeLatch: true, faultClearHoldSec: 5, faultClearReadings: 2 }],
  } as RuleSet;
}

/** `n` readings from seq `from` over 100 devices of a site: far beyond the 16 KiB kept on the main thread. */
function bigBatch(site: string, from: number, n: number, value: (seq: number, device: number) => number): TelemetryEvent[] {
  const t = Date.now();
  return Array.from({ length: n }, (_, i) => reading(`${site}/GT-${(from + i) % 100}/lel`, from + i, value(from + i, (from + i) % 100), { sourceTime: t + i }));
}

const GATEWAYS = ['gwB', 'gwC', 'gwD', 'gwE', ...Array.from({ length: 6 }, (_, i) => `gwK${i}`)];

describe('ingest with the bulk telemetry thread on postgres', () => {
  let h: Harness;
  let worker: IngestWorker;
  let mainRules: RulesEngine;
  const live: TelemetryEvent[] = [];
  before(async () => {
    mainRules = new RulesEngine({ logger: silentLogger }, lelRules(1, 25));
    h = await startHarness('postgres', { rules: mainRules, reorderTimeoutMs: 5000 });
    for (const g of GATEWAYS) h.directory.add(g, [`site-${g}`]);
    const data: TestBulkData = { url: PG_URL, schema: h.t.schema!, gateways: [...h.directory.gateways.values()], rules: lelRules(1, 25) };
    worker = h.newWorker({ bulkThread: { setup: SETUP, data }, onTelemetryCommitted: (events) => void live.push(...events) });
    await worker.start();
    assert.equal(await worker.bulkThreadStarted(), true, 'the thread started');
  });
  after(async () => {
    await h.close();
  });

  test('the thread runs 10 nice steps lower and the main thread keeps its priority (Linux: nice is per thread)', { skip: process.platform !== 'linux' }, () => {
    const niceOf = (stat: string): number => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const main = niceOf(readFileSync(`/proc/${process.pid}/stat`, 'utf8'));
    assert.equal(main, getPriority(), 'the main thread keeps its nice value');
    const tasks = readdirSync(`/proc/${process.pid}/task`).map((tid) => niceOf(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8')));
    const lowered = Math.min(19, main + 10);
    assert.equal(tasks.filter((n) => n === lowered).length, 1, `one thread at nice ${lowered} (main ${main}): ${tasks.join(',')}`);
  });

  test('a limit crossing inside a big batch: stored and evaluated on the thread, alarm raised and cleared through the main sink, acked after commit', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwB');
    try {
      const key = 'limit:site-gwB/GT-7/lel:GAS_1';
      const before = worker.bulkThread!.groupsDone;
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwB', stream: 'telemetry', events: bigBatch('site-gwB', 1, 300, (seq) => (seq === 107 ? 60 : 5)) });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 10_000, 'ack 300');
      // GT-7 reads 60 at seq 107 only: raised by it (and cleared by seq 207's 5 unless the rule latches).
      await waitFor(() => h.sink.raises.some((r) => r.conditionKey === key && r.value === 60), 5000, 'alarm raised');
      assert.ok(worker.bulkThread!.groupsDone > before, 'the batch went through the thread');
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwB'"), 300);
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwB', stream: 'telemetry', events: bigBatch('site-gwB', 301, 300, () => 3) });
      await waitFor(() => h.sink.clears.some((c) => c.conditionKey === key), 10_000, 'alarm cleared');
      assert.equal(h.sink.open.has(key), false);
      assert.equal(h.sink.raises.filter((r) => r.conditionKey === key).length, 1, 'raised once');
    } finally {
      await gw.close();
    }
  });

  test('sequence order across the thread and the main thread: a small batch that overtakes its big one waits for it', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwC');
    try {
      const key = 'limit:site-gwC/GT-99/lel:GAS_1';
      const before = worker.bulkThread!.groupsDone;
      // seq 301 (small, main thread) clears what seq 299 (inside the big batch, thread) raises; it is sent first.
      const big = bigBatch('site-gwC', 1, 300, (seq) => (seq === 299 ? 70 : 5));
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwC', stream: 'telemetry', events: [reading('site-gwC/GT-99/lel', 301, 2, { sourceTime: big[299]!.sourceTime + 1 })] });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(gw.ackSeq('telemetry'), 0, 'held at the gap');
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwC', stream: 'telemetry', events: big });
      await waitFor(() => gw.ackSeq('telemetry') === 301, 10_000, 'ack 301');
      await waitFor(() => h.sink.clears.some((c) => c.conditionKey === key), 5000, 'cleared');
      assert.equal(h.sink.raises.filter((r) => r.conditionKey === key).length, 1, 'raised once, before its clear');
      assert.equal(h.sink.open.has(key), false);
      assert.ok(worker.bulkThread!.groupsDone > before, 'the big batch went through the thread');
    } finally {
      await gw.close();
    }
  });

  test('the thread dies with groups in flight: nothing acknowledged is lost, nothing is stored twice, the thread comes back', async () => {
    const names = GATEWAYS.filter((g) => g.startsWith('gwK'));
    const gws = await Promise.all(names.map((g) => FakeGateway.connect(h.broker.url, g)));
    const BATCHES = 8;
    const PER = 250;
    try {
      const sends: Promise<void>[] = [];
      for (let b = 0; b < BATCHES; b++) {
        for (const gw of gws) sends.push(gw.publish('telemetry', { v: 1, gatewayId: gw.id, stream: 'telemetry', events: bigBatch(`site-${gw.id}`, 1 + b * PER, PER, () => 4) }));
      }
      await waitFor(() => worker.bulkThread!.inFlight > 0, 10_000, 'groups in flight on the thread');
      const lost = worker.bulkThread!.inFlight;
      await worker.bulkThread!.terminate();
      await Promise.all(sends);
      assert.ok(lost > 0);
      // What was in flight is processed on the main thread (as a resend would be); the thread restarts.
      for (const gw of gws) await waitFor(() => gw.ackSeq('telemetry') === BATCHES * PER, 20_000, `${gw.id} fully acked`);
      await waitFor(() => worker.bulkThread!.ready, 10_000, 'thread restarted');
      for (const gw of gws) {
        assert.equal(await count(h.t.db, 'SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = $1', [gw.id]), BATCHES * PER, `${gw.id}: every reading stored once`);
      }
      const after = worker.bulkThread!.groupsDone;
      await gws[0]!.publish('telemetry', { v: 1, gatewayId: gws[0]!.id, stream: 'telemetry', events: bigBatch(`site-${gws[0]!.id}`, 1 + BATCHES * PER, PER, () => 4) });
      await waitFor(() => gws[0]!.ackSeq('telemetry') === (BATCHES + 1) * PER, 10_000, 'acked after the restart');
      assert.ok(worker.bulkThread!.groupsDone > after, 'the restarted thread takes big groups again');
    } finally {
      for (const gw of gws) await gw.close();
    }
  });

  test('live values from a big batch: the newest reading of each point, once', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwE');
    try {
      const before = worker.bulkThread!.groupsDone;
      // 300 readings over 100 points: three of each; the newest (seq 201–300) read 1000 + seq.
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwE', stream: 'telemetry', events: bigBatch('site-gwE', 1, 300, (seq) => (seq > 200 ? 1000 + seq : 4)) });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 10_000, 'ack 300');
      assert.ok(worker.bulkThread!.groupsDone > before, 'through the thread');
      const mine = live.filter((e) => e.point.startsWith('site-gwE/'));
      assert.equal(mine.length, 100, 'one per point');
      assert.equal(new Set(mine.map((e) => e.point)).size, 100);
      assert.ok(mine.every((e) => e.seq > 200 && e.value === 1000 + e.seq), 'each the newest of its point');
    } finally {
      await gw.close();
    }
  });

  test('a rule set published through the main engine applies to the very next big batch on the thread', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwD');
    try {
      await mainRules.publish(h.t.db, lelRules(2, 10), 'test');
      const before = worker.bulkThread!.groupsDone;
      const key = 'limit:site-gwD/GT-3/lel:GAS_1';
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwD', stream: 'telemetry', events: bigBatch('site-gwD', 1, 300, (seq) => (seq === 103 ? 15 : 4)) });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 10_000, 'ack 300');
      // GT-3 reads 15 at seq 103 only (4 at seq 3 and 203): raised, then cleared within the batch.
      await waitFor(() => h.sink.raises.some((r) => r.conditionKey === key && r.limit === 10 && r.value === 15), 5000, 'raised under the new limit of 10');
      assert.ok(worker.bulkThread!.groupsDone > before, 'evaluated on the thread');
    } finally {
      await gw.close();
    }
  });
});

describe('a bulk thread that hangs, fails a group, or dies after its commit', () => {
  let h: Harness;
  let worker: IngestWorker;
  before(async () => {
    h = await startHarness('postgres', { rules: new RulesEngine({ logger: silentLogger }, lelRules(1, 25)) });
    for (const g of ['gwH', 'gwQ', 'gwZ']) h.directory.add(g, [`site-${g}`]);
    const data: TestBulkData = { url: PG_URL, schema: h.t.schema!, gateways: [...h.directory.gateways.values()], rules: lelRules(1, 25), hangGateway: 'gwH', failGateway: 'gwQ', dieAfterCommitGateway: 'gwZ' };
    // No timer pass during the test: an alarm reaches the sink only through the dispatch after a group.
    worker = h.newWorker({ bulkThread: { setup: SETUP, data, timeoutMs: 1500 }, tickMs: 600_000 });
    await worker.start();
    assert.equal(await worker.bulkThreadStarted(), true);
  });
  after(async () => {
    await h.close();
  });

  test('a group the thread never finishes: the thread is ended at the deadline, the group is stored here, the thread comes back', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwH');
    try {
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwH', stream: 'telemetry', events: bigBatch('site-gwH', 1, 300, () => 4) });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 15_000, 'ack 300 after the deadline');
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwH'"), 300);
      await waitFor(() => worker.bulkThread!.ready, 10_000, 'thread restarted');
    } finally {
      await gw.close();
    }
  });

  test('a group the thread fails with an error is processed here', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwQ');
    try {
      await waitFor(() => worker.bulkThread!.ready, 10_000, 'thread ready');
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwQ', stream: 'telemetry', events: bigBatch('site-gwQ', 1, 300, () => 4) });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 10_000, 'ack 300');
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwQ'"), 300);
    } finally {
      await gw.close();
    }
  });

  test('the thread commits a crossing and dies before it reports: the alarm is raised once, at once, and the ack follows', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwZ');
    try {
      await waitFor(() => worker.bulkThread!.ready, 10_000, 'thread ready');
      const key = 'limit:site-gwZ/GT-50/lel:GAS_1';
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwZ', stream: 'telemetry', events: bigBatch('site-gwZ', 1, 300, (seq) => (seq === 50 ? 80 : 4)) });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 10_000, 'ack 300');
      await waitFor(() => h.sink.raises.some((r) => r.conditionKey === key), 3000, 'raised without a timer pass');
      assert.equal(h.sink.raises.filter((r) => r.conditionKey === key).length, 1, 'raised once');
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwZ'"), 300);
    } finally {
      await gw.close();
    }
  });
});

describe('the bulk thread with another tenant\'s point and a gateway clock far from real time', () => {
  let h: Harness;
  let worker: IngestWorker;
  // The worker's clock (a test's, or a cloud host set wrong) years behind real time.
  const FIXED = Date.UTC(2021, 0, 1);
  before(async () => {
    h = await startHarness('postgres', { rules: new RulesEngine({ logger: silentLogger }, lelRules(1, 25)) });
    for (const g of ['gwW', 'gwV']) h.directory.add(g, [`site-${g}`]);
    const data: TestBulkData = { url: PG_URL, schema: h.t.schema!, gateways: [...h.directory.gateways.values()], rules: lelRules(1, 25) };
    worker = h.newWorker({ bulkThread: { setup: SETUP, data }, clock: { now: () => FIXED, monotonic: () => performance.now() }, tickMs: 600_000 });
    await worker.start();
    assert.equal(await worker.bulkThreadStarted(), true);
  });
  after(async () => {
    await h.close();
  });

  test('a reading for another gateway\'s site inside a big batch is refused on the thread, counted on the main metrics, never stored or evaluated', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwW');
    try {
      const before = worker.bulkThread!.groupsDone;
      const events = bigBatch('site-gwW', 1, 300, () => 4);
      events[149] = reading('site-gwV/GT-1/lel', 150, 80, { sourceTime: events[149]!.sourceTime });
      // The gateway's status announces what it journaled: a refused event counts for the ack up to there.
      const status = { v: 1, gatewayId: 'gwW', state: 'online', bdSeq: 0, time: Date.now(), nextSeq: { alarm: 1, telemetry: 301 } };
      await gw.publish('status', status);
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwW', stream: 'telemetry', events });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 10_000, 'ack 300 (a refused event still counts)');
      assert.ok(worker.bulkThread!.groupsDone > before, 'through the thread');
      assert.ok((await h.rejected('wrong_tenant')) >= 1, 'the thread\'s reject counted on the main thread\'s metrics');
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE point = 'site-gwV/GT-1/lel'"), 0);
      assert.equal(await count(h.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwW'"), 299);
      assert.equal(h.sink.raises.filter((r) => r.siteId === 'site-gwV').length, 0, 'no alarm on the other tenant\'s site');
    } finally {
      await gw.close();
    }
  });

  test('a crossing inside a big batch is dispatched at once although the worker\'s clock is years behind', async () => {
    const gw = await FakeGateway.connect(h.broker.url, 'gwV');
    try {
      const key = 'limit:site-gwV/GT-40/lel:GAS_1';
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwV', stream: 'telemetry', events: bigBatch('site-gwV', 1, 300, (seq) => (seq === 40 ? 90 : 4)) });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 10_000, 'ack 300');
      // No timer pass runs: only the dispatch after the thread's commit can deliver it, and only if the
      // outbox rows the thread wrote are due by the main thread's clock.
      await waitFor(() => h.sink.raises.some((r) => r.conditionKey === key), 3000, 'raised');
    } finally {
      await gw.close();
    }
  });
});

describe('a bulk thread that cannot start', () => {
  let h: Harness | undefined;
  after(async () => {
    await h?.close();
  });
  test('the main thread ingests everything; the failure is logged', async () => {
    const harness = await startHarness('postgres');
    h = harness;
    harness.directory.add('gwF', ['site-gwF']);
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (_o: object, msg?: string) => void errors.push(msg ?? ''), child: () => logger };
    const data: TestBulkData = { url: PG_URL, schema: harness.t.schema!, gateways: [], fail: true };
    const worker = harness.newWorker({ bulkThread: { setup: SETUP, data }, logger });
    await worker.start();
    assert.equal(await worker.bulkThreadStarted(), false);
    assert.ok(errors.some((m) => m.includes('could not start')), errors.join('; '));
    const gw = await FakeGateway.connect(harness.broker.url, 'gwF');
    try {
      await gw.publish('telemetry', { v: 1, gatewayId: 'gwF', stream: 'telemetry', events: bigBatch('site-gwF', 1, 300, () => 4) });
      await waitFor(() => gw.ackSeq('telemetry') === 300, 10_000, 'ack 300');
      assert.equal(await count(harness.t.db, "SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id = 'gwF'"), 300);
    } finally {
      await gw.close();
    }
  });
});

test('SQLite refuses a bulk thread, naming why', async () => {
  const { openDb } = await import('./helpers.ts');
  const t = await openDb('sqlite');
  try {
    assert.throws(
      () => new IngestWorker({ db: t.db, mqtt: { url: 'mqtt://127.0.0.1:1' }, directory: new MemoryDirectory(), alarms: new RecordingSink(), logger: silentLogger, bulkThread: { setup: SETUP, data: {} } }),
      /bulkThread needs PostgreSQL/,
    );
  } finally {
    await t.close();
  }
});
