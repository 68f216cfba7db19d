/** The seam between ingest and the rules engine (RulesEngine implements it). */
import type { TelemetryEvent } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { OutboxOp } from '../store/alarm-outbox.ts';

export type Enqueue = (tx: SqlDb, ops: readonly OutboxOp[]) => Promise<number>;

export interface RulesEvaluator {
  /** Migrations and the stored rule set; run once at worker start. */
  init(db: SqlDb): Promise<void>;
  /** Before the ingest transaction; may do I/O (site lookups). */
  prepare(gatewayId: string, readings: readonly TelemetryEvent[]): Promise<void>;
  /** Inside the ingest transaction: newly committed readings → alarm decisions (no I/O but the tx). */
  evaluate(tx: SqlDb, gatewayId: string, readings: readonly TelemetryEvent[], now: number): Promise<OutboxOp[]>;
  /** Due timers (on/off delays, durations, stale data) in their own transactions. Returns decisions enqueued. */
  runTimers(db: SqlDb, now: number, enqueue: Enqueue): Promise<number>;
  /** Grace before a 'gateway offline' alarm, from a gateway-offline rule for one of these sites. */
  gatewayOfflineGraceMs(siteIds: readonly string[]): number | undefined;
}
