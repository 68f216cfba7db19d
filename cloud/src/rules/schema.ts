/**
 * Rules are data: one zod schema for the whole rule set (YAML or JSON), versioned.
 * Point selectors are `device/point` globs relative to a site (`*` matches within one segment),
 * and a rule applies to the sites listed in `sites`, to every site of the `siteTypes`, or to all
 * sites when neither is given.
 */
import { z } from 'zod';
import { AlarmLevelSchema, AlarmLimitSchema, IdSchema, LimitDirectionSchema, WarningColourSchema } from '@safeloop/contract';

export const SITE_TYPES = ['hazchem', 'tailings', 'coal', 'nonCoal', 'fireworks'] as const;
export const SiteTypeSchema = z.enum(SITE_TYPES);
export type SiteType = z.infer<typeof SiteTypeSchema>;

const SEGMENT_GLOB = '[A-Za-z0-9_*-]{1,64}';
/** `device/point` relative to the site, with `*` wildcards inside a segment (`GT-*`, `*`). */
export const RelPointGlobSchema = z.string().regex(new RegExp(`^${SEGMENT_GLOB}/${SEGMENT_GLOB}$`), 'must be device/point (wildcard * allowed)');
/** An exact `device/point` relative to the site. */
export const RelPointSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}$/, 'must be device/point');

const Base = {
  id: IdSchema,
  title: z.string().min(1).max(200).optional(),
  enabled: z.boolean().default(true),
  sites: z.array(IdSchema).min(1).optional(),
  siteTypes: z.array(SiteTypeSchema).min(1).optional(),
};

export const LimitRuleSchema = z.object({
  ...Base,
  kind: z.literal('limit'),
  points: z.array(RelPointGlobSchema).min(1),
  limits: z.array(AlarmLimitSchema).min(1),
  unit: z.string().max(32).optional(),
  /** Site warning colour per level, when it differs from the default mapping. */
  colours: z.partialRecord(AlarmLevelSchema, WarningColourSchema).optional(),
  /** Measuring range (量程): a value above it counts as beyond every high limit; below it (beyond 1 % of span) is a fault. */
  range: z
    .strictObject({ min: z.number().finite(), max: z.number().finite() })
    .refine((r) => r.min < r.max, { message: 'range.min must be below range.max' })
    .optional(),
  /** An alarm raised by an over-range value stays latched until reset (GB 15322 over-range indication; our default). */
  overRangeLatch: z.boolean().default(true),
  /** A fault alarm clears only after clearing readings held this long … */
  faultClearHoldSec: z.number().min(0).max(3600).default(5),
  /** … and at least this many of them arrived. */
  faultClearReadings: z.number().int().min(1).max(100).default(2),
});

export const RateRuleSchema = z
  .object({
    ...Base,
    kind: z.literal('rate'),
    points: z.array(RelPointGlobSchema).min(1),
    /** Window over which the rate is measured; the rate is in units per minute. */
    windowSec: z.number().positive(),
    maxRisePerMin: z.number().positive().optional(),
    maxFallPerMin: z.number().positive().optional(),
    level: AlarmLevelSchema.default('H'),
    colour: WarningColourSchema.optional(),
  })
  .refine((r) => r.maxRisePerMin !== undefined || r.maxFallPerMin !== undefined, { message: 'give maxRisePerMin or maxFallPerMin', path: ['maxRisePerMin'] });

export const ComparisonSchema = z.enum(['>', '>=', '<', '<=']);

export const CompoundRuleSchema = z.object({
  ...Base,
  kind: z.literal('compound'),
  mode: z.enum(['all', 'any']),
  conditions: z
    .array(z.object({ point: RelPointSchema, op: ComparisonSchema, value: z.number().finite(), label: z.string().max(100).optional() }))
    .min(1),
  /** The combination must hold this long before the warning is raised. */
  durationSec: z.number().min(0).default(0),
  colour: WarningColourSchema,
});

const ColourThresholdsSchema = z
  .object({ blue: z.number().finite().optional(), yellow: z.number().finite().optional(), orange: z.number().finite().optional(), red: z.number().finite().optional() })
  .refine((t) => Object.values(t).some((v) => v !== undefined), { message: 'give at least one colour threshold' });

export const TailingsAggregateRuleSchema = z.object({
  ...Base,
  kind: z.literal('tailings-aggregate'),
  items: z
    .array(
      z.object({
        id: IdSchema,
        title: z.string().max(100).optional(),
        points: z.array(RelPointGlobSchema).min(1),
        /** high: a colour when value ≥ its threshold; low: when value ≤ it (phreatic depth, beach length, freeboard). */
        direction: LimitDirectionSchema,
        thresholds: ColourThresholdsSchema,
      }),
    )
    .min(1),
  /** Counts that promote one colour up (GB 50863 §5.5.4): ≥ blue points → yellow, … */
  promotion: z
    .object({ blue: z.number().int().min(1).default(4), yellow: z.number().int().min(1).default(3), orange: z.number().int().min(1).default(2) })
    .default({ blue: 4, yellow: 3, orange: 2 }),
});

export const StaleRuleSchema = z.object({
  ...Base,
  kind: z.literal('stale'),
  points: z.array(RelPointGlobSchema).min(1),
  /** No fresh good reading within this many seconds → a stale-data alarm. */
  maxAgeSec: z.number().positive(),
  /**
   * A live reading with reason comm_lost raises this stale alarm at once (default false: comm loss is a
   * fault alarm of the device, raised by the evaluator at the edge or by a cloud limit rule).
   */
  commLoss: z.boolean().default(false),
  /** The alarm clears only after good readings have held this long (no flapping on a link that comes and goes). */
  clearHoldSec: z.number().min(0).max(3600).default(10),
});

export const GatewayOfflineRuleSchema = z.object({
  ...Base,
  kind: z.literal('gateway-offline'),
  graceSec: z.number().min(0),
});

export const RuleSchema = z.discriminatedUnion('kind', [
  LimitRuleSchema,
  RateRuleSchema,
  CompoundRuleSchema,
  TailingsAggregateRuleSchema,
  StaleRuleSchema,
  GatewayOfflineRuleSchema,
]);

export const RuleSetSchema = z
  .object({
    version: z.number().int().min(1),
    rules: z.array(RuleSchema),
  })
  .superRefine((set, ctx) => {
    const seen = new Set<string>();
    set.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', message: `duplicate rule id ${r.id}`, path: ['rules', i, 'id'] });
      seen.add(r.id);
    });
  });

export type LimitRule = z.infer<typeof LimitRuleSchema>;
export type RateRule = z.infer<typeof RateRuleSchema>;
export type CompoundRule = z.infer<typeof CompoundRuleSchema>;
export type TailingsAggregateRule = z.infer<typeof TailingsAggregateRuleSchema>;
export type StaleRule = z.infer<typeof StaleRuleSchema>;
export type GatewayOfflineRule = z.infer<typeof GatewayOfflineRuleSchema>;
export type Rule = z.infer<typeof RuleSchema>;
export type RuleSet = z.infer<typeof RuleSetSchema>;
export type RuleSetInput = z.input<typeof RuleSetSchema>;
