/** The seed file (YAML): regions, enterprises, sites, gateways, points and users, validated by one schema. */
import { IdSchema, PointPathSchema, loadConfigFile, validateConfig, parseConfigText } from '@safeloop/contract';
import { z } from 'zod';
import { ROLES, DUTIES } from '../auth/roles.ts';
import { DutySeedSchema } from '../notify/duty-roster.ts';
import { LayoutSeedSchema } from '../site-views/layout-schema.ts';

export const SITE_TYPES = ['hazchem', 'tailings', 'coal', 'nonCoal', 'fireworks'] as const;
export const SiteTypeSchema = z.enum(SITE_TYPES);
export type SiteType = z.infer<typeof SiteTypeSchema>;

const RegionCodeSchema = z.string().regex(/^\d{2}(\d{2}(\d{2})?)?$/, 'must be a GB/T 2260 code of 2, 4 or 6 digits');

export const RegionSeedSchema = z.object({ code: RegionCodeSchema, name: z.string().min(1).max(100) });
export const EnterpriseSeedSchema = z.object({ id: IdSchema, name: z.string().min(1).max(200), regionCode: RegionCodeSchema });
export const SiteSeedSchema = z.object({
  id: IdSchema,
  enterpriseId: IdSchema,
  name: z.string().min(1).max(200),
  type: SiteTypeSchema,
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  /** 重大危险源 grade 1 (highest) … 4, when the site is one. */
  hazardGrade: z.number().int().min(1).max(4).optional(),
});
export const GatewaySeedSchema = z.object({
  id: IdSchema,
  enterpriseId: IdSchema,
  name: z.string().max(200).optional(),
  siteIds: z.array(IdSchema).min(1),
  certFingerprint: z.string().max(200).optional(),
  certExpiresAt: z.number().int().optional(),
});
export const PointSeedSchema = z.object({
  path: PointPathSchema,
  name: z.string().max(200).optional(),
  unit: z.string().max(32).optional(),
  profileId: z.string().max(128).optional(),
});
export const UserSeedSchema = z.object({
  username: z.string().regex(/^[a-z0-9_.-]{2,64}$/, 'lower-case letters, digits, _ . -'),
  password: z.string().min(6).max(200),
  name: z.string().min(1).max(100),
  role: z.enum(ROLES),
  regionCode: RegionCodeSchema.optional(),
  enterpriseId: IdSchema.optional(),
  duty: z.enum(DUTIES).optional(),
  phone: z.string().max(32).optional(),
});

export const SeedSchema = z.object({
  regions: z.array(RegionSeedSchema).default([]),
  enterprises: z.array(EnterpriseSeedSchema).default([]),
  sites: z.array(SiteSeedSchema).default([]),
  gateways: z.array(GatewaySeedSchema).default([]),
  points: z.array(PointSeedSchema).default([]),
  users: z.array(UserSeedSchema).default([]),
  /** Per-site duty rosters (shifts and who is on them) and work-chat ids (cloud/src/notify/duty-roster.ts). */
  duty: DutySeedSchema.default({ rosters: [], contacts: [] }),
  /** Per-site layouts (hazard units, tanks, areas / working faces, plan markers): cloud/src/site-views. */
  layouts: LayoutSeedSchema.default([]),
});
export type Seed = z.infer<typeof SeedSchema>;
export type SeedInput = z.input<typeof SeedSchema>;

export function loadSeedFile(file: string): Seed {
  return loadConfigFile(file, SeedSchema);
}

export function parseSeedText(file: string, text: string): Seed {
  return validateConfig(file, parseConfigText(file, text), SeedSchema);
}

/** The logins a seed defines, for the demo to print (username, password, role, place). */
export function seedLogins(seed: Seed): { username: string; password: string; role: string; place: string; name: string }[] {
  return seed.users.map((u) => ({
    username: u.username,
    password: u.password,
    role: u.role,
    name: u.name,
    place: u.enterpriseId ?? u.regionCode ?? '*',
  }));
}
