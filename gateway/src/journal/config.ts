import { z } from 'zod';

/**
 * Journal settings. The disk budget policy (docs/protocol.md, "Disk budget"):
 *  1. acknowledged rows kept for inspection are deleted first;
 *  2. then the oldest unacknowledged telemetry, in chunks, until usage is below `trimToRatio`;
 *  3. alarm-stream events are never deleted before the cloud acknowledges them.
 * Each discard is counted, logged and announced to the cloud as a `GW_TELEMETRY_DISCARDED` system event.
 */
export const JournalConfigSchema = z.object({
  path: z.string().min(1).default('./data/gateway/journal.db'),
  /** Disk budget in bytes (database pages in use plus the WAL bound); when reached the oldest unsent telemetry is dropped (alarms never). */
  diskBudgetBytes: z.number().int().min(1_000_000).default(512 * 1024 * 1024),
  /** Acknowledged rows are kept this long for local inspection, then deleted. */
  retainAckedSec: z.number().int().min(0).default(3600),
  /** After a trim, usage is brought down to this fraction of the budget (hysteresis, avoids trimming on every write). */
  trimToRatio: z.number().gt(0).lt(1).default(0.9),
  /** Upper bound of the WAL file kept after a checkpoint (`PRAGMA journal_size_limit`). Capped at budget / 8. */
  walSizeLimitBytes: z.number().int().min(0).default(32 * 1024 * 1024),
  /** Seconds between housekeeping runs: WAL checkpoint (TRUNCATE), purge of acknowledged rows past retention. */
  housekeepingIntervalSec: z.number().min(0.1).max(3600).default(30),
  /**
   * Optional hard cap on the database file (`PRAGMA max_page_count`): a write beyond it fails with SQLITE_FULL,
   * exactly like a full disk, so a journal sharing a partition with the OS can never fill it.
   */
  hardLimitBytes: z.number().int().min(65_536).optional(),
  /**
   * Telemetry group commit: each poll is encoded at once and the polls of this long are committed in one
   * transaction (one fsync for many polls; telemetry-buffer.ts). Alarm events, and the readings that raised
   * or cleared them, are always committed at once. 0 = commit every poll on its own. A power cut loses at
   * most this much telemetry not yet committed.
   */
  telemetryCommitMs: z.number().int().min(0).max(2000).default(100),
  /** A group commit happens early once this many readings wait. */
  telemetryCommitRows: z.number().int().min(1).max(1_000_000).default(20_000),
  /** `PRAGMA busy_timeout` for the writer (ms). */
  busyTimeoutMs: z.number().int().min(0).max(60_000).default(5000),
});
export type JournalConfig = z.infer<typeof JournalConfigSchema>;
export type JournalConfigInput = z.input<typeof JournalConfigSchema>;

const PointReportSchema = z.object({
  /** Send when |value − last sent value| > deadband (engineering units). 0 sends every change. Unset: every reading passes. */
  deadband: z.number().min(0).optional(),
  /** With a deadband: send at least this often even without change (seconds). Default 60; 0 = no heartbeat. */
  heartbeatSec: z.number().min(0).optional(),
});

/**
 * Report-by-exception: per point, a reading passes when its quality or reason changed, when its value moved
 * beyond the deadband since the last value sent, or when the heartbeat interval has elapsed.
 * Keys of `points` are `device/point` (the site is the gateway's own).
 */
export const ReportConfigSchema = z.object({
  default: PointReportSchema.default({}),
  points: z
    .record(z.string().regex(/^[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}$/, 'must be device/point'), PointReportSchema)
    .optional(),
});
export type ReportConfig = z.infer<typeof ReportConfigSchema>;
export type PointReportConfig = z.infer<typeof PointReportSchema>;
