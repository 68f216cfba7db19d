/**
 * The caller's own credentials: log in and out, who am I, change my password, my API tokens (with a
 * mandatory expiry; listed and revoked), and the single-use ticket that opens the live stream.
 */
import { SafeLoopError, IdSchema } from '@safeloop/contract';
import { z } from 'zod';
import type { Principal } from '../auth/auth-service.ts';
import { principalOf } from '../http/context.ts';
import { policy } from '../http/policy.ts';
import { ApiTokenBody, LoginBody, PasswordChangeBody } from './schemas.ts';
import type { HttpServerDeps, ZApp } from './types.ts';

export function meOf(p: Principal): { id: string; username: string; name: string; role: string; regionCode?: string; enterpriseId?: string; duty?: string; mustChangePassword?: true } {
  const u = p.user;
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    role: u.role,
    ...(u.regionCode !== undefined ? { regionCode: u.regionCode } : {}),
    ...(u.enterpriseId !== undefined ? { enterpriseId: u.enterpriseId } : {}),
    ...(u.duty !== undefined ? { duty: u.duty } : {}),
    ...(u.mustChangePassword ? { mustChangePassword: true as const } : {}),
  };
}

export function registerAuthRoutes(app: ZApp, deps: HttpServerDeps): void {
  app.post('/api/auth/login', { schema: { tags: ['auth'], body: LoginBody }, config: { policy: policy.public('exchanges a password for a session token') } }, async (req) => {
    const r = await deps.auth.login(req.body.username, req.body.password, req.ip);
    return { token: r.token, expiresAt: r.expiresAt, user: meOf({ user: r.user, scope: { kind: 'all' }, via: 'session' }) };
  });

  app.post('/api/auth/logout', { schema: { tags: ['auth'] }, config: { policy: policy.anyUser({ duringPasswordChange: true }) } }, async (req, reply) => {
    await deps.auth.logout(req.headers.authorization);
    return reply.code(204).send();
  });

  app.post('/api/auth/password', { schema: { tags: ['auth'], body: PasswordChangeBody }, config: { policy: policy.anyUser({ duringPasswordChange: true }) } }, async (req) => {
    const p = principalOf(req);
    const t = await deps.auth.changePassword(p.user.id, req.body.currentPassword, req.body.newPassword);
    await deps.securityLog?.recordUserAction({ actor: { id: p.user.id, username: p.user.username, role: p.user.role, ip: req.ip }, action: 'password-change', targetId: p.user.id, targetName: p.user.username });
    return t;
  });

  app.get('/api/me', { schema: { tags: ['auth'] }, config: { policy: policy.anyUser({ duringPasswordChange: true }) } }, async (req) => {
    const p = principalOf(req);
    return { ...meOf(p), scope: p.scope };
  });

  /** An API token for the caller (integrations); shown once, always with an expiry. */
  app.post('/api/tokens', { schema: { tags: ['auth'], body: ApiTokenBody }, config: { policy: policy.anyUser() } }, async (req, reply) => {
    const p = principalOf(req);
    const t = await deps.auth.createApiToken(p.user.id, req.body.name, req.body.ttlDays * 86_400_000);
    return reply.code(201).send(t);
  });

  app.get('/api/tokens', { schema: { tags: ['auth'] }, config: { policy: policy.anyUser() } }, async (req) => deps.auth.listApiTokens(principalOf(req).user.id));

  /** Revoke one of the caller's tokens (an administrator revokes other users' tokens through /api/users). */
  app.delete('/api/tokens/:id', { schema: { tags: ['auth'], params: z.object({ id: IdSchema }) }, config: { policy: policy.anyUser() } }, async (req, reply) => {
    const p = principalOf(req);
    const owner = await deps.auth.credentials.tokenOwner(req.params.id);
    if (owner !== p.user.id) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `API token ${req.params.id} not found`);
    await deps.auth.revokeApiToken(req.params.id);
    return reply.code(204).send();
  });

  /** A single-use ticket (60 s) for `GET /api/stream?ticket=…`: EventSource cannot send the Authorization header. */
  app.post('/api/stream/ticket', { schema: { tags: ['auth'] }, config: { policy: policy.anyUser() } }, async (req, reply) =>
    reply.code(201).send(await deps.auth.issueStreamTicket(principalOf(req).user.id)),
  );
}
