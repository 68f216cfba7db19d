import { SafeLoopError, splitPointPath } from '@safeloop/contract';
import { readGatewayFacts } from '../ingest/gateway-facts.ts';
import { devicesFromConfig } from '../provisioning/device-inventory.ts';
import { principalOf } from '../http/context.ts';
import { policy } from '../http/policy.ts';
import { HistoryQuery, IdParams, SitesQuery } from './schemas.ts';
import type { HttpServerDeps, ZApp } from './types.ts';

const READ = { policy: policy.action('read') };
const COLOUR_BY_RANK: Record<number, string> = { 4: 'red', 3: 'orange', 2: 'yellow', 1: 'blue' };

function notFound(what: string, id: string): SafeLoopError {
  return new SafeLoopError('CLOUD_ERR_NOT_FOUND', `${what} ${id} not found`);
}

export function registerSiteRoutes(app: ZApp, deps: HttpServerDeps): void {
  const telemetry = (): NonNullable<HttpServerDeps['telemetry']> => {
    if (!deps.telemetry) throw new SafeLoopError('CLOUD_ERR_UNAVAILABLE', 'telemetry store not connected');
    return deps.telemetry;
  };

  app.get('/api/regions', { schema: { tags: ['tenancy'] }, config: READ }, async (req) => deps.registry.listRegions(principalOf(req).scope));

  app.get('/api/enterprises', { schema: { tags: ['tenancy'] }, config: READ }, async (req) => deps.registry.listEnterprises(principalOf(req).scope));

  app.get('/api/sites', { schema: { tags: ['tenancy'], querystring: SitesQuery }, config: READ }, async (req) => {
    const scope = principalOf(req).scope;
    const filter = {
      ...(req.query.enterpriseId !== undefined ? { enterpriseId: req.query.enterpriseId } : {}),
      ...(req.query.regionCode !== undefined ? { regionCode: req.query.regionCode } : {}),
    };
    const [sites, open, gateways] = await Promise.all([
      deps.registry.listSites(scope, filter),
      deps.alarms.queries.openBySite(scope),
      deps.registry.listGateways(scope),
    ]);
    return sites.map((s) => {
      const o = open.get(s.id);
      const gws = gateways.filter((g) => g.siteIds.includes(s.id));
      return {
        id: s.id,
        name: s.name,
        type: s.type,
        enterpriseId: s.enterpriseId,
        enterpriseName: s.enterpriseName,
        regionCode: s.regionCode,
        lat: s.lat,
        lon: s.lon,
        hazardGrade: s.hazardGrade ?? null,
        worstColour: o ? (COLOUR_BY_RANK[o.worstRank] ?? null) : null,
        openAlarms: o?.open ?? 0,
        gatewayOnline: gws.length > 0 && gws.some((g) => g.online),
        gatewayIds: gws.map((g) => g.id),
      };
    });
  });

  app.get('/api/sites/:id', { schema: { tags: ['tenancy'], params: IdParams }, config: READ }, async (req) => {
    const scope = principalOf(req).scope;
    const site = await deps.registry.getSite(req.params.id, scope);
    if (!site) throw notFound('site', req.params.id);
    const [points, gatewayIds, desired] = await Promise.all([
      deps.registry.listPoints(site.id),
      deps.registry.gatewaysForSite(site.id),
      deps.remoteConfig ? deps.remoteConfig.desiredOfSite(site.id) : Promise.resolve([]),
    ]);
    // Devices as the gateways' desired configurations list them (model/profile, protocol, address, poll interval).
    const devices = desired.flatMap((d) => devicesFromConfig(d.gatewayId, d.config));
    return { ...site, points: deps.pointNames ? await deps.pointNames.sitePoints(site.id, points) : points, gatewayIds, devices };
  });

  app.get('/api/sites/:id/latest', { schema: { tags: ['telemetry'], params: IdParams }, config: READ }, async (req) => {
    const site = await deps.registry.getSite(req.params.id, principalOf(req).scope);
    if (!site) throw notFound('site', req.params.id);
    return telemetry().latest({ siteId: site.id });
  });

  app.get('/api/points/history', { schema: { tags: ['telemetry'], querystring: HistoryQuery }, config: READ }, async (req) => {
    const q = req.query;
    const site = await deps.registry.getSite(splitPointPath(q.point).site, principalOf(req).scope);
    if (!site) throw notFound('point', q.point);
    if (q.to <= q.from) throw new SafeLoopError('CLOUD_ERR_VALIDATION', 'to must be after from');
    const maxSpan = q.resolution === 'raw' ? 7 * 86_400_000 : 366 * 86_400_000;
    if (q.to - q.from > maxSpan) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `span too long for resolution ${q.resolution}`);
    return { point: q.point, resolution: q.resolution, rows: await telemetry().history(q.point, q.from, q.to, q.resolution) };
  });

  // Each gateway with what its messages told the ingest: last seen (heartbeat), clock offset, stopped on purpose.
  app.get('/api/gateways', { schema: { tags: ['tenancy'] }, config: READ }, async (req) => {
    const gateways = await deps.registry.listGateways(principalOf(req).scope);
    const ids = gateways.map((g) => g.id);
    const clocks = await readGatewayFacts(deps.db, ids);
    const versions = deps.remoteConfig ? await deps.remoteConfig.versions(ids) : new Map<string, object>();
    return gateways.map((g) => ({ ...g, ...clocks.get(g.id), ...versions.get(g.id) }));
  });

  app.get('/api/gateways/:id', { schema: { tags: ['tenancy'], params: IdParams }, config: READ }, async (req) => {
    const g = await deps.registry.getGatewayDetail(req.params.id, principalOf(req).scope);
    if (!g) throw notFound('gateway', req.params.id);
    return { ...g, ...(await readGatewayFacts(deps.db, [g.id])).get(g.id) };
  });
}
