/**
 * Provisioning routes (registered by buildHttpServer through registerProvisioningRoutes):
 *   POST /api/sites/:id/claim-codes        create a one-time claim code (admin, enterprise manager, field technician)
 *   GET  /api/sites/:id/claim-codes        the site's codes: status, expiry, who used them (never the code)
 *   POST /api/sites/:id/claim-codes/:codeId/expire   expire an unused code now
 *   POST /api/provision/claim              redeem it with a CSR (no bearer token: the code is the credential; rate-limited)
 *   GET  /api/gateways/:id/certificates    certificate inventory
 *   POST /api/gateways/:id/revoke          revoke every certificate of a gateway, rewrite the CRL
 *   GET|PUT /api/gateways/:id/config       desired configuration (versioned, validated, audited, pushed)
 *   GET  /api/gateways/:id/config/audit    who changed what, when (and why)
 *   POST /api/gateways/:id/config/preview  the checks and the diff a save would make, without saving
 *   GET  /api/gateways/:id/config/versions/:version  an earlier version's whole document (to roll back to)
 */
import { X509Certificate, createHash } from 'node:crypto';
import { SafeLoopError, IdSchema } from '@safeloop/contract';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { principalOf } from '../http/context.ts';
import { policy } from '../http/policy.ts';
import { ERROR_STATUS, sendError } from '../http/errors.ts';
import type { Principal } from '../auth/auth-service.ts';
import type { Role } from '../auth/roles.ts';
import type { ZApp } from '../api/types.ts';
import type { ProvisioningService } from './provisioning-service.ts';
import type { RemoteConfigService } from './remote-config.ts';
import { AttemptLimiter } from './rate-limit.ts';

export interface ProvisioningRouteDeps {
  provisioning?: ProvisioningService | undefined;
  remoteConfig?: RemoteConfigService | undefined;
  clock?: { now(): number } | undefined;
  /** Claim attempts per client address per minute (default 10) and in total (default 120). */
  claimRateLimit?: { perAddress: number; total: number } | undefined;
}

/** Roles that may register gateways, revoke them and change their configuration (within their scope). */
export const PROVISIONING_ROLES: readonly Role[] = ['admin', 'enterprise_manager', 'field_technician'];

const STATUS: Record<string, number> = {
  ...ERROR_STATUS,
  CLOUD_ERR_CLAIM_UNKNOWN: 404,
  CLOUD_ERR_CLAIM_USED: 409,
  CLOUD_ERR_CLAIM_EXPIRED: 410,
};

const IdParams = z.object({ id: IdSchema });
const ClaimCodeBody = z.object({ ttlMinutes: z.number().int().min(5).max(7 * 24 * 60).default(24 * 60) });
const ClaimBody = z.object({
  code: z.string().min(4).max(64),
  gatewayId: IdSchema.optional(),
  csrPem: z.string().min(100).max(16_384),
});
const RevokeBody = z.object({ reason: z.string().min(1).max(500).default('revoked by an operator') });
const ConfigBody = z.object({
  config: z.record(z.string(), z.unknown()),
  /** The version the editor started from: a save over a newer one is refused (409). */
  expectedVersion: z.number().int().min(0).optional(),
  /** Why (shown in the audit), e.g. "roll back to v3". */
  note: z.string().max(500).optional(),
});
const PreviewBody = z.object({ config: z.record(z.string(), z.unknown()) });
const VersionParams = z.object({ id: IdSchema, version: z.coerce.number().int().min(1).max(1_000_000) });

/** SHA-256 of the CA certificate, as `openssl x509 -fingerprint -sha256` prints it. */
function fingerprintOf(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

function requireProvisioningRole(p: Principal): void {
  if (!PROVISIONING_ROLES.includes(p.user.role)) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `role ${p.user.role} may not register or configure gateways`);
}

async function answer<T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SafeLoopError && STATUS[err.code] !== undefined && ERROR_STATUS[err.code] === undefined) {
      return sendError(reply, STATUS[err.code] ?? 500, err.code, err.message);
    }
    throw err;
  }
}

