import type { Principal } from '../auth/auth-service.ts';
import { principalOf } from '../http/context.ts';
import { ApiTokenBody, LoginBody } from './schemas.ts';
import type { HttpServerDeps, ZApp } from './types.ts';

export function meOf(p: Principal): { id: string; username: string; name: string; role: string; regionCode?: string; enterpriseId?: string; duty?: string } {
  const u = p.user;
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    role: u.role,
    ...(u.regionCode !== undefined ? { regionCode: u.regionCode } : {}),
    ...(u.enterpriseId !== undefined ? { enterpriseId: u.enterpriseId } : {}),
    ...(u.duty !== undefined ? { duty: u.duty } : {}),
  };
}

export function registerAuthRoutes(app: ZApp, deps: HttpServerDeps): void {
  app.post('/api/auth/login', { schema: { tags: ['auth'], body: LoginBody }, config: { public: true } }, async (req) => {
    const r = await deps.auth.login(req.body.username, req.body.password);
    return { token: r.token, expiresAt: r.expiresAt, user: meOf({ user: r.user, scope: { kind: 'all' }, via: 'session' }) };
  });

  app.post('/api/auth/logout', { schema: { tags: ['auth'] } }, async (req, reply) => {
    await deps.auth.logout(req.headers.authorization);
    return reply.code(204).send();
  });

  app.get('/api/me', { schema: { tags: ['auth'] } }, async (req) => {
    const p = principalOf(req);
    return { ...meOf(p), scope: p.scope };
  });

  /** An API token for the caller (integrations); shown once. */
  app.post('/api/tokens', { schema: { tags: ['auth'], body: ApiTokenBody } }, async (req, reply) => {
    const p = principalOf(req);
    const t = await deps.auth.createApiToken(p.user.id, req.body.name, req.body.ttlDays === undefined ? undefined : req.body.ttlDays * 86_400_000);
    return reply.code(201).send(t);
  });
}
