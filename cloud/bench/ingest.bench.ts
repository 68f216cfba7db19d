/**
 * Ingest benchmarks (rules on: the tank-farm template, every point under a limit and a stale rule).
 *
 *   node --import tsx cloud/bench/ingest.bench.ts [--db sqlite|postgres|both] [--seconds 10] [--concurrency 4] [--group 8]
 *                                                 [--latency | --latency-only] [--background 15000]
 *
 * 1. Throughput: uplink batches (500 readings, pre-serialised; --group of one gateway's batches per
 *    transaction, as the worker commits what queued up) through UplinkProcessor —
 *    validation, idempotent insert, latest + per-minute aggregates, sequence bookkeeping, rules —
 *    into SQLite (file, WAL, synchronous=FULL) and PostgreSQL; readings/s sustained.
 * 2. Latency (--latency, PostgreSQL): a real Mosquitto and IngestWorker, 15,000 readings/s (--background) of
 *    background telemetry from a publisher in its own process (ingest-publisher.ts), and probe readings
 *    that cross a cloud limit and edge alarm events; time from the gateway's publish to the AlarmSink
 *    call (after the ingest commit), p50/p99; where that time went (publish → received by the worker,
 *    queue wait, received → commit, commit → AlarmSink); the worker's and PostgreSQL's CPU over the run.
 *    --split-bulk: the background gateways' ingest runs in a second worker process (ingest-bulk-worker.ts,
 *    same database), the probe's in the bench's worker — what moving bulk work off the event loop that
 *    handles alarms can gain at most (the same PostgreSQL load, the same total CPU).
 *    --bulk-thread: the worker's big telemetry groups go to its bulk thread (IngestWorkerDeps.bulkThread),
 *    the deployable form of that split: one worker, one process. --bulk-backend-nice N (default 10, as the
 *    service): the thread's PostgreSQL backends are reniced by N steps (0: off).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { silentLogger, systemClock } from '@safeloop/contract';
import type { AlarmClearInput, AlarmConditionInput, AlarmSink } from '../src/alarms/alarm-sink.ts';
import { createPgSchema, dropPgSchema, PgDb, SqliteDb, type SqlDb } from '../src/db/index.ts';
import { createIngestMetrics, IngestWorker, UplinkProcessor, type IngestStage } from '../src/ingest/index.ts';
import { INGEST_MIGRATIONS } from '../src/ingest/migrations.ts';
import { migrate } from '../src/db/index.ts';
import { loadRuleFile, RulesEngine } from '../src/rules/index.ts';
import { AlarmOutbox, createTelemetryStore } from '../src/store/index.ts';
import { FakeGateway, MemoryDirectory, newId, startMosquitto } from '../test/ingest/helpers.ts';
import { BATCH, GATEWAYS, makeBatches, POINTS_PER_GATEWAY } from './ingest-load.ts';
import { procCpuMs } from '@safeloop/test-rigs/bench/proc-stats';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const SECONDS = Number(arg('seconds', '10'));
const WHICH = arg('db', 'both');
const BACKGROUND = Number(arg('background', '15000'));
/** Batches of one gateway per transaction: the throughput runs group this many, the latency run's worker up to this many (groupMessages). */
const GROUP = Math.max(1, Number(arg('group', '8')));
/** The latency run's worker lanes (IngestWorkerDeps.concurrency: one kept for alarms, the rest for telemetry) and its bulk thread's nice step. */
const LANES = Math.max(2, Number(arg('lanes', '4')));
const BULK_NICE = Number(arg('bulk-nice', '10'));
/** Nice steps for the bulk thread's PostgreSQL backends (the service's workers.ingestThreadBackendNice); 0: off. */
const BULK_BACKEND_NICE = Number(arg('bulk-backend-nice', '10'));
const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const TEMPLATE = new URL('../rules/templates/hazchem-tank-farm.yaml', import.meta.url).pathname;
const out = (s: string): void => void process.stdout.write(`${s}\n`);

class CountingSink implements AlarmSink {
  raised = 0;
  onRaise: ((i: AlarmConditionInput) => void) | undefined;
  raise(i: AlarmConditionInput): Promise<{ alarmId: string; created: boolean }> {
    this.raised += 1;
    this.onRaise?.(i);
    return Promise.resolve({ alarmId: i.conditionKey, created: true });
  }
  clear(_i: AlarmClearInput): Promise<void> {
    return Promise.resolve();
  }
}

