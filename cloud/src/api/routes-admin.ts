/**
 * Reports and rules: GET /api/stats (scoped statistics), GET /api/rules (the rule set, narrowed to
 * the caller's sites), PUT /api/rules (administrators). Users are in routes-accounts.ts.
 */
import { SafeLoopError } from '@safeloop/contract';
import { z } from 'zod';
import { principalOf } from '../http/context.ts';
import { sitePolicy } from '../alarms/policy.ts';
import { regionContains } from '../tenancy/region-code.ts';
import { alarmStats, type StatsQuery } from './stats.ts';
import { statsByEnterprise, statsToCsv } from './stats-table.ts';
import { statsToXlsx } from './xlsx.ts';
import { StatsQuerySchema } from './schemas.ts';
import { policy } from '../http/policy.ts';
import type { Scope } from '../tenancy/scope.ts';
import type { HttpServerDeps, ZApp } from './types.ts';

export function registerAdminRoutes(app: ZApp, deps: HttpServerDeps): void {
  const now = (): number => (deps.clock ? deps.clock.now() : Date.now());

  /** The caller's query checked against their place; the period defaults to the last 30 days. */
  async function statsQuery(scope: Scope, query: z.infer<typeof StatsQuerySchema>): Promise<StatsQuery> {
    if (query.regionCode !== undefined) {
      const inside = scope.kind === 'all' || (scope.kind === 'region' && regionContains(scope.regionCode, query.regionCode)) || (scope.kind === 'region' && regionContains(query.regionCode, scope.regionCode));
      if (!inside) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `region ${query.regionCode} is outside your area`);
    }
    if (query.enterpriseId !== undefined && !(await deps.registry.getEnterprise(query.enterpriseId, scope))) {
      throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `enterprise ${query.enterpriseId} not found`);
    }
    const to = query.to ?? now();
    const from = query.from ?? to - 30 * 86_400_000;
    if (from >= to) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `the period must start before it ends (from ${from} ≥ to ${to})`);
    return { regionCode: query.regionCode, enterpriseId: query.enterpriseId, from, to };
  }
  const statsDeps = () => ({ db: deps.db, registry: deps.registry, policy: sitePolicy(deps.alarms.policy, undefined), now: now() });
  const reports = { tags: ['reports'], querystring: StatsQuerySchema };

  app.get('/api/stats', { schema: reports, config: { policy: policy.action('read') } }, async (req) => {
    const scope = principalOf(req).scope;
    return alarmStats(statsDeps(), scope, await statsQuery(scope, req.query));
  });

  /** The same figures per enterprise: the overview's table, every row a drill-down. */
  app.get('/api/stats/by-enterprise', { schema: reports, config: { policy: policy.action('read') } }, async (req) => {
    const scope = principalOf(req).scope;
    return statsByEnterprise(statsDeps(), scope, await statsQuery(scope, req.query));
  });

  app.get('/api/stats/export.csv', { schema: reports, config: { policy: policy.action('read') } }, async (req, reply) => {
    const scope = principalOf(req).scope;
    const rows = await statsByEnterprise(statsDeps(), scope, await statsQuery(scope, req.query));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="safeloop-stats.csv"').send(statsToCsv(rows));
  });

  app.get('/api/stats/export.xlsx', { schema: reports, config: { policy: policy.action('read') } }, async (req, reply) => {
    const scope = principalOf(req).scope;
    const rows = await statsByEnterprise(statsDeps(), scope, await statsQuery(scope, req.query));
    return reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('content-disposition', 'attachment; filename="safeloop-stats.xlsx"')
      .send(await statsToXlsx(rows));
  });

  const rules = deps.rules;
  if (rules) {
    /** The rule set as the caller may see it: site-specific rules only for sites in their scope. */
    app.get('/api/rules', { schema: { tags: ['rules'] }, config: { policy: policy.action('read') } }, async (req) => {
      const scope = principalOf(req).scope;
      return rulesInScope(await rules.list(), scope, async () => new Set((await deps.registry.listSites(scope, {})).map((s) => s.id)));
    });
    app.put('/api/rules', { schema: { tags: ['rules'], body: z.unknown() }, config: { policy: policy.action('manage-rules') } }, async (req) => {
      const p = principalOf(req);
      return rules.put(req.body, { username: p.user.username });
    });
  }
}

/**
 * A rule naming sites is shown only when one of them is in the caller's scope, and then with only
 * those sites; rules without a site list (templates by site type, global rules) carry no tenant data.
 */
export async function rulesInScope(set: unknown, scope: Scope, visibleSites: () => Promise<Set<string>>): Promise<unknown> {
  if (scope.kind === 'all' || !set || typeof set !== 'object' || !Array.isArray((set as { rules?: unknown }).rules)) return set;
  const visible = await visibleSites();
  const rules = (set as { rules: unknown[] }).rules.flatMap((r) => {
    const sites = r && typeof r === 'object' ? (r as { sites?: unknown }).sites : undefined;
    if (!Array.isArray(sites)) return [r];
    const mine = sites.filter((s): s is string => typeof s === 'string' && visible.has(s));
    return mine.length > 0 ? [{ ...(r as object), sites: mine }] : [];
  });
  return { ...(set as object), rules };
}
