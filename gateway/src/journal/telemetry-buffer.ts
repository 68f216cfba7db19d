/**
 * Group commit for telemetry (issue 20): each poll's readings are staged at once (checked, encoded as a
 * deflated columns row: journal.stageTelemetry) and the staged rows are committed in one transaction
 * within `commitMs` (or as soon as `maxRows` readings wait), instead of one synchronous=FULL commit (an
 * fsync) per device poll. What waits is a few compact rows, not reading objects.
 * Alarm events never pass through here: they are committed before the agent returns, and the agent
 * commits the readings that raised or cleared them with them (flush).
 * What is staged is not yet journaled: a crash or power cut loses at most `commitMs` of telemetry, like
 * a poll in flight; `commitMs: 0` commits every poll at once.
 */
import type { Reading } from '@safeloop/contract';

export interface TelemetryBufferDeps {
  commitMs: number;
  maxRows: number;
  /** Checks and encodes readings for the journal, not committed yet (journal.stageTelemetry). */
  stage: (readings: readonly Reading[]) => void;
  /** Commits everything staged in one transaction (throws on a journal failure). */
  commit: () => void;
  /** Called after each commit attempt; `err` when the journal refused it (those readings are dropped). */
  committed: (err?: unknown) => void;
}

export class TelemetryBuffer {
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: TelemetryBufferDeps) {}

  add(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    try {
      this.deps.stage(readings);
    } catch (err) {
      this.deps.committed(err);
      return;
    }
    this.pending += readings.length;
    if (this.deps.commitMs === 0 || this.pending >= this.deps.maxRows) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.deps.commitMs);
  }

  /** Commit what is staged now (also on stop, and with an alarm). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === 0) return;
    this.pending = 0;
    try {
      this.deps.commit();
      this.deps.committed();
    } catch (err) {
      this.deps.committed(err);
    }
  }

  /** Readings staged and not yet committed. */
  get waiting(): number {
    return this.pending;
  }
}
