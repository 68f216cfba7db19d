/**
 * The bulk telemetry thread: parses, stores and evaluates big telemetry groups with its own database
 * pool, so the main thread's event loop stays free for alarms, statuses and small batches. It commits
 * exactly as the main thread would (UplinkProcessor.handleTelemetryGroup); the main thread publishes the
 * ack and dispatches the alarm decisions after it reports the commit. Nothing here is acknowledged, so a
 * thread that dies loses nothing: the gateway resends what was not acknowledged.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage, type Clock, type Logger } from '@safeloop/contract';
import type { AlarmSink } from '../alarms/alarm-sink.ts';
import { AlarmOutbox } from '../store/alarm-outbox.ts';
import { createTelemetryStore } from '../store/index.ts';
import type { BulkThreadInit, BulkThreadSetup, FromThread, MetricCall, ToThread } from './bulk-thread-protocol.ts';
import { CachedDirectory } from './directory.ts';
import { newestPerPoint } from './newest-per-point.ts';
import type { IngestMetrics } from './metrics.ts';
import { UplinkProcessor } from './uplink-processor.ts';

const port = parentPort;
if (!port) throw new Error('bulk-thread-main.ts runs only as a worker thread');
const init = workerData as BulkThreadInit;

function send(msg: FromThread): void {
  port!.postMessage(msg);
}

/** Logs go to the main thread's logger (one log configuration, one output). */
function portLogger(bindings: Record<string, unknown>): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object, msg?: string): void =>
      send({ t: 'log', level, obj: { ...bindings, ...obj, thread: 'bulk' }, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => portLogger({ ...bindings, ...more }) };
}

/** Metric calls are recorded and sent back with each job's answer, to be counted on the main thread. */
const metricCalls: MetricCall[] = [];
const METRIC_NAMES: readonly (keyof IngestMetrics)[] = [
  'readingsIngested', 'rejected', 'batches', 'duplicates', 'commitSeconds', 'gaps', 'replayRequests', 'integrityAlarms', 'staleDeathsIgnored', 'alarmDispatchFailures', 'edgeAlarmEvents',
];
const recordingMetrics = Object.fromEntries(
  METRIC_NAMES.map((name) => [name, { inc: (...args: unknown[]) => metricCalls.push([name, 'inc', args]), observe: (...args: unknown[]) => metricCalls.push([name, 'observe', args]) }]),
) as unknown as IngestMetrics;

/**
 * The main thread's wall clock (it may be a test's): the thread's `now` is the latest `now` a job carried,
 * never later than the main thread's and never going back, so outbox rows are due when the main thread
 * dispatches them.
 */
let mainNow = 0;
const clock: Clock = { now: () => mainNow, monotonic: () => performance.now() };

/** The thread only enqueues decisions inside its transactions; the main thread dispatches them. */
const noDispatch: AlarmSink = {
  raise: () => Promise.reject(new Error('the bulk thread never dispatches alarms')),
  clear: () => Promise.reject(new Error('the bulk thread never dispatches alarms')),
};

async function start(): Promise<void> {
  const logger = portLogger({ module: 'cloud:ingest' });
  // On Linux a nice value belongs to a thread: this one yields the CPU to the main thread's alarms.
  if (init.nice !== 0) {
    try {
      setPriority(Math.min(19, getPriority() + init.nice));
    } catch (err) {
      logger.warn({ err: errorMessage(err), nice: init.nice }, 'could not lower the bulk thread priority');
    }
  }
  const mod = (await import(init.setup)) as { setupBulkThread?: BulkThreadSetup };
  if (typeof mod.setupBulkThread !== 'function') throw new Error(`${init.setup} does not export setupBulkThread`);
  const parts = await mod.setupBulkThread(init.data, logger);
  const { db, rules } = parts;
  if (init.rulesRequired && !rules) throw new Error(`${init.setup}: setupBulkThread returned no rules engine, but the worker evaluates rules`);
  if (rules) await rules.init(db);
  const processor = new UplinkProcessor({
    db,
    store: parts.store ?? createTelemetryStore(db),
    outbox: new AlarmOutbox({ db, sink: noDispatch, logger, clock: clock }),
    directory: new CachedDirectory(parts.directory, 30_000, () => clock.monotonic()),
    rules,
    metrics: recordingMetrics,
    logger,
    clock: clock,
    offlineGraceMs: init.offlineGraceMs,
    plannedStopGraceMs: init.plannedStopGraceMs,
    seqWindow: init.seqWindow,
    stuckRoundGapMs: init.stuckRoundGapMs,
  });
  port!.on('message', (msg: ToThread) => {
    if (msg.t === 'stop') {
      void (parts.close?.() ?? Promise.resolve()).finally(() => port!.close());
      return;
    }
    mainNow = Math.max(mainNow, msg.now);
    // The main thread's engine follows the stored rule sets (every worker's timer pass); this one follows it.
    const catchUp = rules?.reloadIfNewer && (rules.ruleSet?.version ?? 0) < msg.rulesVersion ? rules.reloadIfNewer(db) : Promise.resolve();
    catchUp.then(() => processor.handleTelemetryGroup(msg.items, msg.receivedAt)).then(
      (outcome) => {
        const { fresh, ...rest } = outcome;
        send({ t: 'done', id: msg.id, outcome: msg.wantFresh && fresh ? { ...rest, fresh: newestPerPoint(fresh) } : rest, metrics: metricCalls.splice(0) });
      },
      (err: unknown) => send({ t: 'failed', id: msg.id, error: errorMessage(err), metrics: metricCalls.splice(0) }),
    );
  });
  send({ t: 'ready' });
}

start().catch((err: unknown) => send({ t: 'fatal', error: errorMessage(err) }));
