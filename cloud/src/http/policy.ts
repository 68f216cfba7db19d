/**
 * Route-level authorisation. Every route declares its policy in its fastify route config
 * (`config: { policy: policy.action('acknowledge') }`); `enforcePolicies` refuses to register a
 * route that declares none, and attaches an onRequest hook built from the declaration. This replaces
 * the old check on the URL prefix, which a percent-encoded path (`/%61pi/rules`) walked around: the
 * check now belongs to the route the router picked, whatever the URL looked like. The same
 * declaration is written into the OpenAPI document (`x-policy`), so the generated authorisation
 * matrix test reads what each route promises and calls it to check.
 */
import { timingSafeEqual } from 'node:crypto';
import { SafeLoopError } from '@safeloop/contract';
import type { FastifyInstance, FastifyRequest, RouteOptions, onRequestAsyncHookHandler, onRequestHookHandler } from 'fastify';
import type { Principal } from '../auth/auth-service.ts';
import { ROLES, roleMay, type Action, type Role } from '../auth/roles.ts';
import { setPrincipal } from './context.ts';

export type RoutePolicy =
  /** No caller identity needed (login, OpenAPI document, claim by one-time code, health, dashboard files). */
  | { kind: 'public'; why: string }
  /** The Prometheus scrape token (`Authorization: Bearer <metrics token>`). */
  | { kind: 'metrics' }
  /** A logged-in user whose role may do `action` (or is one of `roles`); any user when neither is given. */
  | {
      kind: 'user';
      action?: Action;
      roles?: readonly Role[];
      /** May be called while the user must still change a reset password (me, logout, change password). */
      duringPasswordChange?: boolean;
      /** The live stream: a single-use ticket in `?ticket=` is accepted instead of the header. */
      streamTicket?: boolean;
    };

export const policy = {
  public: (why: string): RoutePolicy => ({ kind: 'public', why }),
  metrics: (): RoutePolicy => ({ kind: 'metrics' }),
  anyUser: (extra: { duringPasswordChange?: boolean; streamTicket?: boolean } = {}): RoutePolicy => ({ kind: 'user', ...extra }),
  action: (action: Action): RoutePolicy => ({ kind: 'user', action }),
  roles: (...roles: Role[]): RoutePolicy => ({ kind: 'user', roles }),
};

declare module 'fastify' {
  interface FastifyContextConfig {
    policy?: RoutePolicy;
  }
}

/** Roles a policy lets through (all roles for `anyUser`; none for public and metrics routes). */
export function rolesAllowed(p: RoutePolicy): readonly Role[] {
  if (p.kind !== 'user') return [];
  return ROLES.filter((r) => (p.action === undefined || roleMay(r, p.action)) && (p.roles === undefined || p.roles.includes(r)));
}

/** What the OpenAPI document says about a route's policy. */
export function describePolicy(p: RoutePolicy): { auth: 'public' | 'bearer' | 'metrics-token'; roles?: readonly Role[]; action?: Action; why?: string } {
  if (p.kind === 'public') return { auth: 'public', why: p.why };
  if (p.kind === 'metrics') return { auth: 'metrics-token' };
  return { auth: 'bearer', roles: rolesAllowed(p), ...(p.action ? { action: p.action } : {}) };
}

export interface PolicyDeps {
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** Redeem a live-stream ticket (single use). */
  redeemStreamTicket?: ((ticket: string) => Promise<Principal>) | undefined;
  /** The token Prometheus sends; when absent, /metrics answers 401 to everyone. */
  metricsToken?: string | undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function hookFor(p: RoutePolicy, deps: PolicyDeps): onRequestAsyncHookHandler | undefined {
  switch (p.kind) {
    case 'public':
      return undefined;
    case 'metrics':
      return async (req: FastifyRequest) => {
        const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
        if (!deps.metricsToken || !m?.[1] || !sameSecret(m[1], deps.metricsToken)) {
          throw new SafeLoopError('CLOUD_ERR_UNAUTHENTICATED', 'metrics need the scrape token (Authorization: Bearer …)');
        }
      };
    case 'user': {
      const allowed = new Set(rolesAllowed(p));
      return async (req: FastifyRequest) => {
        let principal: Principal;
        const ticket = p.streamTicket ? (req.query as Record<string, unknown> | undefined)?.ticket : undefined;
        if (req.headers.authorization === undefined && typeof ticket === 'string' && deps.redeemStreamTicket) {
          principal = await deps.redeemStreamTicket(ticket);
        } else {
          principal = await deps.authenticate(req.headers.authorization);
        }
        setPrincipal(req, principal);
        if (principal.user.mustChangePassword && !p.duringPasswordChange) {
          throw new SafeLoopError('CLOUD_ERR_PASSWORD_CHANGE_REQUIRED', 'change your password first (POST /api/auth/password)');
        }
        if (!allowed.has(principal.user.role)) {
          throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `role ${principal.user.role} may not call ${req.method} ${req.routeOptions.url ?? ''}`);
        }
      };
    }
  }
}

/**
 * Install the policy check on every route registered from now on. A route under /api without a
 * declared policy stops the server from starting; other routes (the dashboard's static files) are
 * public GETs unless they declare otherwise.
 */
export function enforcePolicies(app: FastifyInstance, deps: PolicyDeps): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const url = route.url;
    let p = route.config?.policy;
    if (!p) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const readOnly = methods.every((m) => m === 'GET' || m === 'HEAD');
      if (url.startsWith('/api') || !readOnly) throw new Error(`route ${methods.join(',')} ${url} declares no policy (config.policy)`);
      p = policy.public('static file');
      route.config = { ...(route.config ?? {}), policy: p };
    }
    const hook = hookFor(p, deps);
    if (!hook) return;
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [hook as unknown as onRequestHookHandler, ...existing];
  });
}
