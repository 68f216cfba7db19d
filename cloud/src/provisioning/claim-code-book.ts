/**
 * The claim codes of a site as the technician's page lists them: never the code itself (only its
 * hash is stored), but who made it, when it expires, and whether a gateway used it — and expiring an
 * unused one early (a code written on a lost sheet of paper). The id is the first 16 hex characters of
 * the code's hash.
 */
import { SafeLoopError } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { Registry } from '../tenancy/registry.ts';
import type { Scope } from '../tenancy/scope.ts';

export interface ClaimCodeView {
  id: string;
  siteId: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  usedByGateway: string | null;
  status: 'open' | 'used' | 'expired';
}

interface Row {
  code_hash: string;
  site_id: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by_gateway: string | null;
}

const ID_LENGTH = 16;

export class ClaimCodeBook {
  constructor(private readonly deps: { db: SqlDb; registry: Registry; now: () => number }) {}

  private async siteInScope(siteId: string, scope: Scope): Promise<void> {
    if (!(await this.deps.registry.getSite(siteId, scope))) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `site ${siteId} not found`);
  }

  async list(siteId: string, scope: Scope): Promise<ClaimCodeView[]> {
    await this.siteInScope(siteId, scope);
    const rows = await this.deps.db.query<Row>(
      'SELECT code_hash, site_id, created_by, created_at, expires_at, used_at, used_by_gateway FROM provisioning_claim_codes WHERE site_id = $1 ORDER BY created_at DESC LIMIT 200',
      [siteId],
    );
    const now = this.deps.now();
    return rows.map((r) => ({
      id: r.code_hash.slice(0, ID_LENGTH),
      siteId: r.site_id,
      createdBy: r.created_by,
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
      usedAt: r.used_at === null ? null : Number(r.used_at),
      usedByGateway: r.used_by_gateway,
      status: r.used_at !== null ? 'used' : Number(r.expires_at) <= now ? 'expired' : 'open',
    }));
  }

  /** Expire an unused code of the site now; a used or already expired one is refused with why. */
  async expire(siteId: string, codeId: string, scope: Scope): Promise<ClaimCodeView> {
    if (!/^[0-9a-f]{16}$/.test(codeId)) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `claim code id must be 16 hex characters, got "${codeId}"`);
    const code = (await this.list(siteId, scope)).find((c) => c.id === codeId);
    if (!code) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `claim code ${codeId} not found for site ${siteId}`);
    if (code.status !== 'open') throw new SafeLoopError('CLOUD_ERR_ILLEGAL_TRANSITION', `claim code ${codeId} is already ${code.status}`);
    const now = this.deps.now();
    await this.deps.db.exec('UPDATE provisioning_claim_codes SET expires_at = $3 WHERE site_id = $1 AND code_hash LIKE $2 AND used_at IS NULL', [siteId, `${codeId}%`, now]);
    return { ...code, expiresAt: now, status: 'expired' };
  }
}
