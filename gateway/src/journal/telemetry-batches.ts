/**
 * Telemetry journaled as batches: one SQLite row per group of readings (a poll), holding the
 * readings in columnar form (columns.ts: the v2 uplink segment without seq/id), the seq range and the
 * first event id (the others derive from it, contract/src/batch-ids.ts). The profile of issue 20 put more than half
 * of the gateway's busy time in one INSERT (two b-tree updates) per reading; this is one per batch.
 *
 * Seqs stay per reading and contiguous, so acks, replays and discards keep their meaning; a batch is
 * deleted only once all of it is acknowledged or discarded. Readings are grouped while their
 * gateway times stay within GROUP_SPAN_MS of the group's first, so the one gateway time kept per
 * row is within that of each reading's own (the uplink uses it only to flag old rows as historical),
 * and at most MAX_ROWS_PER_BATCH per row.
 *
 * Rows written before schema 4 hold the event bodies joined by newlines in `bodies` (JSON.stringify
 * never emits a raw newline) and no `columns`; rows written since hold `columns` and an empty `bodies`
 * (schema 3 made it NOT NULL, and relaxing that would copy the table, which a journal at its disk
 * budget may have no room for). Both kinds are read everywhere below.
 *
 * Since schema 5 the columns text is stored deflated, as a BLOB in the same column, in zlib format (its
 * Adler-32 check turns a damaged row into an error instead of wrong readings). The text of a
 * 500-reading row is ≈ 17 KB and repeats its paths every poll, deflated ≈ 2 KB, so SQLite
 * writes one page per row instead of five overflow pages, twice (WAL, then checkpoint). Rows written
 * before hold TEXT and are read as they are; SQLite keeps each value's own type, so no copy is needed.
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { JournalEntry } from './entry.ts';
import { batchEventId } from '@safeloop/contract';
import { deflateSync, inflateSync } from 'node:zlib';
import { columnBodies, columnsOfBodies, sliceColumns } from './columns.ts';
import { RecentRows } from './recent-rows.ts';

/** zlib level of the stored columns: 1 (fastest) already deflates a row ≈ 8×, and costs least CPU per row. */
const COLUMNS_DEFLATE_LEVEL = 1;

export const GROUP_SPAN_MS = 1000;
/** Rows per batch row: a peek splits a whole row, so rows stay about one uplink batch in size. */
export const MAX_ROWS_PER_BATCH = 500;

/** Batches holding any seq in (after, through]: params (after + 1, through, after). A batch
 * that started at or before `after` (partly acknowledged) is included, found by the primary key. */
const OVERLAP = `WHERE first_seq >= COALESCE((SELECT MAX(first_seq) FROM telemetry_batches WHERE first_seq <= ?), 0)
  AND first_seq <= ? AND last_seq > ?`;

export interface BatchRow {
  first_seq: number;
  last_seq: number;
  first_id: string;
  gateway_time: number;
  /** Reading JSON joined by newlines (rows written before schema 4), else ''. */
  bodies: string;
  /** The columns (columns.ts): deflated since schema 5, text in rows of schema 4, null before. */
  columns: Buffer | string | null;
}

/** The columns text as a row stores it (schema 5: deflated, zlib format). */
export function deflateColumns(columns: string): Buffer {
  return deflateSync(columns, { level: COLUMNS_DEFLATE_LEVEL });
}

/** A row's columns text (inflated when stored deflated), or null for a row written before schema 4. */
export function rowColumns(row: BatchRow): string | null {
  const c = row.columns;
  if (c === null || typeof c === 'string') return c;
  return inflateSync(c).toString('utf8');
}

/** The reading JSON of every reading of a row, in seq order. */
export function rowBodies(row: BatchRow): string[] {
  const columns = rowColumns(row);
  return columns === null ? row.bodies.split('\n') : columnBodies(columns);
}

/** The rows a batch row stands for, in seq order, restricted to after < seq ≤ through. */
export function expandBatch(row: BatchRow, after = 0, through = Number.MAX_SAFE_INTEGER, bodies = rowBodies(row)): JournalEntry[] {
  const out: JournalEntry[] = [];
  const from = Math.max(row.first_seq, after + 1);
  const to = Math.min(row.last_seq, through);
  for (let seq = from; seq <= to; seq++) {
    const i = seq - row.first_seq;
    out.push({ stream: 'telemetry', seq, id: batchEventId(row.first_id, i), gatewayTime: row.gateway_time, body: bodies[i]! });
  }
  return out;
}

