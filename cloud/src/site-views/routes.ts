/**
 * Site views by kind:
 *   GET  /api/sites/:id/view        what the site's page draws: layout (hazard units with their grade, tanks,
 *                                   areas / working faces, plan markers), tailings items graded, point facts
 *                                   (names, units, ranges, limits as the edge evaluates them)
 *   GET  /api/sites/:id/layout      the layout with its version and who saved it
 *   PUT  /api/sites/:id/layout      save a new version (technician, administrator); stale version → 409
 *   GET  /api/sites/:id/plan-image  the plan image (PNG/JPEG)
 *   PUT  /api/sites/:id/plan-image  replace it (JSON: { dataBase64 }); SVG and other types are refused
 * Every route looks the site up through the caller's scope first: a site outside it is "not found".
 */
import { SafeLoopError } from '@safeloop/contract';
import { z } from 'zod';
import { principalOf } from '../http/context.ts';
import { policy } from '../http/policy.ts';
import { IdParams } from '../api/schemas.ts';
import type { HttpServerDeps, ZApp } from '../api/types.ts';
import type { Site } from '../tenancy/registry.ts';
import { hazardGradeOf, SiteLayoutSchema, type SiteLayout } from './layout-schema.ts';
import { MAX_PLAN_IMAGE_BYTES, type SiteLayoutStore } from './layout-store.ts';
import { pointFactsFromConfig, type PointFacts } from './point-facts.ts';
import { tailingsViews } from './tailings-view.ts';

const LayoutBody = z.object({ layout: SiteLayoutSchema, expectedVersion: z.number().int().min(0).optional() });
const PlanImageBody = z.object({ dataBase64: z.string().min(4).max(Math.ceil((MAX_PLAN_IMAGE_BYTES * 4) / 3) + 8) });
const EMPTY_LAYOUT: SiteLayout = { hazardUnits: [], areas: [], planMarkers: [] };

export function registerSiteViewRoutes(app: ZApp, deps: HttpServerDeps): void {
  const store = (): SiteLayoutStore => {
    if (!deps.siteLayouts) throw new SafeLoopError('CLOUD_ERR_UNAVAILABLE', 'site layouts not configured');
    return deps.siteLayouts;
  };
  const siteInScope = async (req: Parameters<typeof principalOf>[0], id: string): Promise<Site> => {
    const site = await deps.registry.getSite(id, principalOf(req).scope);
    if (!site) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `site ${id} not found`);
    return site;
  };
  const READ = { policy: policy.action('read') };
  const EDIT = { policy: policy.action('manage-registry') };

  app.get('/api/sites/:id/view', { schema: { tags: ['site-views'], params: IdParams }, config: READ }, async (req) => {
    const site = await siteInScope(req, req.params.id);
    const stored = await store().get(site.id);
    const layout = stored?.layout ?? EMPTY_LAYOUT;
    const facts = new Map<string, PointFacts>();
    for (const d of deps.remoteConfig ? await deps.remoteConfig.desiredOfSite(site.id) : []) pointFactsFromConfig(d.config, facts, deps.pointNames?.profileById);
    const prefix = `${site.id}/`;
    const [latest, registered] = await Promise.all([deps.telemetry ? deps.telemetry.latest({ siteId: site.id }) : Promise.resolve([]), deps.registry.listPoints(site.id)]);
    const names = new Map<string, string>();
    for (const [path, f] of facts) if (f.name) names.set(path, f.name.zh);
    for (const p of registered) if (p.name) names.set(p.path, p.name);
    const rules = deps.rules ? ((await deps.rules.list()) as { rules?: unknown[] } | undefined)?.rules ?? [] : [];
    const tailings = await tailingsViews(deps.db, rules as Parameters<typeof tailingsViews>[1], site, latest, names);
    return {
      siteId: site.id,
      type: site.type,
      layoutVersion: stored?.version ?? 0,
      hazardUnits: layout.hazardUnits.map((u) => ({ ...u, grade: hazardGradeOf(u.rValue) })),
      areas: layout.areas,
      planMarkers: layout.planMarkers,
      hasPlanImage: await store().hasPlanImage(site.id),
      tailings,
      points: Object.fromEntries([...facts].filter(([path]) => path.startsWith(prefix))),
    };
  });

  app.get('/api/sites/:id/layout', { schema: { tags: ['site-views'], params: IdParams }, config: READ }, async (req) => {
    const site = await siteInScope(req, req.params.id);
    const stored = await store().get(site.id);
    return { siteId: site.id, version: stored?.version ?? 0, layout: stored?.layout ?? EMPTY_LAYOUT, updatedAt: stored?.updatedAt ?? null, updatedBy: stored?.updatedBy ?? null, history: await store().history(site.id) };
  });

  app.put('/api/sites/:id/layout', { schema: { tags: ['site-views'], params: IdParams, body: LayoutBody }, config: EDIT }, async (req) => {
    const site = await siteInScope(req, req.params.id);
    const saved = await store().put(site.id, req.body.layout, principalOf(req).user.username, req.body.expectedVersion);
    deps.logger.info({ siteId: site.id, version: saved.version, by: saved.updatedBy }, 'site layout saved');
    return { siteId: site.id, version: saved.version, layout: saved.layout, updatedAt: saved.updatedAt, updatedBy: saved.updatedBy };
  });

  app.get('/api/sites/:id/plan-image', { schema: { tags: ['site-views'], params: IdParams }, config: READ }, async (req, reply) => {
    const site = await siteInScope(req, req.params.id);
    const img = await store().getPlanImage(site.id);
    if (!img) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `site ${site.id} has no plan image`);
    return reply.type(img.contentType).header('cache-control', 'private, no-cache').send(img.data);
  });

  app.put(
    '/api/sites/:id/plan-image',
    { schema: { tags: ['site-views'], params: IdParams, body: PlanImageBody }, config: EDIT, bodyLimit: Math.ceil((MAX_PLAN_IMAGE_BYTES * 4) / 3) + 64 * 1024 },
    async (req) => {
      const site = await siteInScope(req, req.params.id);
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(req.body.dataBase64)) throw new SafeLoopError('CLOUD_ERR_VALIDATION', 'dataBase64 is not base64 text');
      const saved = await store().putPlanImage(site.id, Buffer.from(req.body.dataBase64, 'base64'), principalOf(req).user.username);
      deps.logger.info({ siteId: site.id, bytes: saved.bytes, by: principalOf(req).user.username }, 'site plan image saved');
      return { siteId: site.id, ...saved };
    },
  );
}
