/**
 * Site layouts and plan images in the database: one current layout per site with a version, every
 * version kept with who saved it (the audit), and one plan image per site (PNG or JPEG, base64 text
 * so both dialects store it the same way). The seed's `layouts:` are applied at start only where a
 * site has no layout yet: what a technician placed in the dashboard is never overwritten by a restart.
 */
import { SafeLoopError } from '@safeloop/contract';
import { migrate, type Migration, type SqlDb } from '../db/index.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SiteLayoutSchema, type LayoutSeed, type SiteLayout } from './layout-schema.ts';

const both = (sql: string): { sqlite: string; postgres: string } => ({ sqlite: sql, postgres: sql });

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'site-layouts-and-plan-images',
    ...both(`
      CREATE TABLE site_layouts (site_id TEXT PRIMARY KEY, version INTEGER NOT NULL, body TEXT NOT NULL, updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL);
      CREATE TABLE site_layout_history (site_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, saved_at BIGINT NOT NULL, saved_by TEXT NOT NULL,
        PRIMARY KEY (site_id, version));
      CREATE TABLE site_plan_images (site_id TEXT PRIMARY KEY, content_type TEXT NOT NULL, data_b64 TEXT NOT NULL, bytes INTEGER NOT NULL,
        updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL);
    `),
  },
];

/** Largest plan image accepted (bytes). */
export const MAX_PLAN_IMAGE_BYTES = 2 * 1024 * 1024;

export interface StoredLayout {
  siteId: string;
  version: number;
  layout: SiteLayout;
  updatedAt: number;
  updatedBy: string;
}

export interface PlanImage {
  contentType: 'image/png' | 'image/jpeg';
  data: Buffer;
  updatedAt: number;
}

/** The image type from its first bytes; anything but PNG or JPEG (SVG included: it can carry script) is refused. */
export function sniffPlanImage(data: Buffer): PlanImage['contentType'] {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  throw new SafeLoopError('CLOUD_ERR_VALIDATION', 'plan image must be a PNG or JPEG file (its first bytes are neither)');
}

export class SiteLayoutStore {
  constructor(private readonly deps: { db: SqlDb; now?: () => number }) {}

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  async migrate(): Promise<void> {
    await migrate(this.deps.db, 'site-views', MIGRATIONS);
  }

  async get(siteId: string): Promise<StoredLayout | undefined> {
    const rows = await this.deps.db.query<{ version: number; body: string; updated_at: number; updated_by: string }>(
      'SELECT version, body, updated_at, updated_by FROM site_layouts WHERE site_id = $1',
      [siteId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { siteId, version: Number(r.version), layout: SiteLayoutSchema.parse(JSON.parse(r.body)), updatedAt: Number(r.updated_at), updatedBy: r.updated_by };
  }

  /**
   * Save a new version. `expectedVersion` (the version the editor started from; 0 for none) guards
   * against two people overwriting each other: a stale one gets CLOUD_ERR_CONFLICT.
   */
  async put(siteId: string, input: unknown, by: string, expectedVersion?: number): Promise<StoredLayout> {
    const layout = SiteLayoutSchema.parse(input);
    const at = this.now();
    const body = JSON.stringify(layout);
    return this.deps.db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`site_layout:${siteId}`]);
      const cur = await tx.query<{ version: number }>('SELECT version FROM site_layouts WHERE site_id = $1', [siteId]);
      const current = Number(cur[0]?.version ?? 0);
      if (expectedVersion !== undefined && expectedVersion !== current) {
        throw new SafeLoopError('CLOUD_ERR_CONFLICT', `layout of ${siteId} is at version ${current}, not ${expectedVersion}: reload and apply your change again`, {
          details: { current, expected: expectedVersion },
        });
      }
      const version = current + 1;
      await tx.exec(
        `INSERT INTO site_layouts (site_id, version, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (site_id) DO UPDATE SET version = excluded.version, body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        [siteId, version, body, at, by],
      );
      await tx.exec('INSERT INTO site_layout_history (site_id, version, body, saved_at, saved_by) VALUES ($1, $2, $3, $4, $5)', [siteId, version, body, at, by]);
      return { siteId, version, layout, updatedAt: at, updatedBy: by };
    });
  }

  /** Who saved which version, newest first. */
  async history(siteId: string): Promise<{ version: number; savedAt: number; savedBy: string }[]> {
    const rows = await this.deps.db.query<{ version: number; saved_at: number; saved_by: string }>(
      'SELECT version, saved_at, saved_by FROM site_layout_history WHERE site_id = $1 ORDER BY version DESC',
      [siteId],
    );
    return rows.map((r) => ({ version: Number(r.version), savedAt: Number(r.saved_at), savedBy: r.saved_by }));
  }

  /** Seed layouts (and plan images, read relative to `baseDir`) for sites that have none yet. */
  async applySeed(layouts: LayoutSeed, baseDir: string): Promise<void> {
    for (const { siteId, planImage, ...layout } of layouts) {
      if (!(await this.get(siteId))) await this.put(siteId, layout, 'seed');
      if (planImage && !(await this.hasPlanImage(siteId))) await this.putPlanImage(siteId, readFileSync(resolve(baseDir, planImage)), 'seed');
    }
  }

  /** Whether the site has a plan image (without reading it). */
  async hasPlanImage(siteId: string): Promise<boolean> {
    return (await this.deps.db.query('SELECT 1 AS one FROM site_plan_images WHERE site_id = $1', [siteId])).length > 0;
  }

  async getPlanImage(siteId: string): Promise<PlanImage | undefined> {
    const rows = await this.deps.db.query<{ content_type: string; data_b64: string; updated_at: number }>(
      'SELECT content_type, data_b64, updated_at FROM site_plan_images WHERE site_id = $1',
      [siteId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { contentType: r.content_type === 'image/jpeg' ? 'image/jpeg' : 'image/png', data: Buffer.from(r.data_b64, 'base64'), updatedAt: Number(r.updated_at) };
  }

  async putPlanImage(siteId: string, data: Buffer, by: string): Promise<{ contentType: string; bytes: number }> {
    if (data.length === 0) throw new SafeLoopError('CLOUD_ERR_VALIDATION', 'plan image is empty');
    if (data.length > MAX_PLAN_IMAGE_BYTES) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `plan image is ${data.length} bytes; the limit is ${MAX_PLAN_IMAGE_BYTES}`);
    const contentType = sniffPlanImage(data);
    await this.deps.db.exec(
      `INSERT INTO site_plan_images (site_id, content_type, data_b64, bytes, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (site_id) DO UPDATE SET content_type = excluded.content_type, data_b64 = excluded.data_b64, bytes = excluded.bytes,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [siteId, contentType, data.toString('base64'), data.length, this.now(), by],
    );
    return { contentType, bytes: data.length };
  }
}
