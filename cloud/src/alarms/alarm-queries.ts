/** Scoped reads of alarms, their audit trail, feedback and groups. Every query takes the caller's Scope. */
import { SafeLoopError, type AlarmLevel, type WarningColour } from '@safeloop/contract';
import type { SqlDb, SqlParam } from '../db/index.ts';
import { scopeCondition, type Scope } from '../tenancy/scope.ts';
import { alarmFromRow, auditFromRow, type AlarmRow, type AuditRow } from './alarm-rows.ts';
import type { Alarm, AlarmGroup, AuditEntry, Feedback, Disposition } from './types.ts';

export const MAX_PAGE_SIZE = 200;

export interface AlarmFilter {
  state?: 'open' | 'closed' | 'all';
  siteId?: string;
  enterpriseId?: string;
  regionCode?: string;
  level?: AlarmLevel;
  colour?: WarningColour;
  from?: number;
  to?: number;
  groupId?: string;
  page?: number;
  pageSize?: number;
}

const ALARM_COLS = { enterpriseId: 'a.enterprise_id', regionCode: 'a.region_code' };

export class AlarmQueries {
  constructor(private readonly db: SqlDb) {}

  async get(id: string, scope: Scope, db: SqlDb = this.db): Promise<Alarm | undefined> {
    const cond = scopeCondition(scope, ALARM_COLS, 2);
    const rows = await db.query<AlarmRow>(`SELECT a.* FROM alarms a WHERE a.id = $1 AND ${cond.sql}`, [id, ...cond.params]);
    return rows[0] ? alarmFromRow(rows[0]) : undefined;
  }

  async require(id: string, scope: Scope, db: SqlDb = this.db): Promise<Alarm> {
    const a = await this.get(id, scope, db);
    if (!a) throw new SafeLoopError('CLOUD_ERR_NOT_FOUND', `alarm ${id} not found`);
    return a;
  }

  /**
   * The condition's alarm that is not closed. With `lock` (inside a transaction) PostgreSQL holds its row
   * until commit, so what the caller decides from it cannot be overtaken by a concurrent raise; SQLite
   * already runs one write transaction at a time.
   */
  async openByCondition(conditionKey: string, db: SqlDb = this.db, lock = false): Promise<Alarm | undefined> {
    const forUpdate = lock && db.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await db.query<AlarmRow>(`SELECT a.* FROM alarms a WHERE a.condition_key = $1 AND a.state <> 'closed'${forUpdate}`, [conditionKey]);
    return rows[0] ? alarmFromRow(rows[0]) : undefined;
  }

  private where(scope: Scope, f: AlarmFilter): { sql: string; params: SqlParam[] } {
    const cond = scopeCondition(scope, ALARM_COLS, 1);
    const where = [cond.sql];
    const params: SqlParam[] = [...cond.params];
    const add = (sql: (n: number) => string, v: SqlParam): void => {
      params.push(v);
      where.push(sql(params.length));
    };
    if (f.state === 'open' || f.state === undefined) where.push("a.state <> 'closed'");
    if (f.state === 'closed') where.push("a.state = 'closed'");
    if (f.siteId !== undefined) add((n) => `a.site_id = $${n}`, f.siteId);
    if (f.enterpriseId !== undefined) add((n) => `a.enterprise_id = $${n}`, f.enterpriseId);
    if (f.regionCode !== undefined) add((n) => `a.region_code LIKE $${n}`, `${f.regionCode}%`);
    if (f.level !== undefined) add((n) => `a.level = $${n}`, f.level);
    if (f.colour !== undefined) add((n) => `a.colour = $${n}`, f.colour);
    if (f.from !== undefined) add((n) => `a.raised_at >= $${n}`, f.from);
    if (f.to !== undefined) add((n) => `a.raised_at < $${n}`, f.to);
    if (f.groupId !== undefined) add((n) => `a.group_id = $${n}`, f.groupId);
    return { sql: where.join(' AND '), params };
  }

