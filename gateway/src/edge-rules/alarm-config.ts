/**
 * The gateway config's `alarms` section: how the edge evaluator treats over-range, faults and device
 * clocks. Every value is a default of ours [D] (DOMAIN.md §7), configurable per gateway.
 */
import { z } from 'zod';

export const EdgeAlarmConfigSchema = z.strictObject({
  /** An alarm raised by a value above the measuring range stays latched until a person resets it. */
  overRangeLatch: z.boolean().default(true),
  /** A fault (comm loss, sensor fault …) clears only after clearing readings held this long … */
  faultClearHoldSec: z.number().min(0).max(3600).default(5),
  /** … and at least this many of them arrived (≥ 2 poll cycles). */
  faultClearReadings: z.number().int().min(1).max(100).default(2),
  /** A device source time further ahead of the gateway clock than this is `bad_time`. */
  timeAheadToleranceSec: z.number().min(1).max(86_400).default(300),
  /** A live reading whose source time is further behind than this is `bad_time` (historical data is exempt). */
  timeBehindToleranceSec: z.number().min(1).max(86_400).default(300),
});
export type EdgeAlarmConfig = z.infer<typeof EdgeAlarmConfigSchema>;
