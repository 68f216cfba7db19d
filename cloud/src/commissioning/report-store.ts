/** Commissioning reports per site in the shared SqlDb (SQLite or PostgreSQL). */
import { ulid } from 'ulid';
import type { SqlDb } from '../db/index.ts';

export interface StoredReportMeta {
  id: string;
  siteId: string;
  gatewayId: string | null;
  technician: string;
  performedAt: number;
  uploadedBy: string;
  uploadedAt: number;
  passed: boolean;
  summary: unknown;
}

export interface StoredReport extends StoredReportMeta {
  markdown: string;
  html: string;
}

interface Row {
  id: string;
  site_id: string;
  gateway_id: string | null;
  technician: string;
  performed_at: number;
  uploaded_by: string;
  uploaded_at: number;
  passed: number;
  summary_json: string;
  markdown?: string;
  html?: string;
}

function meta(r: Row): StoredReportMeta {
  return {
    id: r.id,
    siteId: r.site_id,
    gatewayId: r.gateway_id,
    technician: r.technician,
    performedAt: Number(r.performed_at),
    uploadedBy: r.uploaded_by,
    uploadedAt: Number(r.uploaded_at),
    passed: Number(r.passed) === 1,
    summary: JSON.parse(r.summary_json) as unknown,
  };
}

export class CommissioningReportStore {
  constructor(private readonly db: SqlDb) {}

  async insert(r: Omit<StoredReport, 'id'>): Promise<string> {
    const id = ulid(r.uploadedAt);
    await this.db.exec(
      `INSERT INTO commissioning_reports (id, site_id, gateway_id, technician, performed_at, uploaded_by, uploaded_at, passed, summary_json, markdown, html)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [id, r.siteId, r.gatewayId, r.technician, r.performedAt, r.uploadedBy, r.uploadedAt, r.passed ? 1 : 0, JSON.stringify(r.summary), r.markdown, r.html],
    );
    return id;
  }

  async list(siteId: string, limit: number): Promise<StoredReportMeta[]> {
    const rows = await this.db.query<Row>(
      `SELECT id, site_id, gateway_id, technician, performed_at, uploaded_by, uploaded_at, passed, summary_json
       FROM commissioning_reports WHERE site_id = $1 ORDER BY uploaded_at DESC, id DESC LIMIT $2`,
      [siteId, limit],
    );
    return rows.map(meta);
  }

  async get(siteId: string, id: string): Promise<StoredReport | undefined> {
    const rows = await this.db.query<Row>('SELECT * FROM commissioning_reports WHERE site_id = $1 AND id = $2', [siteId, id]);
    const r = rows[0];
    return r ? { ...meta(r), markdown: r.markdown ?? '', html: r.html ?? '' } : undefined;
  }
}
