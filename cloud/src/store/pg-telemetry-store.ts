/**
 * The telemetry store on PostgreSQL. Raw readings live in daily range partitions of
 * `telemetry_raw` (by source time); retention drops whole partitions. Each batch is written with
 * one statement per table: raw rows by COPY when their seqs are new (pg-raw-copy.ts), else as one JSON
 * parameter expanded by json_to_recordset; latest values and minute rows as one array per column, expanded
 * by unnest (pg-arrays.ts: cheaper for the server to read than JSON records).
 */
import type { TelemetryEvent } from '@safeloop/contract';
import { migrate, type SqlDb, type SqlParam } from '../db/index.ts';
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
  type InsertHint,
  type TelemetryStore,
  type TelemetryStoreOptions,
} from './telemetry-store.ts';
import { numArray, textArray } from './pg-arrays.ts';
import { copyRaw } from './pg-raw-copy.ts';
import { latestSetClause, selectLatest, suspectJson } from './latest-selection.ts';
import { queryHistory, rowToLatest, type LatestRow } from './rows.ts';

const INSERT_RAW = `INSERT INTO telemetry_raw (id, gateway_id, point, seq, value_num, value_json, quality, reason, detail, source_time, gateway_time, historical, received_at, epoch)
SELECT u.id, $1, u.point, u.seq, u.n, u.j, u.q, u.r, u.d, u.st, u.gt, u.h, $2, $4
FROM json_to_recordset($3::json) AS u(id text, point text, seq bigint, n float8, j text, q text, r text, d text, st bigint, gt bigint, h int)
ON CONFLICT DO NOTHING RETURNING id`;

// One statement per batch and mode writes each latest row once. A live row's good run either restarts
// (gs = 0 or a time: the value is taken as it is) or continues (gs = -1: keep the stored run when the
// stored latest is good and live, else it starts now); the two kinds go in separate statements because
// ON CONFLICT … SET sees only the stored row and the inserted one. A live reading also decides the
// time-suspect marker (the bad_time reading after it, or none).
const INSERT_LATEST = `INSERT INTO telemetry_latest (point, site_id, gateway_id, value_num, value_json, unit, quality, reason, source_time, gateway_time, event_id, historical, stale, good_at, good_since, time_suspect)
SELECT u.point, u.site, $1, u.n, u.j, u.unit, u.q, u.r, u.st, u.gt, u.id, u.h, 0, u.ga, CASE WHEN u.gs = -1 THEN $3::bigint ELSE u.gs END, u.s
FROM unnest($2::text[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int8[], $11::int8[], $12::text[], $13::int[], $14::int8[], $15::int8[], $16::text[])
  AS u(point, site, n, j, unit, q, r, st, gt, id, h, ga, gs, s)`;
const LIVE_SUSPECT = ', time_suspect = excluded.time_suspect';
const UPSERT_LATEST = {
  liveKeep: `${INSERT_LATEST} ON CONFLICT (point) DO UPDATE SET ${latestSetClause('GREATEST', 'live', { gs: '-1', now: '$3::bigint' })}${LIVE_SUSPECT}`,
  liveSet: `${INSERT_LATEST} ON CONFLICT (point) DO UPDATE SET ${latestSetClause('GREATEST', 'live', { gs: 'excluded.good_since', now: '$3::bigint' })}${LIVE_SUSPECT}`,
  historical: `${INSERT_LATEST} ON CONFLICT (point) DO UPDATE SET ${latestSetClause('GREATEST', 'historical')}`,
  ifAbsent: `${INSERT_LATEST} ON CONFLICT (point) DO NOTHING`,
};
/** Suspect markers of points without a live reading in the batch (a live row sets its own in the upsert). */
const SET_SUSPECT = `UPDATE telemetry_latest t SET time_suspect = u.s FROM unnest($1::text[], $2::text[]) AS u(point, s) WHERE t.point = u.point`;

type LatestKind = keyof typeof UPSERT_LATEST;

const UPSERT_1M = `INSERT INTO telemetry_1m (point, minute, min, max, sum, count)
SELECT u.point, u.minute, u.min, u.max, u.sum, u.count
FROM unnest($1::text[], $2::int8[], $3::float8[], $4::float8[], $5::float8[], $6::int8[]) AS u(point, minute, min, max, sum, count)
ON CONFLICT (point, minute) DO UPDATE SET min = LEAST(telemetry_1m.min, excluded.min), max = GREATEST(telemetry_1m.max, excluded.max),
  sum = telemetry_1m.sum + excluded.sum, count = telemetry_1m.count + excluded.count`;

