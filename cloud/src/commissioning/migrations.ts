import type { Migration } from '../db/index.ts';

const both = (sql: string): { sqlite: string; postgres: string } => ({ sqlite: sql, postgres: sql });

export const COMMISSIONING_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'commissioning-reports',
    ...both(`
      CREATE TABLE commissioning_reports (
        id TEXT PRIMARY KEY, site_id TEXT NOT NULL, gateway_id TEXT, technician TEXT NOT NULL,
        performed_at BIGINT NOT NULL, uploaded_by TEXT NOT NULL, uploaded_at BIGINT NOT NULL,
        passed INTEGER NOT NULL, summary_json TEXT NOT NULL, markdown TEXT NOT NULL, html TEXT NOT NULL);
      CREATE INDEX commissioning_reports_site ON commissioning_reports (site_id, uploaded_at);
    `),
  },
];