/**
 * Part of a batch row as it is, for the v2 uplink payload: the columns text of seqs
 * firstSeq..firstSeq+count-1 and the id of the first (the others derive from it), with no
 * per-reading id or JSON built.
 */
export interface TelemetrySlice {
  readonly firstSeq: number;
  readonly firstId: string;
  readonly gatewayTime: number;
  readonly count: number;
  readonly columns: string;
}

/** Consecutive readings [from, to) that share one row (see GROUP_SPAN_MS, MAX_ROWS_PER_BATCH). */
export interface TimeGroup {
  gatewayTime: number;
  from: number;
  to: number;
}

/** Group consecutive readings by gateway time (see GROUP_SPAN_MS). */
export function groupByTime(rows: readonly { gatewayTime: number }[]): TimeGroup[] {
  const groups: TimeGroup[] = [];
  let cur: TimeGroup | undefined;
  for (let i = 0; i < rows.length; i++) {
    const t = rows[i]!.gatewayTime;
    if (!cur || cur.to - cur.from >= MAX_ROWS_PER_BATCH || Math.abs(t - cur.gatewayTime) > GROUP_SPAN_MS) {
      cur = { gatewayTime: t, from: i, to: i };
      groups.push(cur);
    }
    cur.to = i + 1;
  }
  return groups;
}

/** Bytes a slice adds on the wire besides its columns text (seq, id, braces). */
const SLICE_OVERHEAD = 64;

export class TelemetryBatches {
  private readonly ins: Statement<[number, number, string, number, Buffer]>;
  private readonly peekStmt: Statement<[number, number, number], BatchRow>;
  private readonly delThrough: Statement<[number]>;
  private readonly rangeStats: Statement<[number, number, number], { first: number | null; last: number | null; t0: number | null; t1: number | null }>;
  private readonly delRange: Statement<[number, number, number]>;
  private lastExpanded: { firstSeq: number; lastSeq: number; bodies: string[] } | undefined;
  /** The newest rows, as written (recent-rows.ts): what the uplink reads next, without SQLite or inflate. */
  private readonly recent = new RecentRows();
  /** Rows inserted in the open transaction (in memory only once it commits). */
  private staged: BatchRow[] = [];

  constructor(private readonly db: Db) {
    this.ins = db.prepare("INSERT INTO telemetry_batches (first_seq, last_seq, first_id, gateway_time, bodies, columns) VALUES (?, ?, ?, ?, '', ?)");
    // the batch holding after+1 (or the last one before it), then on in seq order
    this.peekStmt = db.prepare(
      `SELECT first_seq, last_seq, first_id, gateway_time, bodies, columns FROM telemetry_batches
       WHERE first_seq >= COALESCE((SELECT MAX(first_seq) FROM telemetry_batches WHERE first_seq <= ?), 0) AND first_seq <= ?
       ORDER BY first_seq LIMIT ?`,
    );
    this.delThrough = db.prepare('DELETE FROM telemetry_batches WHERE last_seq <= ?');
    this.rangeStats = db.prepare(
      `SELECT MIN(first_seq) AS first, MAX(last_seq) AS last, MIN(gateway_time) AS t0, MAX(gateway_time) AS t1 FROM telemetry_batches ${OVERLAP}`,
    );
    this.delRange = db.prepare(`DELETE FROM telemetry_batches ${OVERLAP}`);
  }

  /**
   * The reading JSON of a row; the last row expanded is kept, because a v1 batch usually ends inside a
   * row and the next batch starts in the same one. Rows never change once written, and a seq is never
   * given to another row, so (first_seq, last_seq) names the content.
   */
  private bodiesOf(row: BatchRow): string[] {
    const last = this.lastExpanded;
    if (last && last.firstSeq === row.first_seq && last.lastSeq === row.last_seq) return last.bodies;
    const bodies = rowBodies(row);
    this.lastExpanded = { firstSeq: row.first_seq, lastSeq: row.last_seq, bodies };
    return bodies;
  }