/** The parameters of an UPSERT_LATEST statement: one array per column of the candidates. */
function latestParams(gatewayId: string, receivedAt: number, events: readonly TelemetryEvent[], runOf: ReadonlyMap<TelemetryEvent, { good: boolean; gs: number; s: string | null }>): SqlParam[] {
  const n = events.length;
  const num: (number | null)[] = new Array<number | null>(n);
  const json: (string | null)[] = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const v = encodeValue(events[i]!.value);
    num[i] = v.num;
    json[i] = v.json;
  }
  const run = events.map((e) => runOf.get(e)!);
  return [
    gatewayId, textArray(events.map((e) => e.point)), receivedAt, textArray(events.map((e) => siteOf(e.point))), numArray(num), textArray(json),
    textArray(events.map((e) => e.unit)), textArray(events.map((e) => e.quality)), textArray(events.map((e) => e.reason)),
    numArray(events.map((e) => e.sourceTime)), numArray(events.map((e) => e.gatewayTime)), textArray(events.map((e) => e.id)),
    numArray(events.map((e) => (e.historical === true ? 1 : 0))), numArray(run.map((r) => (r.good ? receivedAt : 0))), numArray(run.map((r) => r.gs)), textArray(run.map((r) => r.s)),
  ];
}

function dayStart(t: number): number {
  return Math.floor(t / DAY_MS) * DAY_MS;
}

function partitionName(day: number): string {
  return `telemetry_raw_d${new Date(day).toISOString().slice(0, 10).replaceAll('-', '')}`;
}


/** Batches smaller than this go in with INSERT … ON CONFLICT even when their seqs are new. */
export const COPY_MIN_EVENTS = 16;
export class PgTelemetryStore implements TelemetryStore {
  private readonly retentionDays: number;
  /** Days whose partition this process created or saw; older than the retention edge is always re-checked. */
  private readonly knownDays = new Set<number>();

  private readonly copyMinEvents: number;
  constructor(
    readonly db: SqlDb,
    opts: TelemetryStoreOptions & { now?: () => number } = {},
  ) {
    if (db.dialect !== 'postgres') throw new Error('PgTelemetryStore needs a PostgreSQL SqlDb');
    this.retentionDays = opts.retentionDays ?? 90;
    this.copyMinEvents = Math.max(1, opts.copyMinEvents ?? COPY_MIN_EVENTS);
    this.now = opts.now ?? Date.now;
  }
  private readonly now: () => number;

  init(): Promise<void> {
    return migrate(this.db, 'telemetry', TELEMETRY_MIGRATIONS);
  }

  async prepare(events: readonly TelemetryEvent[]): Promise<void> {
    const edge = dayStart(this.now() - this.retentionDays * DAY_MS) + DAY_MS;
    const days = new Set<number>();
    for (const e of events) {
      const d = dayStart(e.sourceTime);
      if (!this.knownDays.has(d) || d <= edge) days.add(d);
    }
    for (const d of days) await this.ensurePartition(d);
  }

