/** The telemetry store on SQLite: one table per kind, per-row prepared inserts in the caller's transaction. */
import type { TelemetryEvent } from '@safeloop/contract';
import { migrate, type SqlDb } from '../db/index.ts';
import { TELEMETRY_MIGRATIONS } from './migrations.ts';
import {
  DAY_MS,
  encodeValue,
  minuteAggregates,
  siteOf,
  type LatestQuery,
  type LatestValue,
  type MinuteAggregate,
  type RawReadingRow,
  type TelemetryStore,
  type TelemetryStoreOptions,
} from './telemetry-store.ts';
import { latestSetClause, selectLatest, suspectJson } from './latest-selection.ts';
import { queryHistory, rowToLatest, type LatestRow } from './rows.ts';

const INSERT_RAW = `INSERT INTO telemetry_raw (id, gateway_id, point, seq, value_num, value_json, quality, reason, detail, source_time, gateway_time, historical, received_at, epoch)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING`;

// A live reading also decides the time-suspect marker ($16: the bad_time reading after it, or none).
const INSERT_LATEST = `INSERT INTO telemetry_latest (point, site_id, gateway_id, value_num, value_json, unit, quality, reason, source_time, gateway_time, event_id, historical, stale, good_at, good_since, time_suspect)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, $13, CASE WHEN $14 = -1 THEN $15 ELSE $14 END, $16)`;
const UPSERT_LATEST = {
  live: `${INSERT_LATEST} ON CONFLICT (point) DO UPDATE SET ${latestSetClause('max', 'live', { gs: '$14', now: '$15' })}, time_suspect = excluded.time_suspect`,
  historical: `${INSERT_LATEST} ON CONFLICT (point) DO UPDATE SET ${latestSetClause('max', 'historical')}`,
  ifAbsent: `${INSERT_LATEST} ON CONFLICT (point) DO NOTHING`,
};
const SET_SUSPECT = 'UPDATE telemetry_latest SET time_suspect = $2 WHERE point = $1';

const UPSERT_1M = `INSERT INTO telemetry_1m (point, minute, min, max, sum, count) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (point, minute) DO UPDATE SET min = min(telemetry_1m.min, excluded.min), max = max(telemetry_1m.max, excluded.max),
  sum = telemetry_1m.sum + excluded.sum, count = telemetry_1m.count + excluded.count`;

export class SqliteTelemetryStore implements TelemetryStore {
  private readonly retentionDays: number;
  constructor(
    readonly db: SqlDb,
    opts: TelemetryStoreOptions = {},
  ) {
    if (db.dialect !== 'sqlite') throw new Error('SqliteTelemetryStore needs a SQLite SqlDb');
    this.retentionDays = opts.retentionDays ?? 90;
  }

  init(): Promise<void> {
    return migrate(this.db, 'telemetry', TELEMETRY_MIGRATIONS);
  }

  prepare(): Promise<void> {
    return Promise.resolve();
  }

  async insert(tx: SqlDb, gatewayId: string, events: readonly TelemetryEvent[], receivedAt: number, epoch = 0): Promise<TelemetryEvent[]> {
    const fresh: TelemetryEvent[] = [];
    for (const e of events) {
      const v = encodeValue(e.value);
      const n = await tx.exec(INSERT_RAW, [
        e.id, gatewayId, e.point, e.seq, v.num, v.json, e.quality, e.reason ?? null, e.detail ?? null,
        e.sourceTime, e.gatewayTime, e.historical === true ? 1 : 0, receivedAt, epoch,
      ]);
      if (n > 0) fresh.push(e);
    }
    const { candidates, suspects } = selectLatest(fresh, receivedAt);
    const suspectOf = new Map(suspects.map((x) => [x.point, suspectJson(x.event)]));
    for (const c of candidates) {
      const e = c.event;
      const v = encodeValue(e.value);
      const live = c.mode === 'live';
      await tx.exec(UPSERT_LATEST[c.mode], [
        e.point, siteOf(e.point), gatewayId, v.num, v.json, e.unit ?? null, e.quality, e.reason ?? null,
        e.sourceTime, e.gatewayTime, e.id, e.historical === true ? 1 : 0, c.good ? receivedAt : 0,
        live ? c.goodSince : 0, receivedAt, live ? (suspectOf.get(e.point) ?? null) : null,
      ]);
      if (live) suspectOf.delete(e.point);
    }
    // Markers of points without a live reading in the batch (a live row set its own above).
    for (const [point, json] of suspectOf) await tx.exec(SET_SUSPECT, [point, json]);
    for (const a of minuteAggregates(fresh)) {
      await tx.exec(UPSERT_1M, [a.point, a.minute, a.min, a.max, a.sum, a.count]);
    }
    return fresh;
  }

  markGatewayStale(tx: SqlDb, gatewayId: string): Promise<number> {
    return tx.exec('UPDATE telemetry_latest SET stale = 1 WHERE gateway_id = $1 AND stale = 0', [gatewayId]);
  }

  async latest(query: LatestQuery): Promise<LatestValue[]> {
    if ('siteId' in query) {
      const rows = await this.db.query<LatestRow>('SELECT * FROM telemetry_latest WHERE site_id = $1 ORDER BY point', [query.siteId]);
      return rows.map(rowToLatest);
    }
    if (query.points.length === 0) return [];
    const out: LatestValue[] = [];
    for (let i = 0; i < query.points.length; i += 200) {
      const chunk = query.points.slice(i, i + 200);
      const marks = chunk.map((_, j) => `$${j + 1}`).join(', ');
      const rows = await this.db.query<LatestRow>(`SELECT * FROM telemetry_latest WHERE point IN (${marks}) ORDER BY point`, chunk);
      out.push(...rows.map(rowToLatest));
    }
    return out.sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : 0));
  }

  history(point: string, from: number, to: number, resolution: 'raw'): Promise<RawReadingRow[]>;
  history(point: string, from: number, to: number, resolution: '1m'): Promise<MinuteAggregate[]>;
  history(point: string, from: number, to: number, resolution: 'raw' | '1m'): Promise<RawReadingRow[] | MinuteAggregate[]>;
  async history(point: string, from: number, to: number, resolution: 'raw' | '1m'): Promise<RawReadingRow[] | MinuteAggregate[]> {
    return queryHistory(this.db, point, from, to, resolution);
  }

  async applyRetention(now: number): Promise<{ dropped: number }> {
    const cutoff = now - this.retentionDays * DAY_MS;
    const dropped = await this.db.exec('DELETE FROM telemetry_raw WHERE source_time < $1', [cutoff]);
    return { dropped };
  }
}
