/**
 * The statistics table behind the region overview: one row per enterprise in the caller's place (and the
 * requested region), with the same figures as /api/stats, and its CSV for the 月报 spreadsheet (formula-safe
 * cells, UTF-8 BOM so Excel reads the Chinese names).
 */
import type { Scope } from '../tenancy/scope.ts';
import { alarmStats, type AlarmStats, type StatsQuery } from './stats.ts';
import { csvCell } from './csv.ts';

export interface EnterpriseStatsRow {
  enterpriseId: string;
  enterpriseName: string;
  regionCode: string;
  stats: AlarmStats;
}

type Deps = Parameters<typeof alarmStats>[0];

export async function statsByEnterprise(deps: Deps, scope: Scope, q: StatsQuery): Promise<EnterpriseStatsRow[]> {
  let enterprises = await deps.registry.listEnterprises(scope);
  if (q.regionCode !== undefined) enterprises = enterprises.filter((e) => e.regionCode.startsWith(q.regionCode ?? ''));
  if (q.enterpriseId !== undefined) enterprises = enterprises.filter((e) => e.id === q.enterpriseId);
  const rows: EnterpriseStatsRow[] = [];
  for (const e of enterprises) {
    rows.push({ enterpriseId: e.id, enterpriseName: e.name, regionCode: e.regionCode, stats: await alarmStats(deps, scope, { ...q, enterpriseId: e.id }) });
  }
  return rows;
}

export const STATS_CSV_COLUMNS = [
  'enterpriseId', 'enterpriseName', 'regionCode', 'from', 'to', 'total', 'red', 'orange', 'normal', 'open', 'unacknowledgedOpen',
  'meanTimeToAcknowledgeSec', 'meanTimeToCloseSec', 'overdueAcknowledge', 'overdueFeedback', 'feedbackCompletionRate', 'gatewayOfflineHours',
] as const;

export function statsToCsv(rows: readonly EnterpriseStatsRow[]): string {
  const iso = (t: number): string => new Date(t).toISOString();
  const lines = [STATS_CSV_COLUMNS.join(',')];
  for (const r of rows) {
    const s = r.stats;
    const offline = Math.round(s.gatewayOfflineHours.reduce((sum, m) => sum + m.hours, 0) * 100) / 100;
    lines.push(
      [
        r.enterpriseId, r.enterpriseName, r.regionCode, iso(s.from), iso(s.to), s.total, s.bySeverity.red, s.bySeverity.orange, s.bySeverity.normal,
        s.open, s.unacknowledgedOpen, s.meanTimeToAcknowledgeSec, s.meanTimeToCloseSec, s.overdue.acknowledge, s.overdue.feedback,
        s.feedbackCompletionRate === null ? null : Math.round(s.feedbackCompletionRate * 1000) / 1000, offline,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
