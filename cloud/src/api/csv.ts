/** CSV export of alarms with their handling records (RFC 4180 quoting, formula-injection guard, UTF-8 BOM for Excel). */
import type { Alarm, Feedback } from '../alarms/types.ts';

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`; // spreadsheet formula injection
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const iso = (t: number | null): string => (t === null ? '' : new Date(t).toISOString());

export const CSV_COLUMNS = [
  'id', 'siteId', 'enterpriseId', 'regionCode', 'point', 'level', 'colour', 'severity', 'title', 'value', 'unit',
  'state', 'condition', 'raisedAt', 'clearedAt', 'ackedAt', 'ackedBy', 'closedAt', 'closedBy', 'escalationLevel',
  'disposition', 'feedbackCause', 'feedbackMeasures', 'feedbackResult', 'feedbackBy', 'reviewedBy', 'reviewedAt',
] as const;

export function alarmsToCsv(rows: readonly { alarm: Alarm; feedback: Feedback | undefined }[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const { alarm: a, feedback: f } of rows) {
    lines.push(
      [
        a.id, a.siteId, a.enterpriseId, a.regionCode, a.point, a.level, a.colour, a.severity, a.title, a.value, a.unit,
        a.state, a.condition, iso(a.raisedAt), iso(a.clearedAt), iso(a.ackedAt), a.ackedBy, iso(a.closedAt), a.closedBy,
        a.escalationLevel, a.disposition, f?.cause, f?.measures, f?.result, f?.submittedBy, a.reviewedBy, iso(a.reviewedAt),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
