/**
 * Scale-out (issue 20): three ingest worker processes on one PostgreSQL schema behind a private
 * Mosquitto (MQTT 5 shared subscription `$share/ingest/…`), simulated gateways in a separate load
 * process (scale-out-gateways.ts) that keep the uplink's ack contract (window, go-back-N resend on the
 * ack timeout and on a new cloud session, replay commands, births announcing nextSeq). One worker is
 * killed with SIGKILL halfway through. After the offered period the gateways drain (resend what they
 * sent until it is acknowledged) and the database is checked.
 *
 *   node --import tsx cloud/bench/scale-out.bench.ts [--gateways 1000] [--rate 60000] [--seconds 300]
 *        [--short] [--workers 3] [--kill-at <s>, default seconds/2, 0 = none] [--interval-ms 10000]
 *        [--batch-max 600] [--window 8] [--ack-timeout-ms 20000] [--crossings 10] [--drain-seconds 900]
 *        [--reorder-ms 10000] [--replay-ms 60000] [--status-ms 30000]
 *
 * --short is 30 s. Prints a table and one `SCALEOUT {json}` line (the test reads it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@safeloop/contract';
import { loadAverage, procCpuMs } from '@safeloop/test-rigs/bench/proc-stats';
import { createPgSchema, dropPgSchema, PgDb } from '../src/db/index.ts';
import { IngestWorker } from '../src/ingest/index.ts';
import { SHARED_SESSION_EXPIRY_SEC } from '../src/ingest/ingest-worker.ts';
import { RulesEngine } from '../src/rules/index.ts';
import { count, MemoryDirectory, PG_URL, startMosquitto } from '../test/ingest/helpers.ts';
import { createSinkTable, TableSink } from '../test/ingest/table-sink.ts';
import type { LoadOptions, LoadProgress, LoadResult } from './scale-out-gateways.ts';
import { alarmLatency, checkStore, integrityAlarms, takeover } from './scale-out-verify.ts';

const args = process.argv.slice(2);
const num = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const SECONDS = num('seconds', args.includes('--short') ? 30 : 300);
const WORKERS = num('workers', 3);
const KILL_AT = num('kill-at', SECONDS / 2);
// The workers' reorder and replay timeouts: IngestWorker's defaults unless given.
const REORDER_MS = num('reorder-ms', 10_000);
const REPLAY_MS = num('replay-ms', 60_000);
const out = (s: string): void => void process.stdout.write(`${s}\n`);
const fmt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const WORKER = fileURLToPath(new URL('../test/ingest/scale-out-worker.ts', import.meta.url));
const LOAD = fileURLToPath(new URL('./scale-out-gateways.ts', import.meta.url));

const started = new Date();
const loadAtStart = loadAverage();
const schema = `bench_scale_${randomBytes(4).toString('hex')}`;
await createPgSchema(PG_URL, schema);
const broker = await startMosquitto();
const db = new PgDb({ connectionString: PG_URL, schema, max: 2 });
const procs: ChildProcess[] = [];
const opts: LoadOptions = {
  url: broker.url,
  gateways: num('gateways', 1000),
  rate: num('rate', 60_000),
  seconds: SECONDS,
  drainSeconds: num('drain-seconds', 900),
  intervalMs: num('interval-ms', 10_000),
  batchMax: num('batch-max', 600),
  window: num('window', 8),
  ackTimeoutMs: num('ack-timeout-ms', 20_000),
  crossingsPerSecond: num('crossings', 10),
  recordFromS: KILL_AT - 5,
  recordToS: KILL_AT + SHARED_SESSION_EXPIRY_SEC + 10,
  statusMs: num('status-ms', 30_000),
};
const command = `node --import tsx cloud/bench/scale-out.bench.ts --gateways ${opts.gateways} --rate ${opts.rate} --seconds ${SECONDS} --workers ${WORKERS} --kill-at ${KILL_AT} --ack-timeout-ms ${opts.ackTimeoutMs} --reorder-ms ${REORDER_MS} --replay-ms ${REPLAY_MS} --status-ms ${opts.statusMs}`;

try {
  await createSinkTable(db);
  // Migrate once up front, so the workers' start-up is only their subscription.
  await new IngestWorker({ db, mqtt: { url: broker.url }, directory: new MemoryDirectory(), alarms: new TableSink(db), rules: new RulesEngine({ logger: silentLogger }), logger: silentLogger }).migrate();

  // Workers: the scale-out test's worker process, listing the batches it gets on their first delivery.
  const firstDeliveries = new Map<ChildProcess, string[]>();
  const startWorker = (): Promise<ChildProcess> => {
    const p = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { ...process.env, SCALE_PG_URL: `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}application_name=${schema}`, SCALE_PG_SCHEMA: schema, SCALE_MQTT_URL: broker.url, SCALE_GATEWAYS: String(opts.gateways), SCALE_REORDER_MS: String(REORDER_MS), SCALE_REPLAY_MS: String(REPLAY_MS) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    procs.push(p);
    const got: string[] = [];
    firstDeliveries.set(p, got);
    return new Promise((resolve, reject) => {
      createInterface({ input: p.stdout! }).on('line', (l) => (l === 'ready' ? resolve(p) : l.startsWith('r ') && got.push(l.slice(2))));
      p.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
  };
  const workers = await Promise.all(Array.from({ length: WORKERS }, startWorker));

  // CPU: each worker process, and the PostgreSQL backends of this schema (sampled, as backends come and go).
  const workerCpu = new Map<number, { first: number; last: number }>();
  const pgCpu = new Map<number, { first: number; last: number }>();
  const sampleCpu = async (): Promise<void> => {
    for (const w of workers) {
      const ms = procCpuMs(w.pid);
      if (ms === 0 || w.exitCode !== null || w.signalCode !== null) continue;
      const e = workerCpu.get(w.pid!);
      if (e) e.last = ms;
      else workerCpu.set(w.pid!, { first: ms, last: ms });
    }
    const rows = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [schema]);
    for (const { pid } of rows) {
      const ms = procCpuMs(pid);
      const e = pgCpu.get(pid);
      if (e) e.last = Math.max(e.last, ms);
      else pgCpu.set(pid, { first: ms, last: ms });
    }
  };

  // 1,000 gateways' MQTT clients buffer what an overloaded broker has not taken yet: give them room.
  const load = spawn(process.execPath, ['--max-old-space-size=8192', '--import', 'tsx', LOAD, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'inherit'] });
  procs.push(load);
  const lines = createInterface({ input: load.stdout! })[Symbol.asyncIterator]();
  if ((await lines.next()).done) throw new Error('the load process exited before it was ready');
  await sampleCpu();
  const t0 = Date.now();
  load.stdin!.write('go\n');
  let killedAt = 0;
  const killTimer = KILL_AT > 0 && WORKERS > 1
    ? setTimeout(() => {
        void sampleCpu().then(() => {
          killedAt = Date.now();
          workers[1]!.kill('SIGKILL');
        });
      }, KILL_AT * 1000)
    : undefined;
  const sampler = setInterval(() => void sampleCpu().catch(() => undefined), 2000);
  const progress: LoadProgress[] = [];
  let result: LoadResult | undefined;
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const m = JSON.parse(next.value) as LoadProgress | LoadResult;
    if ('done' in m) result = m;
    else progress.push(m);
  }
  clearInterval(sampler);
  if (killTimer) clearTimeout(killTimer);
  await sampleCpu();
  if (!result) throw new Error('the load process ended without a result');

  // Alarm decisions the killed worker left behind are delivered by the survivors' timer pass.
  const outboxBy = Date.now() + 30_000;
  while ((await count(db, 'SELECT COUNT(*) AS n FROM alarm_outbox')) > 0 && Date.now() < outboxBy) await new Promise((r) => setTimeout(r, 200));
  const store = await checkStore(db, result);
  const alarms = await alarmLatency(db, result);
  const survivorsGot = new Set(workers.filter((_, i) => i !== 1).flatMap((w) => firstDeliveries.get(w) ?? []));
  const take = killedAt > 0 ? await takeover(db, result, killedAt, survivorsGot) : undefined;
  const integrity = await integrityAlarms(db);

  // Rates from the gateways' point of view: acknowledged readings (committed) over the offered period.
  const stopAt = t0 + SECONDS * 1000;
  const atStop = progress.find((p) => p.at >= stopAt) ?? progress.at(-1)!;
  const offered = atStop.generated / ((atStop.at - t0) / 1000);
  const committed = atStop.acked / ((atStop.at - t0) / 1000);
  const window = (from: number, to: number): number => {
    const a = progress.find((p) => p.at >= from);
    const b = [...progress].reverse().find((p) => p.at <= to);
    return a && b && b.at > a.at ? (b.acked - a.acked) / ((b.at - a.at) / 1000) : NaN;
  };
  const beforeKill = killedAt > 0 ? window(t0 + 5000, killedAt) : window(t0 + 5000, stopAt);
  const afterKill = killedAt > 0 ? window(killedAt + (SHARED_SESSION_EXPIRY_SEC + 5) * 1000, stopAt) : NaN;
  const sumCpu = (m: Map<number, { first: number; last: number }>): number => [...m.values()].reduce((n, e) => n + e.last - e.first, 0) / 1000;
  const wCpu = sumCpu(workerCpu);
  const pCpu = sumCpu(pgCpu);
  const ok = store.lostAcked === 0 && store.lostSent === 0 && store.duplicated === 0 && result.drained;
  const summary = {
    startedUtc: started.toISOString(), loadAtStart, loadAtEnd: loadAverage(), cpus: cpus().length, command,
    gateways: opts.gateways, workers: WORKERS, seconds: SECONDS, offered: Math.round(offered), committed: Math.round(committed),
    committedBeforeKill: Math.round(beforeKill), committedAfterTakeover: Math.round(afterKill),
    backlogAtStop: { journal: atStop.generated - atStop.sent, inFlight: atStop.sent - atStop.acked },
    publishes: result.publishes, resends: result.resends, replays: result.replays,
    drained: result.drained, drainSeconds: Math.round((result.drainedAt - stopAt) / 100) / 10,
    ...store, integrityAlarms: integrity, alarms, killedAtS: killedAt > 0 ? Math.round((killedAt - t0) / 100) / 10 : null, takeover: take,
    cpu: { workers: Math.round(wCpu * 10) / 10, postgres: Math.round(pCpu * 10) / 10, load: Math.round(result.cpuSeconds * 10) / 10 },
    readingsPerCpuSecond: Math.round(store.rows / (wCpu + pCpu)), ok,
  };
  out(`# scale-out bench ${summary.startedUtc}, node ${process.version}, ${summary.cpus} CPUs, load average ${loadAtStart} at start, ${summary.loadAtEnd} at end`);
  out(`# ${command}`);
  out(`  offered ${fmt(opts.rate)} readings/s (${fmt(offered)}/s journaled by the last upload before the end) by ${opts.gateways} gateways (batches ≤ ${opts.batchMax}, every ${opts.intervalMs} ms, window ${opts.window}, ack timeout ${opts.ackTimeoutMs / 1000} s) for ${SECONDS} s; ${WORKERS} workers, reorder ${REORDER_MS / 1000} s, replay timeout ${REPLAY_MS / 1000} s`);
  out(`  committed (acknowledged) ${fmt(committed)} readings/s: ${fmt(beforeKill)}/s with ${WORKERS} workers before the kill, ${fmt(afterKill)}/s with ${WORKERS - 1} after the takeover`);
  out(`  backlog at the end of the offered period: ${fmt(summary.backlogAtStop.journal)} readings in the gateways' journals never sent, ${fmt(summary.backlogAtStop.inFlight)} sent and not yet acknowledged`);
  out(`  drain: ${result.drained ? `everything sent acknowledged ${summary.drainSeconds} s after the offered period` : `NOT drained within ${opts.drainSeconds} s`}; ${fmt(result.publishes)} publishes, ${fmt(result.resends)} resent batches, ${fmt(result.replays)} replayed`);
  out(`  store: ${fmt(store.rows)} rows; lost acknowledged ${store.lostAcked}, lost sent ${store.lostSent}, duplicated ${store.duplicated}`);
  out(`  alarm latency, publish → alarm recorded (after the ingest and outbox commits): p50 ${fmt(alarms.p50)} ms, p99 ${fmt(alarms.p99)} ms, max ${fmt(alarms.max)} ms (${alarms.alarmed}/${alarms.crossings} crossings; reading time → alarm p99 ${fmt(alarms.fromSourceP99)} ms)`);
  out(`  data-integrity alarms (gaps still open after a replay request; held, never acknowledged past): ${integrity.raised} raised, ${integrity.open} still active at the end`);
  if (take)
    out(
      `  kill at ${summary.killedAtS} s: the dead session took ${take.held} batches, the last published ${fmt(take.lastTakenMs)} ms after the kill (session expiry ${SHARED_SESSION_EXPIRY_SEC} s); ` +
        `survivors received the first ${fmt(take.firstMs)} ms and the last ${fmt(take.lastMs)} ms after the kill`,
    );
  out(`  CPU: workers ${summary.cpu.workers} s, PostgreSQL backends ${summary.cpu.postgres} s, load process ${summary.cpu.load} s → ${fmt(summary.readingsPerCpuSecond)} readings per worker+PostgreSQL CPU-second`);
  out(`  ${ok ? 'OK' : 'FAILED'}: 0 lost and 0 duplicated ${ok ? 'held' : 'did NOT hold'}`);
  out(`SCALEOUT ${JSON.stringify(summary)}`);
  if (!ok) process.exitCode = 1;
} finally {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : Promise.resolve())));
  await db.close();
  await broker.stop();
  if (process.env.SCALE_KEEP_SCHEMA) out(`# schema ${schema} kept`);
  else await dropPgSchema(PG_URL, schema);
}