export function registerProvisioningRoutes(app: ZApp, deps: ProvisioningRouteDeps): void {
  const provisioning = (): ProvisioningService => {
    if (!deps.provisioning) throw new SafeLoopError('CLOUD_ERR_UNAVAILABLE', 'gateway provisioning is not enabled on this cloud');
    return deps.provisioning;
  };
  const remoteConfig = (): RemoteConfigService => {
    if (!deps.remoteConfig) throw new SafeLoopError('CLOUD_ERR_UNAVAILABLE', 'remote configuration is not enabled on this cloud');
    return deps.remoteConfig;
  };
  const limiter = new AttemptLimiter({
    perKey: deps.claimRateLimit?.perAddress ?? 10,
    global: deps.claimRateLimit?.total ?? 120,
    windowMs: 60_000,
    now: () => (deps.clock ? deps.clock.now() : Date.now()),
  });

  app.post('/api/sites/:id/claim-codes', { schema: { tags: ['provisioning'], params: IdParams, body: ClaimCodeBody }, config: { policy: policy.roles(...PROVISIONING_ROLES) } }, async (req, reply) => {
    const p = principalOf(req);
    requireProvisioningRole(p);
    const created = await provisioning().createClaimCode(req.params.id, p.scope, p.user.username, req.body.ttlMinutes);
    // The technician pins this on `safeloop provision claim --ca-fingerprint` when the cloud is not on https.
    return reply.code(201).send({ ...created, caFingerprint: fingerprintOf(provisioning().ca.caPem) });
  });

  app.get('/api/sites/:id/claim-codes', { schema: { tags: ['provisioning'], params: IdParams }, config: { policy: policy.roles(...PROVISIONING_ROLES) } }, async (req) => {
    const p = principalOf(req);
    requireProvisioningRole(p);
    return provisioning().codes.list(req.params.id, p.scope);
  });

  app.post(
    '/api/sites/:id/claim-codes/:codeId/expire',
    { schema: { tags: ['provisioning'], params: z.object({ id: IdSchema, codeId: z.string().max(64) }) }, config: { policy: policy.roles(...PROVISIONING_ROLES) } },
    async (req) => {
      const p = principalOf(req);
      requireProvisioningRole(p);
      return provisioning().codes.expire(req.params.id, req.params.codeId, p.scope);
    },
  );

  app.post('/api/provision/claim', { schema: { tags: ['provisioning'], body: ClaimBody, security: [] }, config: { policy: policy.public('the one-time claim code is the credential (rate-limited)') } }, async (req, reply) => {
    if (!limiter.take(req.ip)) return sendError(reply, 429, 'CLOUD_ERR_RATE_LIMITED', 'too many claim attempts; wait a minute');
    return answer(reply, () => provisioning().claim(req.body));
  });

  app.get('/api/gateways/:id/certificates', { schema: { tags: ['provisioning'], params: IdParams }, config: { policy: policy.action('read') } }, async (req) =>
    provisioning().listCertificates(req.params.id, principalOf(req).scope),
  );

  app.post('/api/gateways/:id/revoke', { schema: { tags: ['provisioning'], params: IdParams, body: RevokeBody }, config: { policy: policy.roles(...PROVISIONING_ROLES) } }, async (req) => {
    const p = principalOf(req);
    requireProvisioningRole(p);
    // The CRL's location on this server is not the caller's business (no server paths in answers).
    const { revoked } = await provisioning().revokeGateway(req.params.id, p.scope, p.user.username, req.body.reason);
    return { revoked };
  });

  app.get('/api/gateways/:id/config', { schema: { tags: ['provisioning'], params: IdParams }, config: { policy: policy.action('read') } }, async (req) => {
    const d = await remoteConfig().get(req.params.id, principalOf(req).scope);
    if (!d) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `gateway ${req.params.id} has no desired configuration yet`);
    return d;
  });

  app.put('/api/gateways/:id/config', { schema: { tags: ['provisioning'], params: IdParams, body: ConfigBody }, config: { policy: policy.roles(...PROVISIONING_ROLES) } }, async (req) => {
    const p = principalOf(req);
    requireProvisioningRole(p);
    return remoteConfig().put(req.params.id, req.body.config, { username: p.user.username, ip: req.ip, scope: p.scope }, { expectedVersion: req.body.expectedVersion, note: req.body.note });
  });

  app.post('/api/gateways/:id/config/preview', { schema: { tags: ['provisioning'], params: IdParams, body: PreviewBody }, config: { policy: policy.roles(...PROVISIONING_ROLES) } }, async (req) => {
    const p = principalOf(req);
    requireProvisioningRole(p);
    return remoteConfig().preview(req.params.id, req.body.config, p.scope);
  });

  app.get('/api/gateways/:id/config/versions/:version', { schema: { tags: ['provisioning'], params: VersionParams }, config: { policy: policy.action('read') } }, async (req) =>
    remoteConfig().versionConfig(req.params.id, req.params.version, principalOf(req).scope),
  );

  app.get('/api/gateways/:id/config/audit', { schema: { tags: ['provisioning'], params: IdParams }, config: { policy: policy.action('read') } }, async (req) =>
    remoteConfig().audit(req.params.id, principalOf(req).scope),
  );
}