  /** Newest and most severe first: severity rank, then raise time. Page size capped at MAX_PAGE_SIZE. */
  async list(scope: Scope, f: AlarmFilter): Promise<{ items: Alarm[]; total: number; page: number; pageSize: number }> {
    const { sql, params } = this.where(scope, f);
    const pageSize = Math.min(Math.max(1, Math.trunc(f.pageSize ?? 50)), MAX_PAGE_SIZE);
    const page = Math.max(1, Math.trunc(f.page ?? 1));
    const total = await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM alarms a WHERE ${sql}`, params);
    const rows = await this.db.query<AlarmRow>(
      `SELECT a.* FROM alarms a WHERE ${sql} ORDER BY a.rank DESC, a.raised_at DESC, a.id DESC LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      params,
    );
    return { items: rows.map(alarmFromRow), total: Number(total[0]?.n ?? 0), page, pageSize };
  }

  /** All alarms matching (for CSV export), capped. */
  async listAll(scope: Scope, f: AlarmFilter, cap = 50_000): Promise<Alarm[]> {
    const { sql, params } = this.where(scope, f);
    const rows = await this.db.query<AlarmRow>(`SELECT a.* FROM alarms a WHERE ${sql} ORDER BY a.raised_at DESC LIMIT ${cap}`, params);
    return rows.map(alarmFromRow);
  }

  /** Open alarms per site in scope: count and worst rank (4 red … 1 blue). */
  async openBySite(scope: Scope): Promise<Map<string, { open: number; worstRank: number }>> {
    const cond = scopeCondition(scope, ALARM_COLS, 1);
    const rows = await this.db.query<{ site_id: string; n: number; worst: number }>(
      `SELECT a.site_id, COUNT(*) AS n, MAX(a.rank) AS worst FROM alarms a WHERE a.state <> 'closed' AND ${cond.sql} GROUP BY a.site_id`,
      cond.params,
    );
    return new Map(rows.map((r) => [r.site_id, { open: Number(r.n), worstRank: Number(r.worst) }]));
  }

  async audit(alarmId: string): Promise<AuditEntry[]> {
    const rows = await this.db.query<AuditRow>('SELECT * FROM alarm_audit WHERE alarm_id = $1 ORDER BY seq', [alarmId]);
    return rows.map(auditFromRow);
  }

  async feedback(alarmId: string): Promise<Feedback[]> {
    const rows = await this.db.query<{
      id: string;
      alarm_id: string;
      submitted_by: string;
      submitted_at: number;
      cause: string;
      measures: string;
      result: string;
      disposition: string;
    }>('SELECT * FROM alarm_feedback WHERE alarm_id = $1 ORDER BY submitted_at', [alarmId]);
    const files = await this.db.query<{ id: string; feedback_id: string; name: string; mime: string; size: number }>(
      'SELECT id, feedback_id, name, mime, size FROM alarm_attachments WHERE alarm_id = $1 ORDER BY created_at, id',
      [alarmId],
    );
    return rows.map((r) => ({
      id: r.id,
      alarmId: r.alarm_id,
      submittedBy: r.submitted_by,
      submittedAt: Number(r.submitted_at),
      cause: r.cause,
      measures: r.measures,
      result: r.result,
      disposition: r.disposition as Disposition,
      attachments: files.filter((f) => f.feedback_id === r.id).map((f) => ({ id: f.id, name: f.name, mime: f.mime, size: Number(f.size) })),
    }));
  }

  /** One attachment's bytes, if its alarm is in scope. */
  async attachment(alarmId: string, attachmentId: string, scope: Scope): Promise<{ name: string; mime: string; data: Buffer } | undefined> {
    if (!(await this.get(alarmId, scope))) return undefined;
    const rows = await this.db.query<{ name: string; mime: string; data: Buffer | Uint8Array }>(
      'SELECT name, mime, data FROM alarm_attachments WHERE id = $1 AND alarm_id = $2',
      [attachmentId, alarmId],
    );
    const r = rows[0];
    return r ? { name: r.name, mime: r.mime, data: Buffer.from(r.data) } : undefined;
  }

  async groups(scope: Scope, f: { siteId?: string; open?: boolean } = {}): Promise<AlarmGroup[]> {
    const cond = scopeCondition(scope, { enterpriseId: 'g.enterprise_id', regionCode: 'g.region_code' }, 1);
    const where = [cond.sql];
    const params: SqlParam[] = [...cond.params];
    if (f.siteId !== undefined) {
      params.push(f.siteId);
      where.push(`g.site_id = $${params.length}`);
    }
    if (f.open === true) where.push('g.ended_at IS NULL');
    const rows = await this.db.query<{
      id: string;
      kind: string;
      site_id: string;
      enterprise_id: string;
      region_code: string;
      condition_key: string | null;
      started_at: number;
      last_at: number;
      ended_at: number | null;
      alarm_count: number;
      event_count: number;
    }>(`SELECT g.* FROM alarm_groups g WHERE ${where.join(' AND ')} ORDER BY g.last_at DESC LIMIT 500`, params);
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind as AlarmGroup['kind'],
      siteId: r.site_id,
      enterpriseId: r.enterprise_id,
      regionCode: r.region_code,
      conditionKey: r.condition_key,
      startedAt: Number(r.started_at),
      lastAt: Number(r.last_at),
      endedAt: r.ended_at === null ? null : Number(r.ended_at),
      alarmCount: Number(r.alarm_count),
      eventCount: Number(r.event_count),
    }));
  }
}
