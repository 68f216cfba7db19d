/**
 * The security record. Three append-only streams:
 * - refused object accesses: every 403, and every 404 that hides another tenant's object, with the
 *   caller, route, object and source address. Before this, probing other tenants' ids left no trace;
 * - user-management actions (create, change, disable, password reset, token revocation by an admin);
 * - security events for the administrator: a burst of refusals from one account (BURST_COUNT within
 *   BURST_WINDOW_MS) raises one event per window, logged at warn and pushed to administrators' live
 *   streams through `notify`.
 */
import { ulid } from 'ulid';
import type { Clock, Logger } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';

export const BURST_COUNT = 20;
export const BURST_WINDOW_MS = 5 * 60_000;

export interface RefusalInput {
  userId: string;
  username: string;
  role: string;
  ip: string | undefined;
  method: string;
  route: string;
  object: Record<string, unknown>;
  status: number;
  code: string;
}

export interface UserAuditInput {
  actor: { id: string; username: string; role: string; ip?: string | undefined };
  action: string;
  targetId?: string | undefined;
  targetName?: string | undefined;
  details?: Record<string, unknown>;
}

export interface SecurityEvent {
  id: string;
  at: number;
  kind: string;
  userId: string | null;
  username: string | null;
  details: unknown;
}

export class SecurityLog {
  constructor(
    private readonly deps: {
      db: SqlDb;
      clock: Clock;
      logger: Logger;
      /** Tell the administrators (live notification); errors are logged, never thrown. */
      notify?: ((event: SecurityEvent) => Promise<void> | void) | undefined;
      burstCount?: number;
      burstWindowMs?: number;
    },
  ) {}

  async recordRefusal(r: RefusalInput): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.exec(
      `INSERT INTO access_refusals (id, at, user_id, username, role, source_ip, method, route, object, status, code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [ulid(), now, r.userId, r.username, r.role, r.ip ?? null, r.method, r.route, JSON.stringify(r.object), r.status, r.code],
    );
    const windowMs = this.deps.burstWindowMs ?? BURST_WINDOW_MS;
    const rows = await this.deps.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM access_refusals WHERE user_id = $1 AND at > $2', [r.userId, now - windowMs]);
    const count = Number(rows[0]?.n ?? 0);
    if (count < (this.deps.burstCount ?? BURST_COUNT)) return;
    const recent = await this.deps.db.query('SELECT 1 FROM security_events WHERE user_id = $1 AND kind = $2 AND at > $3', [r.userId, 'refusal-burst', now - windowMs]);
    if (recent.length > 0) return;
    const event: SecurityEvent = {
      id: ulid(),
      at: now,
      kind: 'refusal-burst',
      userId: r.userId,
      username: r.username,
      details: { refusals: count, windowSec: windowMs / 1000, lastRoute: `${r.method} ${r.route}`, lastObject: r.object, sourceIp: r.ip ?? null },
    };
    await this.deps.db.exec('INSERT INTO security_events (id, at, kind, user_id, username, details) VALUES ($1, $2, $3, $4, $5, $6)', [
      event.id,
      event.at,
      event.kind,
      event.userId,
      event.username,
      JSON.stringify(event.details),
    ]);
    this.deps.logger.warn({ event: event.kind, username: r.username, refusals: count, ip: r.ip }, 'security event: burst of refused object accesses');
    try {
      await this.deps.notify?.(event);
    } catch (err) {
      this.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'security event notification failed');
    }
  }

  async recordUserAction(a: UserAuditInput): Promise<void> {
    await this.deps.db.exec(
      `INSERT INTO user_audit (id, at, actor_id, actor_name, actor_role, source_ip, action, target_id, target_name, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [ulid(), this.deps.clock.now(), a.actor.id, a.actor.username, a.actor.role, a.actor.ip ?? null, a.action, a.targetId ?? null, a.targetName ?? null, JSON.stringify(a.details ?? {})],
    );
  }

  async events(limit = 100): Promise<SecurityEvent[]> {
    const rows = await this.deps.db.query<{ id: string; at: number | string; kind: string; user_id: string | null; username: string | null; details: string }>(
      'SELECT * FROM security_events ORDER BY at DESC, id DESC LIMIT $1',
      [limit],
    );
    return rows.map((r) => ({ id: r.id, at: Number(r.at), kind: r.kind, userId: r.user_id, username: r.username, details: JSON.parse(r.details) as unknown }));
  }

  async refusals(filter: { userId?: string; limit?: number } = {}): Promise<Record<string, unknown>[]> {
    const rows = filter.userId
      ? await this.deps.db.query('SELECT * FROM access_refusals WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2', [filter.userId, filter.limit ?? 100])
      : await this.deps.db.query('SELECT * FROM access_refusals ORDER BY at DESC, id DESC LIMIT $1', [filter.limit ?? 100]);
    return rows;
  }

  async userAudit(targetId: string): Promise<Record<string, unknown>[]> {
    return this.deps.db.query('SELECT * FROM user_audit WHERE target_id = $1 ORDER BY at, id', [targetId]);
  }
}
