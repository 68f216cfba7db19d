/**
 * The tenancy tree: region (GB/T 2260) → enterprise → site → gateway → point.
 * Ingest asks it which gateway serves which sites (the tenant comes from the authenticated
 * gateway, never from a payload); the API lists through it with the caller's Scope.
 */
import { SafeLoopError, splitPointPath } from '@safeloop/contract';
import { migrate, type SqlDb } from '../db/index.ts';
import { UserStore } from '../auth/users.ts';
import { TENANCY_MIGRATIONS } from './migrations.ts';
import { canonicalRegionCode, parentRegionCode, regionLevel, type RegionLevel } from './region-code.ts';
import { scopeCondition, type Scope } from './scope.ts';
import type { Seed, SiteType } from './seed.ts';

export interface Region {
  code: string;
  name: string;
  level: RegionLevel;
  parentCode?: string;
}
export interface Enterprise {
  id: string;
  name: string;
  regionCode: string;
}
export interface Site {
  id: string;
  enterpriseId: string;
  enterpriseName: string;
  regionCode: string;
  name: string;
  type: SiteType;
  lat: number;
  lon: number;
  hazardGrade?: number;
}
export interface Gateway {
  id: string;
  enterpriseId: string;
  regionCode: string;
  name?: string;
  siteIds: string[];
  certFingerprint?: string;
  certExpiresAt?: number;
  online: boolean;
  statusAt?: number;
}
export interface PointInfo {
  path: string;
  siteId: string;
  name?: string;
  unit?: string;
  profileId?: string;
}

interface SiteRow {
  id: string;
  enterprise_id: string;
  enterprise_name: string;
  region_code: string;
  name: string;
  type: string;
  lat: number;
  lon: number;
  hazard_grade: number | null;
}
interface GatewayRow {
  id: string;
  enterprise_id: string;
  region_code: string;
  name: string | null;
  cert_fingerprint: string | null;
  cert_expires_at: number | null;
  online: number;
  status_at: number | null;
}

const SITE_SELECT = `SELECT s.id, s.enterprise_id, e.name AS enterprise_name, e.region_code, s.name, s.type, s.lat, s.lon, s.hazard_grade
  FROM sites s JOIN enterprises e ON e.id = s.enterprise_id`;
const GATEWAY_SELECT = `SELECT g.id, g.enterprise_id, e.region_code, g.name, g.cert_fingerprint, g.cert_expires_at, g.online, g.status_at
  FROM gateways g JOIN enterprises e ON e.id = g.enterprise_id`;

function siteFromRow(r: SiteRow): Site {
  return {
    id: r.id,
    enterpriseId: r.enterprise_id,
    enterpriseName: r.enterprise_name,
    regionCode: r.region_code,
    name: r.name,
    type: r.type as SiteType,
    lat: Number(r.lat),
    lon: Number(r.lon),
    ...(r.hazard_grade !== null ? { hazardGrade: r.hazard_grade } : {}),
  };
}

export class Registry {
  readonly users: UserStore;