async function openBenchDb(kind: 'sqlite' | 'postgres'): Promise<{ db: SqlDb; close(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
    const db = new SqliteDb(join(dir, 'bench.db'));
    return { db, close: async () => (await db.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const schema = `bench_ingest_${randomBytes(4).toString('hex')}`;
  await createPgSchema(PG_URL, schema);
  const db = new PgDb({ connectionString: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${schema}`, schema, max: 8 });
  benchSchemas.set(db, schema);
  return { db, close: async () => (await db.close(), await dropPgSchema(PG_URL, schema)) };
}

/** CPU seconds (user + system) used so far by this schema's PostgreSQL backends (bench runs beside the server). */
async function pgBackendCpu(db: SqlDb): Promise<number> {
  if (db.dialect !== 'postgres') return 0;
  const rows = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = (SELECT current_setting($1))', ['application_name']);
  // A backend that is gone counts 0.
  return rows.reduce((sum, { pid }) => sum + procCpuMs(pid), 0) / 1000;
}

function directory(): MemoryDirectory {
  const d = new MemoryDirectory();
  for (let g = 0; g < GATEWAYS; g++) d.add(`gw${g}`, [`site${g}`]);
  return d;
}

async function throughput(kind: 'sqlite' | 'postgres'): Promise<void> {
  const { db, close } = await openBenchDb(kind);
  try {
    const store = createTelemetryStore(db);
    await store.init();
    const sink = new CountingSink();
    const outbox = new AlarmOutbox({ db, sink, logger: silentLogger });
    await outbox.init();
    await migrate(db, 'ingest', INGEST_MIGRATIONS);
    const rules = new RulesEngine({ logger: silentLogger, sites: { getSite: (id) => Promise.resolve({ id, type: 'hazchem' }) } }, loadRuleFile(TEMPLATE));
    await rules.init(db);
    const metrics = createIngestMetrics(new Registry());
    const processor = new UplinkProcessor({ db, store, outbox, directory: directory(), rules, metrics, logger: silentLogger, clock: systemClock, offlineGraceMs: 60_000 });
    // Enough batches for 60k readings/s over the run.
    const perGateway = Math.ceil((60_000 * SECONDS) / BATCH / GATEWAYS) + 2;
    const batches = makeBatches(perGateway);
    // Default 4: the ingest worker's own lane count (IngestWorkerDeps.concurrency), so the figure is what a worker can do.
    const concurrency = kind === 'postgres' ? Number(arg('concurrency', '4')) : 1;
    // Warm-up: one batch per gateway (creates partitions, stream rows, rule state).
    for (let g = 0; g < GATEWAYS; g++) await processor.handle(batches[g]![0]!.topic, batches[g]![0]!.payload);
    let readings = 0;
    let nextBatch = 1;
    let nextGateway = 0;
    const cpu0 = process.cpuUsage();
    const pg0 = await pgBackendCpu(db);
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    // Each lane owns gateways g ≡ lane (mod concurrency), as one gateway's batches arrive in order.
    await Promise.all(
      Array.from({ length: concurrency }, async (_, lane) => {
        let b = 1;
        let g = lane;
        while (performance.now() < deadline && b < perGateway) {
          // GROUP consecutive batches of the gateway in one transaction, as the worker commits what queued up.
          const items = batches[g]!.slice(b, Math.min(perGateway, b + GROUP));
          const r = await processor.handleTelemetryGroup(items);
          readings += r.inserted;
          g += concurrency;
          if (g >= GATEWAYS) {
            g = lane;
            b += items.length;
          }
        }
        nextBatch = Math.max(nextBatch, b);
        nextGateway = g;
      }),
    );
    const secs = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const nodeCpu = (cpu.user + cpu.system) / 1e6;
    const pgCpu = (await pgBackendCpu(db)) - pg0;
    const rows = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM telemetry_raw');
    out(`ingest throughput ${kind}: ${Math.round(readings / secs).toLocaleString('en-US')} readings/s sustained over ${secs.toFixed(1)} s (${readings.toLocaleString('en-US')} readings, batches of ${BATCH}, ${GATEWAYS} gateways × ${POINTS_PER_GATEWAY} points, concurrency ${concurrency}, ${GROUP} batches per transaction, rules: ${rules.ruleSet.rules.length} template rules; rows ${Number(rows[0]?.n)})`);
    out(
      `  CPU: worker ${nodeCpu.toFixed(1)} s${kind === 'postgres' ? ` + PostgreSQL backends ${pgCpu.toFixed(1)} s` : ' (SQLite runs in-process)'} → ` +
        `${Math.round(readings / (nodeCpu + pgCpu)).toLocaleString('en-US')} readings per CPU-second; ` +
        `${Math.round((2 * readings) / (nodeCpu + pgCpu)).toLocaleString('en-US')} readings/s if both cores were free`,
    );
    void nextBatch;
    void nextGateway;
  } finally {
    await close();
  }
}

/** The bench schema's name (PgDb's search_path). */
function schemaOf(db: SqlDb): string {
  const schema = benchSchemas.get(db);
  if (!schema) throw new Error('not a bench PostgreSQL database');
  return schema;
}
const benchSchemas = new WeakMap<SqlDb, string>();

/** The background gateways' ingest in its own process (--split-bulk); resolves once it has subscribed. */
async function startBulkWorker(brokerUrl: string, schema: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./ingest-bulk-worker.ts', import.meta.url).pathname, brokerUrl, schema, String(GROUP)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ready = await lines.next();
  if (ready.done) throw new Error('the bulk worker exited before it was ready');
  return child;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function latency(): Promise<void> {
  const { db, close } = await openBenchDb('postgres');
  const broker = await startMosquitto();
  const sink = new CountingSink();
  const dir = directory();
  dir.add('probe', ['probe']);
  const rules = new RulesEngine({ logger: silentLogger, sites: { getSite: (id) => Promise.resolve({ id, type: 'hazchem' }) } }, loadRuleFile(TEMPLATE));
  const split = args.includes('--split-bulk');
  const bulkThread = args.includes('--bulk-thread');
  // Probe messages of one channel are published 200 ms apart and pass the worker in order: the n-th stage
  // event of a channel belongs to its n-th probe.
  type Trace = { sent: number; received?: number; started?: number; committed?: number };
  const traces = { telemetry: [] as Trace[], alarm: [] as Trace[] };
  const received = { telemetry: 0, alarm: 0 };
  // A group (several queued probe messages in one transaction) starts and commits all its messages at once;
  // alarm messages in different lanes may commit out of order, so their split is approximate.
  const onStage = (topic: string, stage: IngestStage, at: number): void => {
    if (!topic.includes('/probe/')) return;
    const channel = topic.endsWith('/telemetry') ? 'telemetry' : 'alarm';
    if (stage === 'received') {
      const tr = traces[channel][received[channel]++];
      if (tr) tr.received = at;
      return;
    }
    const before = stage === 'started' ? 'received' : 'started';
    for (const tr of traces[channel]) if (tr[before] !== undefined && tr[stage] === undefined) tr[stage] = at;
  };
  const worker = new IngestWorker({
    db, mqtt: { url: broker.url }, directory: dir, alarms: sink, rules, logger: silentLogger, concurrency: LANES, groupMessages: GROUP, reorderTimeoutMs: 10_000, onStage,
    ...(split ? { accept: (topic: string) => topic.includes('/probe/') } : {}),
    ...(bulkThread ? { bulkThread: { setup: new URL('./ingest-bulk-thread-setup.ts', import.meta.url).href, data: { schema: schemaOf(db), backendNice: BULK_BACKEND_NICE }, nice: BULK_NICE } } : {}),
  });
  await worker.start();
  if (bulkThread && !(await worker.bulkThreadStarted())) throw new Error('the bulk thread did not start');
  const bulkWorker = split ? await startBulkWorker(broker.url, schemaOf(db)) : undefined;
  const sentAt = new Map<string, Trace>();
  const lat = { edge: [] as number[], cloud: [] as number[] };
  const stages = { edge: [] as Required<Trace>[], cloud: [] as Required<Trace>[] };
  const raisedAt = { edge: [] as number[], cloud: [] as number[] };
  sink.onRaise = (i) => {
    const tr = sentAt.get(i.conditionKey);
    if (tr !== undefined) {
      const now = performance.now();
      lat[i.origin].push(now - tr.sent);
      if (tr.received !== undefined && tr.started !== undefined && tr.committed !== undefined) (stages[i.origin].push(tr as Required<Trace>), raisedAt[i.origin].push(now));
      sentAt.delete(i.conditionKey);
    }
  };
  const probe = await FakeGateway.connect(broker.url, 'probe');
  // The background load comes from its own process (builds its batches first, then waits for "go").
  const publisher = spawn(process.execPath, ['--import', 'tsx', new URL('./ingest-publisher.ts', import.meta.url).pathname, broker.url, String(BACKGROUND), String(SECONDS)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: publisher.stdout! })[Symbol.asyncIterator]();
  const ready = await lines.next();
  if (ready.done) throw new Error('the publisher exited before it was ready');
  publisher.stdin!.write('go\n');
  let probeSeq = { telemetry: 0, alarm: 0 };
  let probes = 0;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const pg0 = await pgBackendCpu(db);
  const probeTimer = setInterval(() => {
    probes += 1;
    const t = Date.now();
    if (probes % 2 === 0) {
      // A reading over the cloud limit (GAS_2 at 50 %LEL) on a fresh point: the cloud rule raises.
      const point = `probe/GT-${probes}/lel`;
      const tr = { sent: performance.now() };
      traces.telemetry.push(tr);
      sentAt.set(`limit:${point}:GAS_1`, tr);
      probeSeq.telemetry += 1;
      void probe.publish('telemetry', { v: 1, gatewayId: 'probe', stream: 'telemetry', events: [{ id: newId(t), seq: probeSeq.telemetry, point, value: 60, quality: 'good', sourceTime: t, gatewayTime: t }] });
    } else {
      const point = `probe/GE-${probes}/lel`;
      const tr = { sent: performance.now() };
      traces.alarm.push(tr);
      sentAt.set(`limit:${point}:GAS_2`, tr);
      probeSeq.alarm += 1;
      void probe.publish('alarm', { v: 1, gatewayId: 'probe', stream: 'alarm', events: [{ id: newId(t), seq: probeSeq.alarm, type: 'alarm', point, kind: 'raised', level: 'GAS_2', direction: 'high', limit: 50, value: 61, quality: 'good', sourceTime: t, gatewayTime: t }] });
    }
  }, 100);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  clearInterval(probeTimer);
  const done = await lines.next();
  const published = done.done ? { published: NaN, cpuSeconds: NaN } : (JSON.parse(done.value) as { published: number; cpuSeconds: number });
  await new Promise((r) => setTimeout(r, 3000));
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const pgCpu = (await pgBackendCpu(db)) - pg0;
  const stored = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM telemetry_raw WHERE gateway_id <> 'probe'");
  const storedBg = Number(stored[0]?.n);
  const fmt = (xs: number[], n: number): string =>
    xs.length === 0 ? `none of ${n} arrived` : `p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length}/${n})`;
  // What was committed by 3 s after the publisher stopped, of what it published over SECONDS.
  out(
    `alarm latency postgres${split ? " (--split-bulk)" : bulkThread ? " (--bulk-thread)" : ""}, publish → AlarmSink call (after the ingest commit), background offered ${BACKGROUND.toLocaleString('en-US')} readings/s: ` +
      `${storedBg.toLocaleString('en-US')} of ${published.published.toLocaleString('en-US')} published readings committed within 3 s of the end:`,
  );
  out(`  edge alarm event (alarm stream, priority lane): ${fmt(lat.edge, Math.ceil(probes / 2))}`);
  out(`  cloud limit rule on a telemetry reading:         ${fmt(lat.cloud, Math.floor(probes / 2))}`);
  for (const origin of ['edge', 'cloud'] as const) {
    const xs = stages[origin];
    const part = (name: string, f: (t: Required<Trace>, i: number) => number): string => {
      const v = xs.map(f);
      return `${name} p50 ${percentile(v, 50).toFixed(1)} / p99 ${percentile(v, 99).toFixed(1)}`;
    };
    out(
      `    where the ${origin} probe's time went (ms): ` +
        [
          part('publish → received', (t) => t.received - t.sent),
          part('queue', (t) => t.started - t.received),
          part('received → commit', (t) => t.committed - t.started),
          part('commit → AlarmSink', (t, i) => raisedAt[origin][i]! - t.committed),
        ].join('; '),
    );
  }
  out(`  worker event-loop delay: p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms`);
  out(
    `  CPU over the run: worker ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s + PostgreSQL backends ${pgCpu.toFixed(1)} s (publisher, own process: ${published.cpuSeconds.toFixed(1)} s for ${published.published.toLocaleString('en-US')} readings)`,
  );
  await probe.close();
  bulkWorker?.kill();
  await worker.stop();
  await broker.stop();
  await close();
  probeSeq = { telemetry: 0, alarm: 0 };
}

out(`# ingest bench ${new Date().toISOString()} node ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (!args.includes('--latency-only')) {
  if (WHICH === 'sqlite' || WHICH === 'both') await throughput('sqlite');
  if (WHICH === 'postgres' || WHICH === 'both') await throughput('postgres');
}
if (args.includes('--latency') || args.includes('--latency-only')) await latency();
