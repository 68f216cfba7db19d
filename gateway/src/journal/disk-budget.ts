/**
 * The journal's disk budget. Policy, in order, when the pages in use exceed the budget:
 *  1. delete acknowledged rows still kept for inspection;
 *  2. discard the oldest unacknowledged telemetry in chunks until usage is below trimToRatio × budget,
 *     advancing `discarded_through` so the uplink tells the cloud to step over the gap;
 *  3. never delete an unacknowledged alarm-stream event: if those alone exceed the budget the journal
 *     keeps writing them and reports health `degraded`.
 * Every discard is logged and announced by one `GW_TELEMETRY_DISCARDED` system event (count, seq and time range).
 * Must run inside a write transaction, started through `transactional` (its in-memory record goes with it).
 */
import type { Database as Db, Statement } from 'better-sqlite3';
import type { Clock, Logger } from '@safeloop/contract';
import type { JournalConfig } from './config.ts';
import type { TelemetryBatches } from './telemetry-batches.ts';

export interface DiscardNotice {
  gatewayTime: number;
  body: string;
}

const DEGRADED_AFTER_DISCARD_MS = 15 * 60_000;

export class DiskBudget {
  readonly walLimitBytes: number;
  readonly limitBytes: number;
  onDiscard: (notice: DiscardNotice) => void = () => undefined;
  /** Set by the journal once its statements are prepared (after migrations). */
  telemetry: TelemetryBatches | undefined;
  private lastDiscard: { at: number; count: number; fromSeq: number; toSeq: number } | undefined;
  private alarmsOverBudget = false;
  private pageStmts: { size: Statement<[], number>; count: Statement<[], number>; free: Statement<[], number> } | undefined;

  constructor(private readonly deps: { db: Db; config: JournalConfig; logger: Logger; clock: Clock; path: string }) {
    const budget = deps.config.diskBudgetBytes;
    this.walLimitBytes = Math.min(deps.config.walSizeLimitBytes, Math.floor(budget / 8));
    this.limitBytes = budget - this.walLimitBytes;
  }

  /** Bytes of database pages in use (free pages are reused before the file grows). */
  usedBytes(): number {
    // Prepared once: this runs inside every journal write (db.pragma() compiles its statement on each call).
    this.pageStmts ??= {
      size: this.deps.db.prepare<[], number>('PRAGMA page_size').pluck(),
      count: this.deps.db.prepare<[], number>('PRAGMA page_count').pluck(),
      free: this.deps.db.prepare<[], number>('PRAGMA freelist_count').pluck(),
    };
    const { size, count, free } = this.pageStmts;
    return (count.get()! - free.get()!) * size.get()!;
  }

  enforce(): void {
    const used = this.usedBytes();
    if (used <= this.limitBytes) {
      this.alarmsOverBudget = false;
      return;
    }
    this.trim(this.limitBytes * this.deps.config.trimToRatio);
  }

  /** After SQLITE_FULL: free at least a fifth of what is in use, whatever the budget says. */
  emergencyTrim(): void {
    this.trim(Math.min(this.limitBytes * this.deps.config.trimToRatio, this.usedBytes() * 0.8));
  }

  /**
   * Run `transaction`, a transaction or savepoint in which this budget may trim. What the budget remembers
   * of a trim (the last discard, which the health shows for 15 minutes; alarms over budget) lives outside
   * SQLite: if the transaction throws, SQLite rolled it back, and that memory goes back with it, so the
   * health never reports a discard that did not happen.
   */
  transactional<T>(transaction: () => T): T {
    const { lastDiscard, alarmsOverBudget } = this;
    try {
      return transaction();
    } catch (err) {
      this.lastDiscard = lastDiscard;
      this.alarmsOverBudget = alarmsOverBudget;
      throw err;
    }
  }

  degradedReason(): string | undefined {
    if (this.alarmsOverBudget) return `unacknowledged alarm events alone exceed the journal disk budget (${this.deps.config.diskBudgetBytes} bytes)`;
    const d = this.lastDiscard;
    if (d && this.deps.clock.now() - d.at < DEGRADED_AFTER_DISCARD_MS) {
      return `disk budget reached: ${d.count} telemetry rows discarded (seq ${d.fromSeq}-${d.toSeq})`;
    }
    return undefined;
  }

  private trim(target: number): void {
    const { db, logger, clock } = this.deps;
    const telemetry = this.telemetry;
    if (!telemetry) throw new Error('disk budget used before the journal was ready');
    db.prepare("DELETE FROM alarm_events WHERE seq <= (SELECT acked_seq FROM stream_state WHERE stream = 'alarm')").run();
    const acked = db.prepare<[], { s: number }>("SELECT acked_seq AS s FROM stream_state WHERE stream = 'telemetry'").get();
    telemetry.deleteThrough(Math.max(acked?.s ?? 0, 0));
    db.prepare('DELETE FROM ack_marks').run();
    let used = this.usedBytes();
    let count = 0;
    let fromSeq = 0;
    let toSeq = 0;
    let fromTime = Number.MAX_SAFE_INTEGER;
    let toTime = 0;
    while (used > target) {
      const st = db
        .prepare<[], { next_seq: number; acked_seq: number; discarded_through: number }>(
          "SELECT next_seq, acked_seq, discarded_through FROM stream_state WHERE stream = 'telemetry'",
        )
        .get();
      if (!st) break;
      const after = Math.max(st.acked_seq, st.discarded_through);
      const remaining = st.next_seq - 1 - after;
      if (remaining <= 0) break;
      const chunk = Math.min(remaining, Math.max(64, Math.ceil((remaining * (used - target)) / used) + 1));
      // whole batches go: the range ends where the last batch it touches ends
      const r = telemetry.discard(after, after + chunk);
      const through = r?.throughSeq ?? after + chunk;
      const n = r?.count ?? 0;
      db.prepare(
        "UPDATE stream_state SET discarded_through = ?, discarded_count = discarded_count + ? WHERE stream = 'telemetry'",
      ).run(through, n);
      count += n;
      if (fromSeq === 0) fromSeq = after + 1;
      toSeq = through;
      if (r) {
        fromTime = Math.min(fromTime, r.t0);
        toTime = Math.max(toTime, r.t1);
      }
      used = this.usedBytes();
    }
    this.alarmsOverBudget = used > this.limitBytes;
    if (this.alarmsOverBudget) {
      logger.error({ usedBytes: used, limitBytes: this.limitBytes }, 'unacknowledged alarm events exceed the journal disk budget; keeping them');
    }
    if (toSeq === 0) return;
    const now = clock.now();
    this.lastDiscard = { at: now, count, fromSeq, toSeq };
    const details = {
      count,
      fromSeq,
      toSeq,
      ...(count > 0 ? { fromTime, toTime } : {}),
      budgetBytes: this.deps.config.diskBudgetBytes,
    };
    logger.warn(details, 'journal disk budget reached: oldest unsent telemetry discarded');
    this.onDiscard({
      gatewayTime: now,
      body: JSON.stringify({
        type: 'system',
        code: 'GW_TELEMETRY_DISCARDED',
        message: `disk budget reached: ${count} unsent telemetry readings discarded (seq ${fromSeq}-${toSeq})`,
        details,
        gatewayTime: now,
      }),
    });
  }
}