  /** `hashPassword` replaces the scrypt hashing of new passwords (tests memoise it to seed fast). */
  constructor(private readonly deps: { db: SqlDb; now?: () => number; hashPassword?: (password: string) => Promise<string> }) {
    this.users = new UserStore({ db: deps.db, ...(deps.now ? { now: deps.now } : {}), ...(deps.hashPassword ? { hashPassword: deps.hashPassword } : {}) });
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  /** Create or upgrade the tenancy and user tables. */
  async migrate(): Promise<void> {
    await migrate(this.deps.db, 'tenancy', TENANCY_MIGRATIONS);
    await this.users.migrate();
  }

  // ── upserts ────────────────────────────────────────────────────────────────────────────

  async upsertRegion(r: { code: string; name: string }): Promise<void> {
    const code = canonicalRegionCode(r.code);
    await this.deps.db.exec(
      `INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
       ON CONFLICT (code) DO UPDATE SET name = $2, level = $3, parent_code = $4`,
      [code, r.name, regionLevel(code), parentRegionCode(code) ?? null],
    );
  }

  async upsertEnterprise(e: { id: string; name: string; regionCode: string }): Promise<void> {
    const code = canonicalRegionCode(e.regionCode);
    await this.deps.db.exec(
      `INSERT INTO enterprises (id, name, region_code, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET name = $2, region_code = $3, updated_at = $4`,
      [e.id, e.name, code, this.now()],
    );
  }

  async upsertSite(s: { id: string; enterpriseId: string; name: string; type: SiteType; lat: number; lon: number; hazardGrade?: number | undefined }): Promise<void> {
    await this.deps.db.exec(
      `INSERT INTO sites (id, enterprise_id, name, type, lat, lon, hazard_grade, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET enterprise_id = $2, name = $3, type = $4, lat = $5, lon = $6, hazard_grade = $7, updated_at = $8`,
      [s.id, s.enterpriseId, s.name, s.type, s.lat, s.lon, s.hazardGrade ?? null, this.now()],
    );
  }

  async upsertGateway(g: {
    id: string;
    enterpriseId: string;
    siteIds: readonly string[];
    name?: string | undefined;
    certFingerprint?: string | undefined;
    certExpiresAt?: number | undefined;
  }): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const sites = await tx.query<{ id: string; enterprise_id: string }>('SELECT id, enterprise_id FROM sites');
      for (const siteId of g.siteIds) {
        const s = sites.find((x) => x.id === siteId);
        if (!s) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `gateway ${g.id}: unknown site ${siteId}`);
        if (s.enterprise_id !== g.enterpriseId) {
          throw new SafeLoopError('CLOUD_ERR_VALIDATION', `gateway ${g.id}: site ${siteId} belongs to another enterprise`);
        }
      }
      await tx.exec(
        `INSERT INTO gateways (id, enterprise_id, name, cert_fingerprint, cert_expires_at, online, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6)
         ON CONFLICT (id) DO UPDATE SET enterprise_id = $2, name = $3, cert_fingerprint = $4, cert_expires_at = $5, updated_at = $6`,
        [g.id, g.enterpriseId, g.name ?? null, g.certFingerprint ?? null, g.certExpiresAt ?? null, this.now()],
      );
      await tx.exec('DELETE FROM gateway_sites WHERE gateway_id = $1', [g.id]);
      for (const siteId of g.siteIds) {
        await tx.exec('INSERT INTO gateway_sites (gateway_id, site_id) VALUES ($1, $2)', [g.id, siteId]);
      }
    });
  }

  async upsertPoint(p: { path: string; name?: string | undefined; unit?: string | undefined; profileId?: string | undefined }): Promise<void> {
    const { site } = splitPointPath(p.path);
    await this.deps.db.exec(
      `INSERT INTO points (path, site_id, name, unit, profile_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (path) DO UPDATE SET site_id = $2, name = $3, unit = $4, profile_id = $5, updated_at = $6`,
      [p.path, site, p.name ?? null, p.unit ?? null, p.profileId ?? null, this.now()],
    );
  }

  /** Record a gateway going online/offline (ingest calls this on birth/death); kept for offline-hour statistics. */
  async setGatewayStatus(id: string, online: boolean, at: number): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const changed = await tx.exec('UPDATE gateways SET online = $2, status_at = $3 WHERE id = $1 AND (online <> $2 OR status_at IS NULL)', [
        id,
        online ? 1 : 0,
        at,
      ]);
      if (changed > 0) await tx.exec('INSERT INTO gateway_status_log (gateway_id, at, online) VALUES ($1, $2, $3)', [id, at, online ? 1 : 0]);
    });
  }

  /** Apply a seed: regions (parents first), enterprises, sites, gateways, points, users. Idempotent. */
  async applySeed(seed: Seed): Promise<void> {
    const regions = [...seed.regions].sort((a, b) => canonicalRegionCode(a.code).length - canonicalRegionCode(b.code).length);
    for (const r of regions) await this.upsertRegion(r);
    for (const e of seed.enterprises) await this.upsertEnterprise(e);
    for (const s of seed.sites) await this.upsertSite(s);
    for (const g of seed.gateways) await this.upsertGateway(g);
    for (const p of seed.points) await this.upsertPoint(p);
    // Users only if absent: a restart must never reset a password, a role or a disabled flag.
    for (const u of seed.users) await this.users.insertIfAbsent(u);
  }

  // ── reads ──────────────────────────────────────────────────────────────────────────────

  /** The gateway and the sites it serves (unscoped: ingest identifies gateways by certificate). */
  async getGateway(id: string): Promise<{ id: string; enterpriseId: string; siteIds: string[] } | undefined> {
    const g = await this.getGatewayDetail(id);
    return g ? { id: g.id, enterpriseId: g.enterpriseId, siteIds: g.siteIds } : undefined;
  }

  async getGatewayDetail(id: string, scope?: Scope): Promise<Gateway | undefined> {
    const cond = scopeCondition(scope ?? { kind: 'all' }, { enterpriseId: 'g.enterprise_id', regionCode: 'e.region_code' }, 2);
    const rows = await this.deps.db.query<GatewayRow>(`${GATEWAY_SELECT} WHERE g.id = $1 AND ${cond.sql}`, [id, ...cond.params]);
    const r = rows[0];
    if (!r) return undefined;
    const sites = await this.deps.db.query<{ site_id: string }>('SELECT site_id FROM gateway_sites WHERE gateway_id = $1 ORDER BY site_id', [id]);
    return this.gatewayFromRow(r, sites.map((s) => s.site_id));
  }

  async listGateways(scope: Scope): Promise<Gateway[]> {
    const cond = scopeCondition(scope, { enterpriseId: 'g.enterprise_id', regionCode: 'e.region_code' }, 1);
    const rows = await this.deps.db.query<GatewayRow>(`${GATEWAY_SELECT} WHERE ${cond.sql} ORDER BY g.id`, cond.params);
    const links = await this.deps.db.query<{ gateway_id: string; site_id: string }>('SELECT gateway_id, site_id FROM gateway_sites ORDER BY site_id');
    return rows.map((r) => this.gatewayFromRow(r, links.filter((l) => l.gateway_id === r.id).map((l) => l.site_id)));
  }

  private gatewayFromRow(r: GatewayRow, siteIds: string[]): Gateway {
    return {
      id: r.id,
      enterpriseId: r.enterprise_id,
      regionCode: r.region_code,
      ...(r.name !== null ? { name: r.name } : {}),
      siteIds,
      ...(r.cert_fingerprint !== null ? { certFingerprint: r.cert_fingerprint } : {}),
      ...(r.cert_expires_at !== null ? { certExpiresAt: r.cert_expires_at } : {}),
      online: r.online === 1,
      ...(r.status_at !== null ? { statusAt: r.status_at } : {}),
    };
  }

  /** A site; with a scope, undefined when the site lies outside it (callers answer 404). */
  async getSite(id: string, scope?: Scope): Promise<Site | undefined> {
    const cond = scopeCondition(scope ?? { kind: 'all' }, { enterpriseId: 's.enterprise_id', regionCode: 'e.region_code' }, 2);
    const rows = await this.deps.db.query<SiteRow>(`${SITE_SELECT} WHERE s.id = $1 AND ${cond.sql}`, [id, ...cond.params]);
    return rows[0] ? siteFromRow(rows[0]) : undefined;
  }

  async listSites(scope: Scope, filter: { enterpriseId?: string; regionCode?: string } = {}): Promise<Site[]> {
    const cond = scopeCondition(scope, { enterpriseId: 's.enterprise_id', regionCode: 'e.region_code' }, 1);
    const where = [cond.sql];
    const params = [...cond.params];
    if (filter.enterpriseId !== undefined) {
      params.push(filter.enterpriseId);
      where.push(`s.enterprise_id = $${params.length}`);
    }
    if (filter.regionCode !== undefined) {
      params.push(`${canonicalRegionCode(filter.regionCode)}%`);
      where.push(`e.region_code LIKE $${params.length}`);
    }
    const rows = await this.deps.db.query<SiteRow>(`${SITE_SELECT} WHERE ${where.join(' AND ')} ORDER BY s.id`, params);
    return rows.map(siteFromRow);
  }

  async gatewaysForSite(siteId: string): Promise<string[]> {
    const rows = await this.deps.db.query<{ gateway_id: string }>('SELECT gateway_id FROM gateway_sites WHERE site_id = $1 ORDER BY gateway_id', [siteId]);
    return rows.map((r) => r.gateway_id);
  }

  async getEnterprise(id: string, scope?: Scope): Promise<Enterprise | undefined> {
    const cond = scopeCondition(scope ?? { kind: 'all' }, { enterpriseId: 'id', regionCode: 'region_code' }, 2);
    const rows = await this.deps.db.query<{ id: string; name: string; region_code: string }>(
      `SELECT id, name, region_code FROM enterprises WHERE id = $1 AND ${cond.sql}`,
      [id, ...cond.params],
    );
    const r = rows[0];
    return r ? { id: r.id, name: r.name, regionCode: r.region_code } : undefined;
  }

  async listEnterprises(scope: Scope): Promise<Enterprise[]> {
    const cond = scopeCondition(scope, { enterpriseId: 'id', regionCode: 'region_code' }, 1);
    const rows = await this.deps.db.query<{ id: string; name: string; region_code: string }>(
      `SELECT id, name, region_code FROM enterprises WHERE ${cond.sql} ORDER BY id`,
      cond.params,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, regionCode: r.region_code }));
  }

  /**
   * Regions visible in a scope: a region user sees its own region, its ancestors (for context) and
   * its descendants; an enterprise user sees the chain down to its county.
   */
  async listRegions(scope: Scope): Promise<Region[]> {
    const rows = await this.deps.db.query<{ code: string; name: string; level: string; parent_code: string | null }>(
      'SELECT code, name, level, parent_code FROM regions ORDER BY code',
    );
    let anchor: string | undefined;
    if (scope.kind === 'region') anchor = scope.regionCode;
    if (scope.kind === 'enterprise') anchor = (await this.getEnterprise(scope.enterpriseId))?.regionCode ?? '--';
    return rows
      .filter((r) => anchor === undefined || r.code.startsWith(anchor) || anchor.startsWith(r.code))
      .filter((r) => scope.kind !== 'enterprise' || (anchor ?? '').startsWith(r.code))
      .map((r) => ({ code: r.code, name: r.name, level: r.level as RegionLevel, ...(r.parent_code !== null ? { parentCode: r.parent_code } : {}) }));
  }

  async getPoint(path: string): Promise<PointInfo | undefined> {
    const rows = await this.deps.db.query<{ path: string; site_id: string; name: string | null; unit: string | null; profile_id: string | null }>(
      'SELECT path, site_id, name, unit, profile_id FROM points WHERE path = $1',
      [path],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      path: r.path,
      siteId: r.site_id,
      ...(r.name !== null ? { name: r.name } : {}),
      ...(r.unit !== null ? { unit: r.unit } : {}),
      ...(r.profile_id !== null ? { profileId: r.profile_id } : {}),
    };
  }

  async listPoints(siteId: string): Promise<PointInfo[]> {
    const rows = await this.deps.db.query<{ path: string }>('SELECT path FROM points WHERE site_id = $1 ORDER BY path', [siteId]);
    const out: PointInfo[] = [];
    for (const r of rows) {
      const p = await this.getPoint(r.path);
      if (p) out.push(p);
    }
    return out;
  }

  /** Gateway status changes before `to`, oldest first, for offline-hour statistics. */
  async gatewayStatusLog(gatewayIds: readonly string[], to: number): Promise<{ gatewayId: string; at: number; online: boolean }[]> {
    if (gatewayIds.length === 0) return [];
    // Everything before `to` (the state at `from` depends on the last change before it).
    const placeholders = gatewayIds.map((_g, i) => `$${i + 2}`).join(', ');
    const rows = await this.deps.db.query<{ gateway_id: string; at: number; online: number }>(
      `SELECT gateway_id, at, online FROM gateway_status_log WHERE at < $1 AND gateway_id IN (${placeholders}) ORDER BY at`,
      [to, ...gatewayIds],
    );
    return rows.map((r) => ({ gatewayId: r.gateway_id, at: Number(r.at), online: r.online === 1 }));
  }
}
