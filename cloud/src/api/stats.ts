/**
 * Statistics per region / enterprise over a period: alarms by level, mean time to acknowledge and to
 * close, overdue counts (against the default policy deadlines), feedback completion rate and gateway
 * offline hours per month (China time, UTC+8) — a figure regulators score.
 */
import type { SqlDb, SqlParam } from '../db/index.ts';
import type { Registry } from '../tenancy/registry.ts';
import { scopeCondition, type Scope } from '../tenancy/scope.ts';
import type { SitePolicy } from '../alarms/policy.ts';

export interface StatsQuery {
  regionCode?: string | undefined;
  enterpriseId?: string | undefined;
  from: number;
  to: number;
}

export interface AlarmStats {
  from: number;
  to: number;
  total: number;
  byLevel: { level: string | null; colour: string | null; count: number }[];
  bySeverity: Record<'red' | 'orange' | 'normal', number>;
  /** Acknowledged alarms by their time to acknowledge, open unacknowledged ones by their age so far. */
  meanTimeToAcknowledgeSec: number | null;
  /** Closed alarms by their time to close, open ones by their age so far. */
  meanTimeToCloseSec: number | null;
  /** Open alarms nobody has acknowledged yet, and open alarms in all. */
  unacknowledgedOpen: number;
  open: number;
  overdue: { acknowledge: number; feedback: number };
  feedbackCompletionRate: number | null;
  gatewayOfflineHours: { month: string; hours: number }[];
}

const CHINA_OFFSET_MS = 8 * 3_600_000;

