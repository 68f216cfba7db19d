/**
 * Telemetry before its transaction (issue 20, group commit): each poll's readings are checked against the
 * wire schema and encoded at once into the rows the journal will insert (columns text, deflated), so what
 * waits for the commit is a few compact rows, not reading objects. Seqs and ids are not given here: the
 * journal gives them when it commits the rows (journal.ts, commitTelemetry).
 */
import { ReadingSchema, readingValid } from '@safeloop/contract';
import type { Logger, Reading } from '@safeloop/contract';
import { columnsText } from './columns.ts';
import { deflateColumns, groupByTime } from './telemetry-batches.ts';

/** A telemetry row encoded before its transaction. */
export interface StagedRow {
  count: number;
  gatewayTime: number;
  columns: string;
  /** deflateColumns(columns), as the row stores it. */
  stored: Buffer;
}

export interface TelemetryStagingDeps {
  log: Logger;
  /** The journal's rate limiter for warnings (one key per kind of warning). */
  warnRate: (key: string, emit: (suppressed: number) => void) => void;
}

export class TelemetryStaging {
  private rows: StagedRow[] = [];
  private count = 0;
  /** Readings refused since the journal opened (they failed the wire schema). */
  rejected = 0;

  constructor(private readonly deps: TelemetryStagingDeps) {}

  /** Check and encode readings; invalid ones are refused (logged, counted). */
  stage(readings: readonly Reading[]): void {
    const valid = this.validReadings(readings);
    for (const g of groupByTime(valid)) {
      const columns = columnsText(valid, g.from, g.to);
      const count = g.to - g.from;
      this.rows.push({ count, gatewayTime: g.gatewayTime, columns, stored: deflateColumns(columns) });
      this.count += count;
    }
  }

  /** Readings staged and not yet taken. */
  get waiting(): number {
    return this.count;
  }

  /** Everything staged, in staging order; the staging is empty afterwards. */
  take(): StagedRow[] {
    const rows = this.rows;
    this.rows = [];
    this.count = 0;
    return rows;
  }

  /** The readings that pass the wire schema (the list itself when all do, the usual case). */
  private validReadings(readings: readonly Reading[]): readonly Reading[] {
    for (let i = 0; i < readings.length; i++) {
      if (readingValid(readings[i]!)) continue;
      // rare: copy the valid ones, with the schema's reading of the others
      const valid = readings.slice(0, i);
      for (let k = i; k < readings.length; k++) {
        const r = readings[k]!;
        const ok = k > i && readingValid(r) ? r : this.checked(r);
        if (ok !== undefined) valid.push(ok);
      }
      return valid;
    }
    return readings;
  }

  /** A reading the fast check refused, as the schema reads it; refused ones are logged and counted. */
  private checked(r: Reading): Reading | undefined {
    const parsed = ReadingSchema.safeParse(r);
    if (parsed.success) return parsed.data;
    this.rejected += 1;
    const issue = parsed.error.issues[0];
    this.deps.warnRate('reading', (suppressed) =>
      this.deps.log.warn(
        { point: (r as { point?: unknown }).point, problem: issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid', suppressed },
        'reading refused by the journal: it does not match the wire schema',
      ),
    );
    return undefined;
  }
}
