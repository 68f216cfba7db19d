import { SafeLoopError } from '@safeloop/contract';
import { z } from 'zod';
import { principalOf, requireAction } from '../http/context.ts';
import { sitePolicy } from '../alarms/policy.ts';
import { regionContains } from '../tenancy/region-code.ts';
import { alarmStats } from './stats.ts';
import { NewUserBody, StatsQuerySchema } from './schemas.ts';
import type { HttpServerDeps, ZApp } from './types.ts';

export function registerAdminRoutes(app: ZApp, deps: HttpServerDeps): void {
  const now = (): number => (deps.clock ? deps.clock.now() : Date.now());

  app.get('/api/stats', { schema: { tags: ['reports'], querystring: StatsQuerySchema } }, async (req) => {
    const scope = principalOf(req).scope;
    const query = req.query;
    if (query.regionCode !== undefined) {
      const inside = scope.kind === 'all' || (scope.kind === 'region' && regionContains(scope.regionCode, query.regionCode)) || (scope.kind === 'region' && regionContains(query.regionCode, scope.regionCode));
      if (!inside) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `region ${query.regionCode} is outside your area`);
    }
    if (query.enterpriseId !== undefined && !(await deps.registry.getEnterprise(query.enterpriseId, scope))) {
      throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `enterprise ${query.enterpriseId} not found`);
    }
    const to = query.to ?? now();
    const from = query.from ?? to - 30 * 86_400_000;
    return alarmStats({ db: deps.db, registry: deps.registry, policy: sitePolicy(deps.alarms.policy, undefined), now: now() }, scope, {
      regionCode: query.regionCode,
      enterpriseId: query.enterpriseId,
      from,
      to,
    });
  });

  app.get('/api/users', { schema: { tags: ['admin'] } }, async (req) => {
    const p = requireAction(req, 'manage-users');
    return deps.registry.users.list(p.scope);
  });

  app.post('/api/users', { schema: { tags: ['admin'], body: NewUserBody } }, async (req, reply) => {
    requireAction(req, 'manage-users');
    const b = req.body;
    const user = await deps.registry.users.create({
      username: b.username,
      password: b.password,
      name: b.name,
      role: b.role,
      regionCode: b.regionCode,
      enterpriseId: b.enterpriseId,
      duty: b.duty,
      phone: b.phone,
    });
    return reply.code(201).send(user);
  });

  const rules = deps.rules;
  if (rules) {
    app.get('/api/rules', { schema: { tags: ['rules'] } }, async () => rules.list());
    app.put('/api/rules', { schema: { tags: ['rules'], body: z.unknown() } }, async (req) => {
      const p = requireAction(req, 'manage-rules');
      return rules.put(req.body, { username: p.user.username });
    });
  }
}