  private async ensurePartition(day: number): Promise<void> {
    const name = partitionName(day);
    await this.db.transaction(async (tx) => {
      // Concurrent workers: serialise partition DDL so CREATE … IF NOT EXISTS never races.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['telemetry_raw:partition']);
      await tx.execScript(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF telemetry_raw FOR VALUES FROM (${day}) TO (${day + DAY_MS})`);
    });
    this.knownDays.add(day);
  }

  async insert(tx: SqlDb, gatewayId: string, events: readonly TelemetryEvent[], receivedAt: number, epoch = 0, hint: InsertHint = {}): Promise<TelemetryEvent[]> {
    if (events.length === 0) return [];
    // COPY takes three round trips (savepoint, copy, release): for a few readings — a crossing reported by
    // exception, the alarm path — the one-statement insert is sooner.
    const copy = hint.newSeqs === true && events.length >= this.copyMinEvents;
    const fresh = copy && (await copyRaw(tx, gatewayId, events, receivedAt, epoch)) ? [...events] : await this.insertRaw(tx, gatewayId, events, receivedAt, epoch);
    if (fresh.length === 0) return [];
    const { candidates, suspects } = selectLatest(fresh, receivedAt);
    const suspectOf = new Map(suspects.map((x) => [x.point, suspectJson(x.event)]));
    const byKind: Record<LatestKind, TelemetryEvent[]> = { liveKeep: [], liveSet: [], historical: [], ifAbsent: [] };
    const runOf = new Map<TelemetryEvent, { good: boolean; gs: number; s: string | null }>();
    for (const c of candidates) {
      const e = c.event;
      const live = c.mode === 'live';
      const kind: LatestKind = c.mode !== 'live' ? c.mode : c.goodSince === -1 ? 'liveKeep' : 'liveSet';
      byKind[kind].push(e);
      runOf.set(e, { good: c.good, gs: live ? c.goodSince : 0, s: live ? (suspectOf.get(e.point) ?? null) : null });
      if (live) suspectOf.delete(e.point);
    }
    for (const kind of ['liveKeep', 'liveSet', 'historical', 'ifAbsent'] as const) {
      if (byKind[kind].length > 0) tx.defer(UPSERT_LATEST[kind], latestParams(gatewayId, receivedAt, byKind[kind], runOf));
    }
    if (suspectOf.size > 0) tx.defer(SET_SUSPECT, [textArray([...suspectOf.keys()]), textArray([...suspectOf.values()])]);
    const aggs = minuteAggregates(fresh);
    // Latest values and minute rows are written with the transaction's next statement (SqlDb.defer).
    if (aggs.length > 0) {
      tx.defer(UPSERT_1M, [
        textArray(aggs.map((a) => a.point)), numArray(aggs.map((a) => a.minute)), numArray(aggs.map((a) => a.min)),
        numArray(aggs.map((a) => a.max)), numArray(aggs.map((a) => a.sum)), numArray(aggs.map((a) => a.count)),
      ]);
    }
    return fresh;
  }

  /** The idempotent insert (duplicates by id ignored); returns the events that were new, in input order. */
  private async insertRaw(tx: SqlDb, gatewayId: string, events: readonly TelemetryEvent[], receivedAt: number, epoch: number): Promise<TelemetryEvent[]> {
    const raw = events.map((e) => {
      const v = encodeValue(e.value);
      return {
        id: e.id, point: e.point, seq: e.seq, n: v.num, j: v.json, q: e.quality, r: e.reason ?? null, d: e.detail ?? null,
        st: e.sourceTime, gt: e.gatewayTime, h: e.historical === true ? 1 : 0,
      };
    });
    const inserted = await tx.query<{ id: string }>(INSERT_RAW, [gatewayId, receivedAt, JSON.stringify(raw), epoch]);
    if (inserted.length === 0) return [];
    if (inserted.length === events.length) return [...events];
    // Each stored id once (an id sent twice in one batch is stored once, by its first event).
    const ids = new Set(inserted.map((r) => r.id));
    return events.filter((e) => ids.delete(e.id));
  }

  markGatewayStale(tx: SqlDb, gatewayId: string): Promise<number> {
    return tx.exec('UPDATE telemetry_latest SET stale = 1 WHERE gateway_id = $1 AND stale = 0', [gatewayId]);
  }

  async latest(query: LatestQuery): Promise<LatestValue[]> {
    const rows =
      'siteId' in query
        ? await this.db.query<LatestRow>('SELECT * FROM telemetry_latest WHERE site_id = $1 ORDER BY point', [query.siteId])
        : await this.db.query<LatestRow>(
            'SELECT * FROM telemetry_latest WHERE point IN (SELECT value FROM json_array_elements_text($1::json)) ORDER BY point',
            [JSON.stringify(query.points)],
          );
    return rows.map(rowToLatest);
  }

  history(point: string, from: number, to: number, resolution: 'raw'): Promise<RawReadingRow[]>;
  history(point: string, from: number, to: number, resolution: '1m'): Promise<MinuteAggregate[]>;
  history(point: string, from: number, to: number, resolution: 'raw' | '1m'): Promise<RawReadingRow[] | MinuteAggregate[]>;
  async history(point: string, from: number, to: number, resolution: 'raw' | '1m'): Promise<RawReadingRow[] | MinuteAggregate[]> {
    return queryHistory(this.db, point, from, to, resolution);
  }

  /** Drop every daily partition that ends at or before now − retention. */
  async applyRetention(now: number): Promise<{ dropped: number }> {
    const cutoff = now - this.retentionDays * DAY_MS;
    const parts = await this.db.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry_raw'::regclass",
    );
    let dropped = 0;
    for (const { name } of parts) {
      const m = /^telemetry_raw_d(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!m) continue;
      const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
      if (day + DAY_MS > cutoff) continue;
      await this.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['telemetry_raw:partition']);
        await tx.execScript(`DROP TABLE IF EXISTS ${name}`);
      });
      this.knownDays.delete(day);
      dropped += 1;
    }
    return { dropped };
  }
}
