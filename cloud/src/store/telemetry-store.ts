/**
 * The telemetry store: raw readings (one row per event id), the latest value per point and
 * per-minute min/max/avg/count aggregates. Two implementations share this interface and one test
 * suite: SQLite (embedded default) and PostgreSQL (raw readings in daily partitions with retention).
 *
 * Writes happen inside the ingest transaction (`tx`), so the reading, the sequence bookkeeping and
 * the rule state commit together; reads use the store's own connection.
 */
import type { Quality, ReadingValue, ReasonCode, TelemetryEvent } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';

export interface LatestValue {
  point: string;
  siteId: string;
  gatewayId: string;
  value: ReadingValue;
  unit: string | null;
  quality: Quality;
  reason: ReasonCode | null;
  sourceTime: number;
  gatewayTime: number;
  eventId: string;
  historical: boolean;
  /** Set when the gateway went offline (its will arrived) and no fresher value has come since. */
  stale: boolean;
  /** Cloud receive time when the current run of good live readings began; null while the latest is not good. */
  goodSince: number | null;
  /**
   * The last reading whose device time was implausible (quality uncertain, reason bad_time): kept beside
   * the latest value, never replacing it, until a reading with a sane time follows. Null when none.
   */
  timeSuspect: TimeSuspect | null;
}

export interface TimeSuspect {
  value: ReadingValue;
  quality: Quality;
  reason: ReasonCode | null;
  detail: string | null;
  sourceTime: number;
  gatewayTime: number;
  eventId: string;
}

export interface RawReadingRow {
  id: string;
  point: string;
  value: ReadingValue;
  quality: Quality;
  reason: ReasonCode | null;
  sourceTime: number;
  gatewayTime: number;
  historical: boolean;
}

export interface MinuteAggregate {
  point: string;
  /** Start of the minute, epoch ms. */
  minute: number;
  min: number;
  max: number;
  avg: number;
  count: number;
}

export type LatestQuery = { points: readonly string[] } | { siteId: string };

export interface TelemetryStore {
  readonly db: SqlDb;
  /** Run this store's migrations. */
  init(): Promise<void>;
  /**
   * Before the transaction: make sure the storage for these events exists (PostgreSQL creates the
   * daily partitions they fall in). Never called inside a transaction.
   */
  prepare(events: readonly TelemetryEvent[]): Promise<void>;
  /**
   * Inside the ingest transaction: insert the events (duplicates by id are ignored), then update
   * latest values and per-minute aggregates from the newly inserted ones only. Returns the events
   * that were new, in input order.
   */
  insert(tx: SqlDb, gatewayId: string, events: readonly TelemetryEvent[], receivedAt: number, epoch?: number, hint?: InsertHint): Promise<TelemetryEvent[]>;
  /** Mark every latest value of a gateway stale (its will arrived). Returns how many points. */
  markGatewayStale(tx: SqlDb, gatewayId: string): Promise<number>;
  latest(query: LatestQuery): Promise<LatestValue[]>;
  history(point: string, from: number, to: number, resolution: 'raw'): Promise<RawReadingRow[]>;
  history(point: string, from: number, to: number, resolution: '1m'): Promise<MinuteAggregate[]>;
  history(point: string, from: number, to: number, resolution: 'raw' | '1m'): Promise<RawReadingRow[] | MinuteAggregate[]>;
  /** Drop raw readings older than the retention (PostgreSQL: whole daily partitions). */
  applyRetention(now: number): Promise<{ dropped: number }>;
}

export interface InsertHint {
  /**
   * Every event carries a seq its stream has never taken in this epoch, so none is likely stored yet
   * (PostgreSQL then tries COPY, falling back to the idempotent insert on a duplicate).
   */
  newSeqs?: boolean;
}

export interface TelemetryStoreOptions {
  /** Raw readings are kept this many days (PostgreSQL drops whole day partitions). Default 90. */
  retentionDays?: number;
  /** PostgreSQL: raw rows go in by COPY from batches of at least this many new readings (default 16). */
  copyMinEvents?: number;
}

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export function minuteOf(t: number): number {
  return t - (t % MINUTE_MS);
}

/** Numbers go to value_num; everything else is JSON text in value_json. */
export function encodeValue(v: ReadingValue): { num: number | null; json: string | null } {
  return typeof v === 'number' ? { num: v, json: null } : { num: null, json: JSON.stringify(v) };
}

export function decodeValue(num: number | null, json: string | null): ReadingValue {
  if (num !== null && num !== undefined) return num;
  if (json === null || json === undefined) return null;
  return JSON.parse(json) as ReadingValue;
}

/** Per-(point, minute) aggregates of good numeric readings. */
export function minuteAggregates(events: readonly TelemetryEvent[]): { point: string; minute: number; min: number; max: number; sum: number; count: number }[] {
  const acc = new Map<string, { point: string; minute: number; min: number; max: number; sum: number; count: number }>();
  for (const e of events) {
    if (e.quality !== 'good' || typeof e.value !== 'number') continue;
    const minute = minuteOf(e.sourceTime);
    const key = `${e.point}\u0000${minute}`;
    const a = acc.get(key);
    if (a) {
      a.min = Math.min(a.min, e.value);
      a.max = Math.max(a.max, e.value);
      a.sum += e.value;
      a.count += 1;
    } else acc.set(key, { point: e.point, minute, min: e.value, max: e.value, sum: e.value, count: 1 });
  }
  return [...acc.values()].sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : a.minute - b.minute));
}

export function siteOf(point: string): string {
  const i = point.indexOf('/');
  return i < 0 ? point : point.slice(0, i);
}
