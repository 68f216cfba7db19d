/**
 * The newest telemetry batch rows as they were written (columns text, not deflated), so the uplink,
 * which reads a row right after its commit, neither reads it back from SQLite nor inflates it
 * (issue 20: that read-back was about a third of the uplink's share of the gateway's CPU).
 *
 * Invariant: the rows held are the newest rows of the table, contiguous in seq. Rows come in only
 * after their transaction committed (`remember`); whatever deletes rows drops them here first
 * (`dropThrough`, `clear`). A row that does not continue the ones held replaces them all. So for any
 * seq at or after the first row held, these rows are exactly what the table holds.
 */
import type { BatchRow } from './telemetry-batches.ts';

/**
 * At most this many rows (a poll of 1,000 readings writes two). The uplink reads a row right after its
 * commit, or much later from SQLite; text kept longer survives young-generation collections and is
 * copied, then promoted: with 32 rows kept the gateway spent more CPU in the scavenger than the
 * read-back cost, and its RSS grew (docs/BENCHMARKS.md, issue 20 round 8).
 */
export const RECENT_ROWS_MAX = 4;

export class RecentRows {
  private rows: BatchRow[] = [];

  /** Rows that committed, in seq order. */
  remember(rows: readonly BatchRow[]): void {
    for (const row of rows) {
      const last = this.rows.at(-1);
      if (last !== undefined && last.last_seq + 1 !== row.first_seq) this.rows = [];
      this.rows.push(row);
    }
    if (this.rows.length > RECENT_ROWS_MAX) this.rows.splice(0, this.rows.length - RECENT_ROWS_MAX);
  }

  /** Rows wholly at or below seq were deleted. */
  dropThrough(seq: number): void {
    let n = 0;
    while (n < this.rows.length && this.rows[n]!.last_seq <= seq) n++;
    if (n > 0) this.rows.splice(0, n);
  }

  clear(): void {
    this.rows = [];
  }

  /**
   * What the table's peek query returns — the row holding `from` (or the last one before it), then on in
   * seq order, first_seq ≤ through, at most `limit` — or undefined when that row may be older than the
   * rows held.
   */
  from(from: number, through: number, limit: number): BatchRow[] | undefined {
    const rows = this.rows;
    if (rows.length === 0 || rows[0]!.first_seq > from) return undefined;
    let i = rows.length - 1;
    while (i > 0 && rows[i]!.first_seq > from) i--;
    const out: BatchRow[] = [];
    for (; i < rows.length && out.length < limit && rows[i]!.first_seq <= through; i++) out.push(rows[i]!);
    return out;
  }

  get size(): number {
    return this.rows.length;
  }
}
