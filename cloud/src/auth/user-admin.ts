/**
 * Who may manage whom. A caller with `manage-users` acts only inside their own place in the tree:
 * an administrator everywhere and on every role; an enterprise manager on the operators and managers
 * of their own enterprise. A user outside the caller's place is answered as not found (its existence
 * is not confirmed), a role the caller may not grant is forbidden, and nobody disables themselves or
 * changes their own role (the last administrator cannot lock everyone out by a slip).
 */
import { SafeLoopError } from '@safeloop/contract';
import type { Registry } from '../tenancy/registry.ts';
import { regionContains } from '../tenancy/region-code.ts';
import type { Principal } from './auth-service.ts';
import { ROLES, type Role } from './roles.ts';
import type { User, UserPatch } from './users.ts';

export function grantableRoles(caller: Principal): readonly Role[] {
  if (caller.user.role === 'admin') return ROLES;
  if (caller.user.role === 'enterprise_manager') return ['enterprise_operator', 'enterprise_manager'];
  return [];
}

/** Is a place (a user's region and/or enterprise) inside the caller's scope? */
export async function placeInScope(registry: Registry, caller: Principal, place: { regionCode?: string | undefined; enterpriseId?: string | undefined }): Promise<boolean> {
  const scope = caller.scope;
  if (place.enterpriseId !== undefined && !(await registry.getEnterprise(place.enterpriseId, scope))) return false;
  switch (scope.kind) {
    case 'all':
      return true;
    case 'enterprise':
      return place.enterpriseId === scope.enterpriseId && place.regionCode === undefined;
    case 'region':
      if (place.regionCode === undefined) return place.enterpriseId !== undefined;
      return regionContains(scope.regionCode, place.regionCode);
  }
}

/** The target user, if the caller may manage them; 404 otherwise. */
export async function manageableUser(registry: Registry, caller: Principal, id: string): Promise<User> {
  const u = await registry.users.getById(id);
  if (!u || !(await placeInScope(registry, caller, u)) || !grantableRoles(caller).includes(u.role)) {
    throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `user ${id} not found`);
  }
  return u;
}

/** Check a new user or a change against the caller's powers; throws 403/404/400. */
export async function checkGrant(registry: Registry, caller: Principal, next: { role: Role; regionCode?: string | undefined; enterpriseId?: string | undefined }): Promise<void> {
  if (!grantableRoles(caller).includes(next.role)) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `you may not grant the role ${next.role}`);
  if (next.enterpriseId !== undefined && !(await registry.getEnterprise(next.enterpriseId, caller.scope))) {
    throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `enterprise ${next.enterpriseId} not found`);
  }
  if (!(await placeInScope(registry, caller, next))) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', 'that place is outside your area');
}

/** The user as it will be after the patch (for checkGrant), and self-protection. */
export function patchedPlace(caller: Principal, target: User, patch: UserPatch): { role: Role; regionCode?: string; enterpriseId?: string } {
  if (target.id === caller.user.id && (patch.disabled === true || (patch.role !== undefined && patch.role !== target.role))) {
    throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', 'you may not disable yourself or change your own role');
  }
  const regionCode = patch.regionCode === undefined ? target.regionCode : (patch.regionCode ?? undefined);
  const enterpriseId = patch.enterpriseId === undefined ? target.enterpriseId : (patch.enterpriseId ?? undefined);
  return { role: patch.role ?? target.role, ...(regionCode !== undefined ? { regionCode } : {}), ...(enterpriseId !== undefined ? { enterpriseId } : {}) };
}
