import type { Migration } from '../db/index.ts';

const both = (sql: string): { sqlite: string; postgres: string } => ({ sqlite: sql, postgres: sql });

export const PROVISIONING_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'claim-codes-certificates-desired-config',
    ...both(`
      CREATE TABLE provisioning_claim_codes (
        code_hash TEXT PRIMARY KEY, site_id TEXT NOT NULL, enterprise_id TEXT NOT NULL,
        created_by TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
        used_at BIGINT, used_by_gateway TEXT);
      CREATE TABLE gateway_certificates (
        serial TEXT PRIMARY KEY, gateway_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
        not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, issued_at BIGINT NOT NULL, issued_via TEXT NOT NULL,
        revoked_at BIGINT, revoked_by TEXT, revoke_reason TEXT);
      CREATE INDEX gateway_certificates_gw ON gateway_certificates (gateway_id, not_after);
      CREATE TABLE gateway_desired_config (
        gateway_id TEXT PRIMARY KEY, version INTEGER NOT NULL, config TEXT NOT NULL,
        updated_by TEXT NOT NULL, updated_at BIGINT NOT NULL,
        reported_version INTEGER, reported_at BIGINT, pushed_at BIGINT);
      CREATE TABLE gateway_config_audit (
        gateway_id TEXT NOT NULL, version INTEGER NOT NULL, at BIGINT NOT NULL, by_user TEXT NOT NULL,
        ip TEXT, diff TEXT NOT NULL, PRIMARY KEY (gateway_id, version));
    `),
  },
  {
    id: 2,
    name: 'config-audit-keeps-each-version',
    // Each version's whole document (so any earlier one can be rolled back to) and the editor's note.
    ...both(`
      ALTER TABLE gateway_config_audit ADD COLUMN config TEXT;
      ALTER TABLE gateway_config_audit ADD COLUMN note TEXT;
    `),
  },
];
