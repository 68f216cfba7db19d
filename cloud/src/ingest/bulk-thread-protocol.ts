/**
 * The messages between the ingest worker and its bulk telemetry thread (bulk-thread.ts on the main
 * side, bulk-thread-main.ts in the thread). Plain data only: everything crosses a structured clone.
 */
import type { Logger } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { RulesEvaluator } from '../rules/evaluator.ts';
import type { TelemetryStore } from '../store/telemetry-store.ts';
import type { GatewayDirectory } from './directory.ts';
import type { UplinkOutcome } from './uplink-processor.ts';

/**
 * What the thread builds for itself from `data` (it cannot share the main thread's objects): its own
 * database pool, gateway directory and rules engine over the same database. A module that exports
 * `setupBulkThread` of this type is named in IngestWorkerDeps.bulkThread.
 */
export type BulkThreadSetup = (data: unknown, logger: Logger) => Promise<BulkThreadParts>;

export interface BulkThreadParts {
  db: SqlDb;
  directory: GatewayDirectory;
  rules?: RulesEvaluator & { reloadIfNewer?(db: SqlDb): Promise<void>; readonly ruleSet?: { version: number } };
  store?: TelemetryStore;
  /** Called when the thread stops (close the pool). */
  close?(): Promise<void>;
}

/** Given to the thread as workerData. */
export interface BulkThreadInit {
  /** The thread's entry module (bulk-thread-main.ts), loaded by the boot module. */
  entry: string;
  /** URL of the module exporting `setupBulkThread`. */
  setup: string;
  data: unknown;
  offlineGraceMs: number;
  plannedStopGraceMs?: number | undefined;
  seqWindow?: number | undefined;
  stuckRoundGapMs?: number | undefined;
  /** Added to the thread's nice value (Linux: per thread, at most 19), so alarm work on the main thread goes first. */
  nice: number;
  /** The worker evaluates rules: a setup without them is refused (the thread would acknowledge readings no rule saw). */
  rulesRequired: boolean;
}

export interface GroupJob {
  t: 'group';
  id: number;
  items: { topic: string; payload: Uint8Array }[];
  receivedAt: number;
  /** The main thread's clock when it sent the job. */
  now: number;
  /** The rule set version the main thread's engine has: the thread catches up before it evaluates. */
  rulesVersion: number;
  /** Return the readings stored for the first time (only when someone watches live values). */
  wantFresh: boolean;
}

export type ToThread = GroupJob | { t: 'stop' };

/** A metric call made in the thread, replayed on the main thread's Prometheus metrics. */
export type MetricCall = [name: string, method: 'inc' | 'observe', args: unknown[]];

export type FromThread =
  | { t: 'ready' }
  | { t: 'done'; id: number; outcome: UplinkOutcome; metrics: MetricCall[] }
  | { t: 'failed'; id: number; error: string; metrics: MetricCall[] }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; obj: object; msg: string | undefined }
  | { t: 'fatal'; error: string };
