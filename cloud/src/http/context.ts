/** Who is calling: the principal attached by the auth hook, and the Actor the alarm service audits. */
import { SafeLoopError } from '@safeloop/contract';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/auth-service.ts';
import { roleMay, type Action } from '../auth/roles.ts';
import type { Actor } from '../alarms/types.ts';

const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(req: FastifyRequest, p: Principal): void {
  principals.set(req, p);
}

export function principalOf(req: FastifyRequest): Principal {
  const p = principals.get(req);
  if (!p) throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'not logged in');
  return p;
}

export function actorOf(req: FastifyRequest): Actor {
  const p = principalOf(req);
  return { userId: p.user.id, username: p.user.username, role: p.user.role, ip: req.ip, scope: p.scope };
}

export function requireAction(req: FastifyRequest, action: Action): Principal {
  const p = principalOf(req);
  if (!roleMay(p.user.role, action)) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `role ${p.user.role} may not ${action}`);
  return p;
}

/** The principal when the route's policy authenticated the caller, else undefined. */
export function maybePrincipalOf(req: FastifyRequest): Principal | undefined {
  return principals.get(req);
}
