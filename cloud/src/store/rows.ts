/** Row shapes of the telemetry tables and their mapping to the store's public types. */
import type { Quality, ReasonCode } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import { decodeValue, type LatestValue, type MinuteAggregate, type RawReadingRow, type TimeSuspect } from './telemetry-store.ts';

export interface LatestRow {
  point: string;
  site_id: string;
  gateway_id: string;
  value_num: number | null;
  value_json: string | null;
  unit: string | null;
  quality: string;
  reason: string | null;
  source_time: number;
  gateway_time: number;
  event_id: string;
  historical: number | boolean;
  stale: number | boolean;
  good_since?: number | null;
  time_suspect?: string | null;
}

export interface RawRow {
  id: string;
  point: string;
  value_num: number | null;
  value_json: string | null;
  quality: string;
  reason: string | null;
  source_time: number;
  gateway_time: number;
  historical: number | boolean;
}

export interface MinuteRow {
  point: string;
  minute: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

export function rowToLatest(r: LatestRow): LatestValue {
  return {
    point: r.point,
    siteId: r.site_id,
    gatewayId: r.gateway_id,
    value: decodeValue(r.value_num, r.value_json),
    unit: r.unit,
    quality: r.quality as Quality,
    reason: r.reason as ReasonCode | null,
    sourceTime: Number(r.source_time),
    gatewayTime: Number(r.gateway_time),
    eventId: r.event_id,
    historical: Number(r.historical) === 1,
    stale: Number(r.stale) === 1,
    goodSince: r.good_since ? Number(r.good_since) : null,
    timeSuspect: r.time_suspect ? (JSON.parse(r.time_suspect) as TimeSuspect) : null,
  };
}

export function rowToRaw(r: RawRow): RawReadingRow {
  return {
    id: r.id,
    point: r.point,
    value: decodeValue(r.value_num, r.value_json),
    quality: r.quality as Quality,
    reason: r.reason as ReasonCode | null,
    sourceTime: Number(r.source_time),
    gatewayTime: Number(r.gateway_time),
    historical: Number(r.historical) === 1,
  };
}

export function rowToMinute(r: MinuteRow): MinuteAggregate {
  const count = Number(r.count);
  return { point: r.point, minute: Number(r.minute), min: r.min, max: r.max, avg: count > 0 ? r.sum / count : 0, count };
}

/** History of one point, raw or per-minute: the same portable SQL on SQLite and PostgreSQL. */
export async function queryHistory(db: SqlDb, point: string, from: number, to: number, resolution: 'raw' | '1m'): Promise<RawReadingRow[] | MinuteAggregate[]> {
  if (resolution === '1m') {
    const rows = await db.query<MinuteRow>(
      'SELECT point, minute, min, max, sum, count FROM telemetry_1m WHERE point = $1 AND minute >= $2 AND minute < $3 ORDER BY minute',
      [point, from - (from % 60_000), to],
    );
    return rows.map(rowToMinute);
  }
  const rows = await db.query<RawRow>(
    'SELECT id, point, value_num, value_json, quality, reason, source_time, gateway_time, historical FROM telemetry_raw WHERE point = $1 AND source_time >= $2 AND source_time < $3 ORDER BY source_time, id',
    [point, from, to],
  );
  return rows.map(rowToRaw);
}
