/**
 * Gateway identity: claim codes → signed client certificates bound to a site, revocation (with the CRL
 * the broker reads), renewal over an authenticated link, and the certificate inventory the expiry watch reads.
 */
import { randomBytes } from 'node:crypto';
import { SafeLoopError, ID_PATTERN, type Clock, type Logger } from '@safeloop/contract';
import { migrate, type SqlDb } from '../db/index.ts';
import type { Registry } from '../tenancy/registry.ts';
import type { Scope } from '../tenancy/scope.ts';
import type { CertificateAuthority, IssuedCertificate } from './certificate-authority.ts';
import { hashClaimCode, newClaimCode } from './claim-codes.ts';
import { ClaimCodeBook } from './claim-code-book.ts';
import { PROVISIONING_MIGRATIONS } from './migrations.ts';

export interface ProvisioningServiceDeps {
  db: SqlDb;
  registry: Registry;
  ca: CertificateAuthority;
  clock: Clock;
  logger: Logger;
  /** The broker URL handed to a newly claimed gateway (mqtts://host:8883). */
  brokerUrl: string;
  /** Where a gateway renews its certificate (the mTLS renewal endpoint), if one runs. */
  renewUrl?: string | undefined;
  /** Client certificate lifetime (default 397 days). */
  certificateValidityDays?: number;
  /** Called after the CRL file changed (e.g. tell the broker to reload). */
  onCrlChanged?: ((crlFile: string) => Promise<void> | void) | undefined;
}

export interface ClaimResult {
  gatewayId: string;
  siteId: string;
  certificatePem: string;
  caPem: string;
  broker: { url: string };
  renewUrl?: string;
  notAfter: number;
}

export interface CertificateRecord {
  serial: string;
  gatewayId: string;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
  issuedAt: number;
  issuedVia: 'claim' | 'renew';
  revokedAt?: number;
  revokedBy?: string;
  revokeReason?: string;
}

interface CertRow {
  serial: string;
  gateway_id: string;
  fingerprint: string;
  not_before: number;
  not_after: number;
  issued_at: number;
  issued_via: string;
  revoked_at: number | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

function certFromRow(r: CertRow): CertificateRecord {
  return {
    serial: r.serial,
    gatewayId: r.gateway_id,
    fingerprint: r.fingerprint,
    notBefore: Number(r.not_before),
    notAfter: Number(r.not_after),
    issuedAt: Number(r.issued_at),
    issuedVia: r.issued_via === 'renew' ? 'renew' : 'claim',
    ...(r.revoked_at !== null ? { revokedAt: Number(r.revoked_at) } : {}),
    ...(r.revoked_by !== null ? { revokedBy: r.revoked_by } : {}),
    ...(r.revoke_reason !== null ? { revokeReason: r.revoke_reason } : {}),
  };
}

export class ProvisioningService {
  /** The site's claim codes as the technician's page lists them (status, expiry, who used them). */
  readonly codes: ClaimCodeBook;

  constructor(private readonly deps: ProvisioningServiceDeps) {
    this.codes = new ClaimCodeBook({ db: deps.db, registry: deps.registry, now: () => deps.clock.now() });
  }

  get ca(): CertificateAuthority {
    return this.deps.ca;
  }

  async migrate(): Promise<void> {
    await migrate(this.deps.db, 'provisioning', PROVISIONING_MIGRATIONS);
  }

  /** A one-time code for a site the caller can see; the plain code is returned once and never stored. */
  async createClaimCode(siteId: string, scope: Scope, createdBy: string, ttlMinutes: number): Promise<{ code: string; expiresAt: number; siteId: string }> {
    const site = await this.deps.registry.getSite(siteId, scope);
    if (!site) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `site ${siteId} not found`);
    const code = newClaimCode();
    const now = this.deps.clock.now();
    const expiresAt = now + ttlMinutes * 60_000;
    await this.deps.db.exec(
      'INSERT INTO provisioning_claim_codes (code_hash, site_id, enterprise_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [hashClaimCode(code), site.id, site.enterpriseId, createdBy, now, expiresAt],
    );
    this.deps.logger.info({ siteId, createdBy, expiresAt }, 'claim code created');
    return { code, expiresAt, siteId: site.id };
  }