function monthOf(t: number): string {
  return new Date(t + CHINA_OFFSET_MS).toISOString().slice(0, 7);
}
function nextMonthStart(t: number): number {
  const d = new Date(t + CHINA_OFFSET_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - CHINA_OFFSET_MS;
}

/** Split [a, b) into month buckets and add the hours to `acc`. */
function addInterval(acc: Map<string, number>, a: number, b: number): void {
  let t = a;
  while (t < b) {
    const end = Math.min(b, nextMonthStart(t));
    const m = monthOf(t);
    acc.set(m, (acc.get(m) ?? 0) + (end - t) / 3_600_000);
    t = end;
  }
}

export async function alarmStats(deps: { db: SqlDb; registry: Registry; policy: SitePolicy; now: number }, scope: Scope, q: StatsQuery): Promise<AlarmStats> {
  const cond = scopeCondition(scope, { enterpriseId: 'a.enterprise_id', regionCode: 'a.region_code' }, 1);
  const where = [cond.sql];
  const params: SqlParam[] = [...cond.params];
  const add = (sql: (n: number) => string, v: SqlParam): void => {
    params.push(v);
    where.push(sql(params.length));
  };
  if (q.regionCode !== undefined) add((n) => `a.region_code LIKE $${n}`, `${q.regionCode}%`);
  if (q.enterpriseId !== undefined) add((n) => `a.enterprise_id = $${n}`, q.enterpriseId);
  add((n) => `a.created_at >= $${n}`, q.from);
  add((n) => `a.created_at < $${n}`, q.to);
  const w = where.join(' AND ');
  const db = deps.db;

  const byLevel = await db.query<{ level: string | null; colour: string | null; n: number }>(
    `SELECT a.level, a.colour, COUNT(*) AS n FROM alarms a WHERE ${w} GROUP BY a.level, a.colour ORDER BY n DESC`,
    params,
  );
  const bySev = await db.query<{ severity: string; n: number }>(`SELECT a.severity, COUNT(*) AS n FROM alarms a WHERE ${w} GROUP BY a.severity`, params);
  // Open alarms count by their age: an alarm nobody acknowledged for an hour must move the mean, not vanish from it.
  const n0 = params.length;
  const means = await db.query<{ ack: number | null; close: number | null; unacked: number | null; open: number | null }>(
    `SELECT AVG(CASE WHEN a.acked_at IS NOT NULL THEN a.acked_at - COALESCE(a.recurred_at, a.created_at)
                     WHEN a.state <> 'closed' THEN $${n0 + 1} - COALESCE(a.recurred_at, a.created_at) END) AS ack,
            AVG(CASE WHEN a.closed_at IS NOT NULL THEN a.closed_at - a.created_at ELSE $${n0 + 1} - a.created_at END) AS close,
            SUM(CASE WHEN a.acked_at IS NULL AND a.state <> 'closed' THEN 1 ELSE 0 END) AS unacked,
            SUM(CASE WHEN a.state <> 'closed' THEN 1 ELSE 0 END) AS open
     FROM alarms a WHERE ${w}`,
    [...params, deps.now],
  );
  const ackMs = deps.policy.ackDeadlineMin * 60_000;
  const fbMs = deps.policy.feedbackDeadlineMin * 60_000;
  const n = params.length;
  const overdue = await db.query<{ ack: number | null; fb: number | null; cleared: number | null; with_fb: number | null }>(
    `SELECT
       SUM(CASE WHEN (a.acked_at IS NOT NULL AND a.acked_at - COALESCE(a.recurred_at, a.created_at) > $${n + 1})
                  OR (a.acked_at IS NULL AND a.state <> 'closed' AND $${n + 3} - COALESCE(a.recurred_at, a.created_at) > $${n + 1}) THEN 1 ELSE 0 END) AS ack,
       SUM(CASE WHEN a.cleared_at IS NOT NULL AND ((a.feedback_at IS NOT NULL AND a.feedback_at - a.cleared_at > $${n + 2})
                  OR (a.feedback_at IS NULL AND $${n + 3} - a.cleared_at > $${n + 2})) THEN 1 ELSE 0 END) AS fb,
       SUM(CASE WHEN a.cleared_at IS NOT NULL THEN 1 ELSE 0 END) AS cleared,
       SUM(CASE WHEN a.cleared_at IS NOT NULL AND a.feedback_at IS NOT NULL THEN 1 ELSE 0 END) AS with_fb
     FROM alarms a WHERE ${w}`,
    [...params, ackMs, fbMs, deps.now],
  );
  const o = overdue[0];
  const total = byLevel.reduce((s, r) => s + Number(r.n), 0);
  const sev = { red: 0, orange: 0, normal: 0 };
  for (const r of bySev) if (r.severity in sev) sev[r.severity as keyof typeof sev] = Number(r.n);
  const cleared = Number(o?.cleared ?? 0);

  // Gateway offline hours: gateways in scope (narrowed by the filter), their status log clipped to [from, min(to, now)).
  let gateways = await deps.registry.listGateways(scope);
  if (q.enterpriseId !== undefined) gateways = gateways.filter((g) => g.enterpriseId === q.enterpriseId);
  if (q.regionCode !== undefined) gateways = gateways.filter((g) => g.regionCode.startsWith(q.regionCode ?? ''));
  const end = Math.min(q.to, deps.now);
  const log = await deps.registry.gatewayStatusLog(
    gateways.map((g) => g.id),
    end,
  );
  const acc = new Map<string, number>();
  for (const g of gateways) {
    const events = log.filter((e) => e.gatewayId === g.id);
    let online: boolean | undefined;
    let since = q.from;
    for (const e of events) {
      if (e.at <= q.from) {
        online = e.online;
        continue;
      }
      if (online === false) addInterval(acc, since, e.at);
      online = e.online;
      since = e.at;
    }
    // Never heard from before the end of the period: a registered gateway that sends nothing is offline.
    if (online === undefined && events.length === 0 && (!g.online || (g.statusAt ?? 0) >= end)) online = false;
    if (online === false && since < end) addInterval(acc, Math.max(since, q.from), end);
  }
  return {
    from: q.from,
    to: q.to,
    total,
    byLevel: byLevel.map((r) => ({ level: r.level, colour: r.colour, count: Number(r.n) })),
    bySeverity: sev,
    meanTimeToAcknowledgeSec: means[0]?.ack === null || means[0]?.ack === undefined ? null : Math.round(Number(means[0].ack) / 1000),
    meanTimeToCloseSec: means[0]?.close === null || means[0]?.close === undefined ? null : Math.round(Number(means[0].close) / 1000),
    unacknowledgedOpen: Number(means[0]?.unacked ?? 0),
    open: Number(means[0]?.open ?? 0),
    overdue: { acknowledge: Number(o?.ack ?? 0), feedback: Number(o?.fb ?? 0) },
    feedbackCompletionRate: cleared === 0 ? null : Number(o?.with_fb ?? 0) / cleared,
    gatewayOfflineHours: [...acc.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([month, hours]) => ({ month, hours: Math.round(hours * 100) / 100 })),
  };
}
