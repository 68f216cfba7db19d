/**
 * Alarm levels and warning colours. Seven level schemes exist in the domain (DOMAIN.md §2);
 * these two are the ones the rules engine raises, kept as separate enums and never conflated.
 */
import { z } from 'zod';

/**
 * Point alarm level.
 * - GAS_1 / GAS_2: gas detector 一级报警 / 二级报警 (GB/T 50493-2019).
 * - LL / L / H / HH: process alarms (低低/低/高/高高).
 */
export const ALARM_LEVELS = ['GAS_1', 'GAS_2', 'LL', 'L', 'H', 'HH'] as const;
export const AlarmLevelSchema = z.enum(ALARM_LEVELS);
export type AlarmLevel = z.infer<typeof AlarmLevelSchema>;

/** Government / tailings warning colour 红/橙/黄/蓝 (red highest). */
export const WARNING_COLOURS = ['red', 'orange', 'yellow', 'blue'] as const;
export const WarningColourSchema = z.enum(WARNING_COLOURS);
export type WarningColour = z.infer<typeof WarningColourSchema>;

export const LimitDirectionSchema = z.enum(['high', 'low']);
export type LimitDirection = z.infer<typeof LimitDirectionSchema>;

export const ALARM_LEVEL_LABELS: Record<AlarmLevel, { zh: string; en: string }> = {
  GAS_1: { zh: '一级报警', en: 'Level 1 alarm' },
  GAS_2: { zh: '二级报警', en: 'Level 2 alarm' },
  LL: { zh: '低低报警', en: 'Low-low' },
  L: { zh: '低报警', en: 'Low' },
  H: { zh: '高报警', en: 'High' },
  HH: { zh: '高高报警', en: 'High-high' },
};

export const WARNING_COLOUR_LABELS: Record<WarningColour, { zh: string; en: string }> = {
  red: { zh: '红', en: 'Red' },
  orange: { zh: '橙', en: 'Orange' },
  yellow: { zh: '黄', en: 'Yellow' },
  blue: { zh: '蓝', en: 'Blue' },
};

/** Severity rank: bigger is worse. Used to sort alarm desks and pick a site's worst colour. */
export const ALARM_LEVEL_RANK: Record<AlarmLevel, number> = { L: 1, H: 1, GAS_1: 2, LL: 3, HH: 3, GAS_2: 4 };
export const WARNING_COLOUR_RANK: Record<WarningColour, number> = { blue: 1, yellow: 2, orange: 3, red: 4 };

/** Default mapping from a point alarm level to the site warning colour it implies on its own. */
export const DEFAULT_COLOUR_FOR_LEVEL: Record<AlarmLevel, WarningColour> = {
  L: 'blue',
  H: 'blue',
  GAS_1: 'yellow',
  LL: 'yellow',
  HH: 'orange',
  GAS_2: 'orange',
};

/** A limit as profiles, instances and rules declare it. */
export const AlarmLimitSchema = z.object({
  level: AlarmLevelSchema,
  direction: LimitDirectionSchema,
  value: z.number().finite(),
  /** Hysteresis in engineering units: the alarm clears only beyond value ∓ deadband. */
  deadband: z.number().min(0).default(0),
  /** Seconds the condition must hold before the alarm is raised. */
  onDelaySec: z.number().min(0).default(0),
  /** Seconds the condition must be gone before the alarm clears. */
  offDelaySec: z.number().min(0).default(0),
});
export type AlarmLimit = z.infer<typeof AlarmLimitSchema>;
export type AlarmLimitInput = z.input<typeof AlarmLimitSchema>;