  /**
   * Redeem a claim code: sign the CSR into a certificate with CN = gateway id, bind the gateway to the
   * code's site and enterprise, and consume the code (a second use is refused even under a race).
   */
  async claim(input: { code: string; gatewayId?: string | undefined; csrPem: string }): Promise<ClaimResult> {
    const hash = hashClaimCode(input.code);
    const rows = await this.deps.db.query<{ site_id: string; enterprise_id: string; expires_at: number; used_at: number | null; used_by_gateway: string | null }>(
      'SELECT site_id, enterprise_id, expires_at, used_at, used_by_gateway FROM provisioning_claim_codes WHERE code_hash = $1',
      [hash],
    );
    const row = rows[0];
    const now = this.deps.clock.now();
    if (!row) throw new SafeLoopError('CLOUD_ERR_CLAIM_UNKNOWN', 'claim code not recognised: check it, or ask for a new one');
    if (row.used_at !== null) {
      throw new SafeLoopError('CLOUD_ERR_CLAIM_USED', `claim code already used at ${new Date(Number(row.used_at)).toISOString()} (gateway ${row.used_by_gateway ?? '?'}); ask for a new code`);
    }
    if (Number(row.expires_at) <= now) {
      throw new SafeLoopError('CLOUD_ERR_CLAIM_EXPIRED', `claim code expired at ${new Date(Number(row.expires_at)).toISOString()}; ask for a new code`);
    }
    const gatewayId = input.gatewayId ?? `gw-${row.site_id}-${randomBytes(3).toString('hex')}`.slice(-64);
    if (!ID_PATTERN.test(gatewayId)) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `gatewayId ${JSON.stringify(gatewayId)}: must be 1-64 characters of A-Z a-z 0-9 _ -`);
    const existing = await this.deps.registry.getGatewayDetail(gatewayId);
    if (existing && existing.enterpriseId !== row.enterprise_id) {
      throw new SafeLoopError('CLOUD_ERR_CONFLICT', `gateway id ${gatewayId} belongs to another enterprise; choose another id`);
    }
    const issued = await this.deps.ca.signGatewayCsr(input.csrPem, gatewayId, this.deps.certificateValidityDays ?? 397);
    const consumed = await this.deps.db.exec(
      'UPDATE provisioning_claim_codes SET used_at = $2, used_by_gateway = $3 WHERE code_hash = $1 AND used_at IS NULL',
      [hash, now, gatewayId],
    );
    if (consumed === 0) throw new SafeLoopError('CLOUD_ERR_CLAIM_USED', 'claim code already used; ask for a new code');
    const siteIds = [...new Set([...(existing?.siteIds ?? []), row.site_id])];
    await this.deps.registry.upsertGateway({ id: gatewayId, enterpriseId: row.enterprise_id, siteIds, name: existing?.name, certFingerprint: issued.fingerprint, certExpiresAt: issued.notAfter });
    if (existing && (await this.revokeAll(gatewayId, 'claim', 'superseded by a new claim (replacement gateway)')).length > 0) await this.refreshCrl();
    await this.record(gatewayId, issued, 'claim');
    this.deps.logger.info({ gatewayId, siteId: row.site_id, serial: issued.serial, notAfter: issued.notAfter }, 'gateway claimed');
    return {
      gatewayId,
      siteId: row.site_id,
      certificatePem: issued.certificatePem,
      caPem: this.deps.ca.caPem,
      broker: { url: this.deps.brokerUrl },
      ...(this.deps.renewUrl ? { renewUrl: this.deps.renewUrl } : {}),
      notAfter: issued.notAfter,
    };
  }

  /**
   * Renew a certificate for a gateway that authenticated with a current one (mTLS: the TLS layer already
   * checked the chain; here the serial must be ours, unrevoked and belong to that gateway).
   */
  async renew(gatewayId: string, presentedSerial: string, csrPem: string): Promise<{ certificatePem: string; caPem: string; notAfter: number; serial: string }> {
    const serial = presentedSerial.toLowerCase().replace(/^0+/, '');
    const rows = await this.deps.db.query<CertRow>('SELECT * FROM gateway_certificates WHERE gateway_id = $1', [gatewayId]);
    const current = rows.find((r) => r.serial.replace(/^0+/, '') === serial);
    if (!current) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `certificate ${presentedSerial} was not issued to gateway ${gatewayId}`);
    if (current.revoked_at !== null) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `certificate ${presentedSerial} is revoked`);
    if (Number(current.not_after) <= this.deps.clock.now()) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `certificate ${presentedSerial} has expired; claim the gateway again`);
    const gw = await this.deps.registry.getGatewayDetail(gatewayId);
    if (!gw) throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `gateway ${gatewayId} is not registered`);
    const issued = await this.deps.ca.signGatewayCsr(csrPem, gatewayId, this.deps.certificateValidityDays ?? 397);
    await this.record(gatewayId, issued, 'renew');
    await this.deps.registry.upsertGateway({ id: gw.id, enterpriseId: gw.enterpriseId, siteIds: gw.siteIds, name: gw.name, certFingerprint: issued.fingerprint, certExpiresAt: issued.notAfter });
    this.deps.logger.info({ gatewayId, serial: issued.serial, previous: current.serial, notAfter: issued.notAfter }, 'gateway certificate renewed');
    return { certificatePem: issued.certificatePem, caPem: this.deps.ca.caPem, notAfter: issued.notAfter, serial: issued.serial };
  }

  /** Revoke every certificate of a gateway in the caller's scope and rewrite the CRL. */
  async revokeGateway(gatewayId: string, scope: Scope, by: string, reason: string): Promise<{ revoked: string[]; crlFile: string }> {
    const gw = await this.deps.registry.getGatewayDetail(gatewayId, scope);
    if (!gw) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `gateway ${gatewayId} not found`);
    const revoked = await this.revokeAll(gatewayId, by, reason);
    const crlFile = await this.refreshCrl();
    this.deps.logger.warn({ gatewayId, by, reason, revoked }, 'gateway certificates revoked');
    return { revoked, crlFile };
  }

  async listCertificates(gatewayId: string, scope: Scope): Promise<CertificateRecord[]> {
    const gw = await this.deps.registry.getGatewayDetail(gatewayId, scope);
    if (!gw) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `gateway ${gatewayId} not found`);
    const rows = await this.deps.db.query<CertRow>('SELECT * FROM gateway_certificates WHERE gateway_id = $1 ORDER BY issued_at', [gatewayId]);
    return rows.map(certFromRow);
  }

  /** Per gateway, the latest notAfter among its unrevoked certificates (the expiry watch reads this). */
  async validUntilByGateway(): Promise<Map<string, number>> {
    const rows = await this.deps.db.query<{ gateway_id: string; not_after: number }>(
      'SELECT gateway_id, MAX(not_after) AS not_after FROM gateway_certificates WHERE revoked_at IS NULL GROUP BY gateway_id',
    );
    return new Map(rows.map((r) => [r.gateway_id, Number(r.not_after)]));
  }

  /** Rewrite the CRL from the database (also at start, so a fresh broker gets the current list). */
  async refreshCrl(): Promise<string> {
    const rows = await this.deps.db.query<{ serial: string; revoked_at: number }>('SELECT serial, revoked_at FROM gateway_certificates WHERE revoked_at IS NOT NULL');
    const file = await this.deps.ca.writeCrl(rows.map((r) => ({ serial: r.serial, revokedAt: Number(r.revoked_at) })));
    await this.deps.onCrlChanged?.(file);
    return file;
  }

  private async revokeAll(gatewayId: string, by: string, reason: string): Promise<string[]> {
    const rows = await this.deps.db.query<{ serial: string }>('SELECT serial FROM gateway_certificates WHERE gateway_id = $1 AND revoked_at IS NULL', [gatewayId]);
    await this.deps.db.exec('UPDATE gateway_certificates SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE gateway_id = $1 AND revoked_at IS NULL', [
      gatewayId,
      this.deps.clock.now(),
      by,
      reason,
    ]);
    return rows.map((r) => r.serial);
  }

  private async record(gatewayId: string, c: IssuedCertificate, via: 'claim' | 'renew'): Promise<void> {
    await this.deps.db.exec(
      'INSERT INTO gateway_certificates (serial, gateway_id, fingerprint, not_before, not_after, issued_at, issued_via) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [c.serial, gatewayId, c.fingerprint, c.notBefore, c.notAfter, this.deps.clock.now(), via],
    );
  }
}