  /**
   * One row of `count` readings in columnar form (columns.ts), inside the caller's transaction. The row
   * is kept as written until the caller says the transaction committed (`committed`) or not (`abandon`).
   * `stored` is deflateColumns(columns), when the caller encoded it before the transaction.
   */
  insert(firstSeq: number, count: number, firstId: string, gatewayTime: number, columns: string, stored = deflateColumns(columns)): void {
    this.ins.run(firstSeq, firstSeq + count - 1, firstId, gatewayTime, stored);
    // a retried transaction inserts the same seqs again: keep only the rows of the latest attempt
    if (this.staged.at(-1)?.last_seq !== firstSeq - 1) this.staged = [];
    this.staged.push({ first_seq: firstSeq, last_seq: firstSeq + count - 1, first_id: firstId, gateway_time: gatewayTime, bodies: '', columns });
  }

  /** The rows inserted since the last call committed: the next peek takes them from memory. */
  committed(): void {
    this.recent.remember(this.staged);
    this.staged = [];
  }

  /** The rows inserted since the last call were rolled back. */
  abandon(): void {
    this.staged = [];
  }

  /** The peek query's rows: the newest ones from memory when they cover `after + 1`. */
  private rowsAfter(after: number, through: number, limit: number): Iterable<BatchRow> {
    return this.recent.from(after + 1, through, limit) ?? this.peekStmt.iterate(after + 1, through, limit);
  }

  /** Entries with after < seq ≤ through, at most `limit`, stopping before maxBytes (at least one). */
  peek(after: number, through: number, limit: number, maxBytes?: number): JournalEntry[] {
    const out: JournalEntry[] = [];
    let bytes = 0;
    for (const row of this.rowsAfter(after, through, limit)) {
      if (row.last_seq <= after) continue;
      const upTo = Math.min(through, Math.max(row.first_seq, after + 1) + (limit - out.length) - 1);
      for (const e of expandBatch(row, after, upTo, this.bodiesOf(row))) {
        bytes += e.body.length + 64;
        if ((maxBytes !== undefined && out.length > 0 && bytes > maxBytes) || out.length >= limit) return out;
        out.push(e);
      }
    }
    return out;
  }

  /**
   * Like peek, but whole (or cut) batch rows as columns: one id derivation per slice, none per
   * reading; a whole row's columns are passed on as stored. maxBytes counts the columns text.
   */
  peekSlices(after: number, through: number, limit: number, maxBytes?: number): TelemetrySlice[] {
    const out: TelemetrySlice[] = [];
    let count = 0;
    let bytes = 0;
    for (const row of this.rowsAfter(after, through, limit)) {
      if (row.last_seq <= after || count >= limit) continue;
      const n = row.last_seq - row.first_seq + 1;
      const columns = rowColumns(row) ?? columnsOfBodies(row.bodies.split('\n'));
      const perReading = columns.length / n;
      const from = Math.max(row.first_seq, after + 1);
      let to = Math.min(row.last_seq, through, from + (limit - count) - 1);
      if (maxBytes !== undefined) {
        const fits = Math.floor((maxBytes - bytes - SLICE_OVERHEAD) / perReading);
        to = Math.min(to, from + Math.max(count === 0 ? 1 : 0, fits) - 1);
      }
      if (to < from) break;
      const i = from - row.first_seq;
      const taken = to - from + 1;
      const cut = taken === n ? columns : sliceColumns(columns, i, i + taken);
      out.push({ firstSeq: from, firstId: batchEventId(row.first_id, i), gatewayTime: row.gateway_time, count: taken, columns: cut });
      count += taken;
      bytes += cut.length + SLICE_OVERHEAD;
      if (to < Math.min(row.last_seq, through)) break;
    }
    return out;
  }

  /** Delete the batches wholly at or below seq. */
  deleteThrough(seq: number): void {
    this.recent.dropThrough(seq);
    this.staged = this.staged.filter((r) => r.last_seq > seq);
    this.delThrough.run(seq);
  }

  /**
   * Discard unsent telemetry: every batch that starts in (after, through] goes (a batch is never
   * split). Returns the seq range and gateway times discarded, or undefined when nothing was there.
   */
  discard(after: number, through: number): { count: number; throughSeq: number; t0: number; t1: number } | undefined {
    this.recent.clear();
    this.staged = [];
    const r = this.rangeStats.get(after + 1, through, after);
    if (!r || r.first === null || r.last === null) return undefined;
    this.delRange.run(after + 1, through, after);
    return { count: r.last - after, throughSeq: r.last, t0: r.t0 ?? 0, t1: r.t1 ?? 0 };
  }
}
