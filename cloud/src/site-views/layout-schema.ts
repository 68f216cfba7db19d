/**
 * A site's layout: what its points are in the plant's own terms, as data validated by one schema.
 * - 重大危险源 units (hazard units) with their R value (GB 18218-2018: the grade follows from R) and the
 *   tanks that belong to them; a tank names its level / temperature / pressure points.
 * - Areas: a working face (工作面) or roadway of a mine, an area of a plant; each groups devices.
 * - Plan markers: where a device's point sits on the site's plan image, as fractions of its width and
 *   height (0–1), placed by a technician or an administrator.
 * It comes from the seed file's `layouts:` section and from PUT /api/sites/:id/layout.
 */
import { IdSchema } from '@safeloop/contract';
import { z } from 'zod';

/** A device's point inside the site: `device/point` (the site is implied). */
const DevicePointSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be device/point, e.g. gas-01/gas');
const Name = z.string().trim().min(1).max(100);

export const TankSchema = z.object({
  id: IdSchema,
  name: Name,
  /** Medium stored (e.g. 甲醇, 液化石油气). */
  medium: z.string().max(50).optional(),
  level: DevicePointSchema,
  temperature: DevicePointSchema.optional(),
  pressure: DevicePointSchema.optional(),
  /** Height of the shell (level gauges read 0 … height), for drawing the level. */
  heightM: z.number().positive().max(100).optional(),
});

export const HazardUnitSchema = z.object({
  id: IdSchema,
  name: Name,
  /** R = α · Σ(β · q / Q) from the unit's identification report (GB 18218-2018). */
  rValue: z.number().min(0).max(100_000),
  tanks: z.array(TankSchema).max(100).default([]),
});

export const AreaSchema = z.object({
  id: IdSchema,
  name: Name,
  kind: z.enum(['working_face', 'heading', 'roadway', 'area']).default('area'),
  /** Devices whose points belong here. */
  devices: z.array(IdSchema).min(1).max(200),
});

export const PlanMarkerSchema = z.object({
  point: DevicePointSchema,
  x: z.number().min(0).max(1),
  y: z.number().min(0).max(1),
  label: z.string().max(50).optional(),
});

export const SiteLayoutSchema = z
  .object({
    hazardUnits: z.array(HazardUnitSchema).max(50).default([]),
    areas: z.array(AreaSchema).max(200).default([]),
    planMarkers: z.array(PlanMarkerSchema).max(500).default([]),
  })
  .superRefine((layout, ctx) => {
    const dup = (ids: string[], path: string): void => {
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [path, i, 'id'], message: `${id} appears twice` });
        seen.add(id);
      });
    };
    dup(layout.hazardUnits.map((u) => u.id), 'hazardUnits');
    dup(layout.hazardUnits.flatMap((u) => u.tanks.map((t) => t.id)), 'tanks');
    dup(layout.areas.map((a) => a.id), 'areas');
    const marked = new Set<string>();
    layout.planMarkers.forEach((m, i) => {
      if (marked.has(m.point)) ctx.addIssue({ code: 'custom', path: ['planMarkers', i, 'point'], message: `${m.point} is placed twice` });
      marked.add(m.point);
    });
  });
export type SiteLayout = z.infer<typeof SiteLayoutSchema>;
export type HazardUnit = z.infer<typeof HazardUnitSchema>;
export type Tank = z.infer<typeof TankSchema>;

/** The seed's `layouts:` entries: a site's layout and, optionally, its plan image file (relative to the seed file). */
export const LayoutSeedSchema = z.array(
  z.object({ siteId: IdSchema, planImage: z.string().regex(/\.(png|jpe?g)$/i, 'must be a .png or .jpg file').optional() }).and(SiteLayoutSchema),
);
export type LayoutSeed = z.infer<typeof LayoutSeedSchema>;

/** 重大危险源 grade from R (GB 18218-2018 §4.2): 一级 R ≥ 100, 二级 50–100, 三级 10–50, 四级 < 10. */
export function hazardGradeOf(r: number): 1 | 2 | 3 | 4 {
  if (r >= 100) return 1;
  if (r >= 50) return 2;
  if (r >= 10) return 3;
  return 4;
}
