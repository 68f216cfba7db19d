/**
 * The commissioning plan: which found device is which, with which profile and transport. Written by
 * the technician (or by the interactive prompts) and validated with the gateway's own device schema,
 * so what passes here is exactly what the gateway will accept.
 */
import { z } from 'zod';
import { IdSchema, loadConfigFile } from '@safeloop/contract';
import { DeviceInstanceSchema } from '../field/config.ts';

export const CommissionPlanSchema = z
  .object({
    /** Who did the visit (printed in the report). May also come from --technician. */
    technician: z.string().min(1).max(100).optional(),
    site: IdSchema.optional(),
    gatewayId: IdSchema.optional(),
    /** Live reads per point (default 3); "constant" needs at least 3. */
    reads: z.number().int().min(1).max(20).default(3),
    intervalMs: z.number().int().min(0).max(60_000).default(500),
    devices: z.array(DeviceInstanceSchema).min(1),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>();
    plan.devices.forEach((d, i) => {
      if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: ['devices', i, 'id'], message: `device id "${d.id}" is used twice` });
      seen.add(d.id);
    });
  });
export type CommissionPlan = z.infer<typeof CommissionPlanSchema>;
export type CommissionPlanInput = z.input<typeof CommissionPlanSchema>;

/** Load and validate a plan file (YAML or JSON); errors name the file and the path inside it. */
export function loadCommissionPlan(file: string): CommissionPlan {
  return loadConfigFile(file, CommissionPlanSchema);
}
