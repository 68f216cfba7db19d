/**
 * User management inside the caller's place (auth/user-admin.ts), every change audited:
 *   GET   /api/users                       users in the caller's scope
 *   POST  /api/users                       create (password policy applies)
 *   PATCH /api/users/:id                   name, role, place, duty, phone, disabled
 *   POST  /api/users/:id/reset-password    temporary password; the user must change it
 *   GET   /api/users/:id/tokens            a user's API tokens; DELETE …/tokens/:tokenId revokes one
 *   GET   /api/users/:id/audit             what was done to this account
 *   GET   /api/security-events             bursts of refused accesses (administrators)
 *   GET   /api/access-refusals             the refused object accesses themselves (administrators)
 */
import { IdSchema, SafeLoopError } from '@safeloop/contract';
import { z } from 'zod';
import { checkPasswordPolicy } from '../auth/password-policy.ts';
import type { SecurityLog } from '../auth/security-log.ts';
import { checkGrant, manageableUser, patchedPlace } from '../auth/user-admin.ts';
import { principalOf } from '../http/context.ts';
import { policy } from '../http/policy.ts';
import { NewUserBody, PasswordResetBody, UserPatchBody } from './schemas.ts';
import type { HttpServerDeps, ZApp } from './types.ts';

const UserParams = z.object({ id: IdSchema });
const UserTokenParams = z.object({ id: IdSchema, tokenId: IdSchema });

export function registerAccountRoutes(app: ZApp, deps: HttpServerDeps & { securityLog: SecurityLog }): void {
  const log = deps.securityLog;
  const manage = { policy: policy.action('manage-users') };
  const actorOf = (req: Parameters<typeof principalOf>[0]): { id: string; username: string; role: string; ip: string } => {
    const p = principalOf(req);
    return { id: p.user.id, username: p.user.username, role: p.user.role, ip: req.ip };
  };

  app.get('/api/users', { schema: { tags: ['admin'] }, config: manage }, async (req) => {
    const p = principalOf(req);
    const users = await deps.registry.users.list(p.scope);
    return users.map(({ sessionsValidAfter: _s, ...u }) => u);
  });

  app.post('/api/users', { schema: { tags: ['admin'], body: NewUserBody }, config: manage }, async (req, reply) => {
    const p = principalOf(req);
    const b = req.body;
    await checkGrant(deps.registry, p, b);
    checkPasswordPolicy(b.password, b.username);
    const { sessionsValidAfter: _s, ...user } = await deps.registry.users.create({
      username: b.username,
      password: b.password,
      name: b.name,
      role: b.role,
      regionCode: b.regionCode,
      enterpriseId: b.enterpriseId,
      duty: b.duty,
      phone: b.phone,
    });
    await log.recordUserAction({ actor: actorOf(req), action: 'user-create', targetId: user.id, targetName: user.username, details: { role: user.role, regionCode: user.regionCode ?? null, enterpriseId: user.enterpriseId ?? null } });
    return reply.code(201).send(user);
  });

  app.patch('/api/users/:id', { schema: { tags: ['admin'], params: UserParams, body: UserPatchBody }, config: manage }, async (req) => {
    const p = principalOf(req);
    const target = await manageableUser(deps.registry, p, req.params.id);
    await checkGrant(deps.registry, p, patchedPlace(p, target, req.body));
    const { sessionsValidAfter: _s, ...after } = await deps.registry.users.update(target.id, req.body);
    await log.recordUserAction({ actor: actorOf(req), action: req.body.disabled === true ? 'user-disable' : 'user-update', targetId: target.id, targetName: target.username, details: { changes: req.body } });
    return after;
  });

  app.post('/api/users/:id/reset-password', { schema: { tags: ['admin'], params: UserParams, body: PasswordResetBody }, config: manage }, async (req, reply) => {
    const p = principalOf(req);
    const target = await manageableUser(deps.registry, p, req.params.id);
    if (target.id === p.user.id) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', 'change your own password with POST /api/auth/password');
    await deps.auth.resetPassword(target.id, req.body.password, target.username);
    await log.recordUserAction({ actor: actorOf(req), action: 'user-reset-password', targetId: target.id, targetName: target.username });
    return reply.code(204).send();
  });

  app.get('/api/users/:id/tokens', { schema: { tags: ['admin'], params: UserParams }, config: manage }, async (req) => {
    const target = await manageableUser(deps.registry, principalOf(req), req.params.id);
    return deps.auth.listApiTokens(target.id);
  });

  app.delete('/api/users/:id/tokens/:tokenId', { schema: { tags: ['admin'], params: UserTokenParams }, config: manage }, async (req, reply) => {
    const target = await manageableUser(deps.registry, principalOf(req), req.params.id);
    if ((await deps.auth.credentials.tokenOwner(req.params.tokenId)) !== target.id) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `API token ${req.params.tokenId} not found`);
    await deps.auth.revokeApiToken(req.params.tokenId);
    await log.recordUserAction({ actor: actorOf(req), action: 'token-revoke', targetId: target.id, targetName: target.username, details: { tokenId: req.params.tokenId } });
    return reply.code(204).send();
  });

  app.get('/api/users/:id/audit', { schema: { tags: ['admin'], params: UserParams }, config: manage }, async (req) => {
    const target = await manageableUser(deps.registry, principalOf(req), req.params.id);
    return log.userAudit(target.id);
  });

  app.get('/api/security-events', { schema: { tags: ['admin'] }, config: { policy: policy.roles('admin') } }, async () => log.events());

  app.get(
    '/api/access-refusals',
    { schema: { tags: ['admin'], querystring: z.object({ userId: IdSchema.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) }, config: { policy: policy.roles('admin') } },
    async (req) => log.refusals({ ...(req.query.userId !== undefined ? { userId: req.query.userId } : {}), limit: req.query.limit }),
  );
}
