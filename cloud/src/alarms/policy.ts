/**
 * Escalation and handling timers as data (DOMAIN.md §6 defaults, [D] — configurable, not law),
 * per site type with per-severity ladders, plus the severity and review rules.
 */
import { ALARM_LEVEL_RANK, DEFAULT_COLOUR_FOR_LEVEL, WARNING_COLOUR_RANK, type AlarmLevel, type WarningColour } from '@safeloop/contract';
import { z } from 'zod';
import { SITE_TYPES, type SiteType } from '../tenancy/seed.ts';
import type { Severity } from './types.ts';

/** Who a step notifies. Levels: 0 operator, 1 技术负责人, 2 主要负责人, 3 county, 4 city, 5 province. */
export const TARGETS = ['operator', 'technical', 'principal', 'county', 'city', 'province'] as const;
export type Target = (typeof TARGETS)[number];
export const TARGET_LEVEL: Record<Target, number> = { operator: 0, technical: 1, principal: 2, county: 3, city: 4, province: 5 };

const StepSchema = z.object({ target: z.enum(TARGETS), afterMin: z.number().min(0).max(7 * 24 * 60) });
export type EscalationStep = z.infer<typeof StepSchema>;

export const SitePolicySchema = z.object({
  ackDeadlineMin: z.number().min(0.1).default(5),
  feedbackDeadlineMin: z.number().min(1).default(30),
  /** An acknowledged alarm still active after this long goes back to unacknowledged (E10). */
  reAlarmMin: z.number().min(1).default(60),
  maxShelveMin: z.number().min(1).default(8 * 60),
  maxSuppressMin: z.number().min(1).default(7 * 24 * 60),
  ladders: z.object({ red: z.array(StepSchema), orange: z.array(StepSchema), normal: z.array(StepSchema) }),
});
export type SitePolicy = z.infer<typeof SitePolicySchema>;

const STANDARD_LADDER: EscalationStep[] = [
  { target: 'technical', afterMin: 15 },
  { target: 'principal', afterMin: 30 },
  { target: 'county', afterMin: 30 },
  { target: 'city', afterMin: 60 },
  { target: 'province', afterMin: 120 },
];
/** Red: the whole ladder at once (DOMAIN.md §6 "red immediately"). */
const RED_LADDER: EscalationStep[] = STANDARD_LADDER.map((s) => ({ ...s, afterMin: 0 }));

export const DEFAULT_SITE_POLICY: SitePolicy = SitePolicySchema.parse({
  ladders: { red: RED_LADDER, orange: STANDARD_LADDER, normal: STANDARD_LADDER },
});

export const EscalationPolicySchema = z.object({
  default: SitePolicySchema.default(DEFAULT_SITE_POLICY),
  bySiteType: z.partialRecord(z.enum(SITE_TYPES), SitePolicySchema).default({}),
});
export type EscalationPolicy = z.infer<typeof EscalationPolicySchema>;
export const DEFAULT_ESCALATION_POLICY: EscalationPolicy = EscalationPolicySchema.parse({});

export function sitePolicy(policy: EscalationPolicy, siteType: SiteType | undefined): SitePolicy {
  return (siteType && policy.bySiteType[siteType]) || policy.default;
}

const ORANGE_LEVELS: readonly AlarmLevel[] = ['GAS_2', 'HH', 'LL'];

export function severityOf(level: AlarmLevel | null | undefined, colour: WarningColour | null | undefined): Severity {
  if (colour === 'red') return 'red';
  if (colour === 'orange' || (level && ORANGE_LEVELS.includes(level))) return 'orange';
  return 'normal';
}

/** Red/orange warnings and GAS_2/HH/LL alarms need a review by the supervising level before closing. */
export function reviewRequired(severity: Severity): boolean {
  return severity !== 'normal';
}

/** Sort rank on the colour scale 1 (blue) … 4 (red). */
export function rankOf(level: AlarmLevel | null | undefined, colour: WarningColour | null | undefined): number {
  const c = colour ? WARNING_COLOUR_RANK[colour] : 0;
  const l = level ? WARNING_COLOUR_RANK[DEFAULT_COLOUR_FOR_LEVEL[level]] : 0;
  const r = Math.max(c, l);
  return r > 0 ? r : level ? ALARM_LEVEL_RANK[level] : 2;
}
