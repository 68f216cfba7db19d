import { z } from 'zod';

export const JournalConfigSchema = z.object({
  path: z.string().min(1).default('./data/gateway/journal.db'),
  /** Disk budget in bytes; when reached the oldest unsent telemetry is dropped (alarms never). */
  diskBudgetBytes: z.number().int().min(1_000_000).default(512 * 1024 * 1024),
  /** Acknowledged rows are kept this long for local inspection, then deleted. */
  retainAckedSec: z.number().int().min(0).default(3600),
});
export type JournalConfig = z.infer<typeof JournalConfigSchema>;
