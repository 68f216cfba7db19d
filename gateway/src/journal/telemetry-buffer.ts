/**
 * Group commit for telemetry (issue 20): readings wait in memory up to `commitMs` (or until `maxRows`)
 * and are journaled in one transaction, instead of one synchronous=FULL commit (an fsync) per device
 * poll. Alarm events never pass through here: they are committed before the agent returns.
 * What is buffered is not yet journaled: a crash loses at most `commitMs` of telemetry, like a poll
 * in flight; `commitMs: 0` journals every batch at once.
 */
import type { Reading } from '@safeloop/contract';

export interface TelemetryBufferDeps {
  commitMs: number;
  maxRows: number;
  /** Journals the readings (throws on a journal failure). */
  append: (readings: readonly Reading[]) => void;
  /** Called after each commit attempt; `err` when the journal refused it (those readings are dropped). */
  committed: (err?: unknown) => void;
}

export class TelemetryBuffer {
  private pending: Reading[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: TelemetryBufferDeps) {}

  add(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    if (this.deps.commitMs === 0) {
      this.commit(readings);
      return;
    }
    for (const r of readings) this.pending.push(r);
    if (this.pending.length >= this.deps.maxRows) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.deps.commitMs);
  }

  /** Journal what is waiting now (also on stop). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.commit(batch);
  }

  get waiting(): number {
    return this.pending.length;
  }

  private commit(readings: readonly Reading[]): void {
    try {
      this.deps.append(readings);
      this.deps.committed();
    } catch (err) {
      this.deps.committed(err);
    }
  }
}
