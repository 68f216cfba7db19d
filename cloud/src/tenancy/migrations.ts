import type { Migration } from '../db/index.ts';

const both = (sql: string): { sqlite: string; postgres: string } => ({ sqlite: sql, postgres: sql });

export const TENANCY_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'regions-enterprises-sites-gateways-points',
    ...both(`
      CREATE TABLE regions (code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT);
      CREATE TABLE enterprises (id TEXT PRIMARY KEY, name TEXT NOT NULL, region_code TEXT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE INDEX enterprises_region ON enterprises (region_code);
      CREATE TABLE sites (
        id TEXT PRIMARY KEY, enterprise_id TEXT NOT NULL REFERENCES enterprises (id), name TEXT NOT NULL,
        type TEXT NOT NULL, lat DOUBLE PRECISION NOT NULL, lon DOUBLE PRECISION NOT NULL,
        hazard_grade INTEGER, updated_at BIGINT NOT NULL);
      CREATE INDEX sites_enterprise ON sites (enterprise_id);
      CREATE TABLE gateways (
        id TEXT PRIMARY KEY, enterprise_id TEXT NOT NULL REFERENCES enterprises (id), name TEXT,
        cert_fingerprint TEXT, cert_expires_at BIGINT, online INTEGER NOT NULL DEFAULT 0,
        status_at BIGINT, updated_at BIGINT NOT NULL);
      CREATE TABLE gateway_sites (gateway_id TEXT NOT NULL REFERENCES gateways (id), site_id TEXT NOT NULL REFERENCES sites (id),
        PRIMARY KEY (gateway_id, site_id));
      CREATE TABLE gateway_status_log (gateway_id TEXT NOT NULL, at BIGINT NOT NULL, online INTEGER NOT NULL);
      CREATE INDEX gateway_status_log_gw ON gateway_status_log (gateway_id, at);
      CREATE TABLE points (
        path TEXT PRIMARY KEY, site_id TEXT NOT NULL REFERENCES sites (id), name TEXT, unit TEXT, profile_id TEXT,
        updated_at BIGINT NOT NULL);
      CREATE INDEX points_site ON points (site_id);
    `),
  },
];
