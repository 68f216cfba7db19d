/**
 * Excel exports (.xlsx, through exceljs) of the same rows as the CSV exports: the alarms with their
 * handling record, and the statistics table per enterprise. Headers in Chinese (the people who file
 * them), times as real spreadsheet dates in China time, text cells guarded against formulas.
 */
import ExcelJS from 'exceljs';
import type { Alarm, Feedback } from '../alarms/types.ts';
import { chineseTitle } from '../alarms/title.ts';
import type { EnterpriseStatsRow } from './stats-table.ts';

const CHINA_OFFSET_MS = 8 * 3_600_000;

/** Excel has no time zones: write the wall-clock time of China (UTC+8) so the sheet reads as people expect. */
const chinaDate = (t: number | null): Date | null => (t === null ? null : new Date(t + CHINA_OFFSET_MS));

/** A text that a spreadsheet would run as a formula is written with a leading quote, as in the CSV. */
const safeText = (v: string | null | undefined): string | null => (v === null || v === undefined ? null : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

interface Column<T> {
  header: string;
  key: string;
  width: number;
  value: (row: T) => string | number | Date | null;
  date?: boolean;
}

async function sheetBuffer<T>(name: string, columns: readonly Column<T>[], rows: readonly T[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'SafeLoop';
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = columns.map((c) => ({ header: c.header, key: c.key, width: c.width, ...(c.date ? { style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } } : {}) }));
  ws.getRow(1).font = { bold: true };
  for (const r of rows) ws.addRow(Object.fromEntries(columns.map((c) => [c.key, c.value(r)])));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

type AlarmRow = { alarm: Alarm; feedback: Feedback | undefined };

const ALARM_COLUMNS: readonly Column<AlarmRow>[] = [
  { header: '报警编号', key: 'id', width: 28, value: (r) => r.alarm.id },
  { header: '场所', key: 'siteId', width: 16, value: (r) => r.alarm.siteId },
  { header: '企业', key: 'enterpriseId', width: 18, value: (r) => r.alarm.enterpriseId },
  { header: '行政区', key: 'regionCode', width: 10, value: (r) => r.alarm.regionCode },
  { header: '测点', key: 'point', width: 28, value: (r) => safeText(r.alarm.point) },
  { header: '级别', key: 'level', width: 8, value: (r) => r.alarm.level },
  { header: '预警颜色', key: 'colour', width: 8, value: (r) => r.alarm.colour },
  { header: '标题', key: 'title', width: 40, value: (r) => safeText(chineseTitle(r.alarm.title)) },
  { header: '值', key: 'value', width: 10, value: (r) => (typeof r.alarm.value === 'number' ? r.alarm.value : safeText(r.alarm.value === null ? null : String(r.alarm.value))) },
  { header: '峰值', key: 'peak', width: 10, value: (r) => r.alarm.peakValue },
  { header: '单位', key: 'unit', width: 8, value: (r) => r.alarm.unit },
  { header: '状态', key: 'state', width: 14, value: (r) => r.alarm.state },
  { header: '发生时间', key: 'raisedAt', width: 20, date: true, value: (r) => chinaDate(r.alarm.raisedAt) },
  { header: '恢复时间', key: 'clearedAt', width: 20, date: true, value: (r) => chinaDate(r.alarm.clearedAt) },
  { header: '确认时间', key: 'ackedAt', width: 20, date: true, value: (r) => chinaDate(r.alarm.ackedAt) },
  { header: '确认人', key: 'ackedBy', width: 12, value: (r) => r.alarm.ackedBy },
  { header: '升级级别', key: 'escalationLevel', width: 8, value: (r) => r.alarm.escalationLevel },
  { header: '处置结论', key: 'disposition', width: 12, value: (r) => r.alarm.disposition },
  { header: '原因', key: 'cause', width: 30, value: (r) => safeText(r.feedback?.cause) },
  { header: '措施', key: 'measures', width: 30, value: (r) => safeText(r.feedback?.measures) },
  { header: '结果', key: 'result', width: 30, value: (r) => safeText(r.feedback?.result) },
  { header: '反馈人', key: 'feedbackBy', width: 12, value: (r) => r.feedback?.submittedBy ?? null },
  { header: '审核人', key: 'reviewedBy', width: 12, value: (r) => r.alarm.reviewedBy },
  { header: '关闭时间', key: 'closedAt', width: 20, date: true, value: (r) => chinaDate(r.alarm.closedAt) },
];

export function alarmsToXlsx(rows: readonly AlarmRow[]): Promise<Buffer> {
  return sheetBuffer('报警及处置记录', ALARM_COLUMNS, rows);
}

const STATS_COLUMNS: readonly Column<EnterpriseStatsRow>[] = [
  { header: '企业', key: 'enterpriseName', width: 24, value: (r) => safeText(r.enterpriseName) },
  { header: '企业编号', key: 'enterpriseId', width: 18, value: (r) => r.enterpriseId },
  { header: '行政区', key: 'regionCode', width: 10, value: (r) => r.regionCode },
  { header: '统计起', key: 'from', width: 20, date: true, value: (r) => chinaDate(r.stats.from) },
  { header: '统计止', key: 'to', width: 20, date: true, value: (r) => chinaDate(r.stats.to) },
  { header: '报警总数', key: 'total', width: 10, value: (r) => r.stats.total },
  { header: '红/重大', key: 'red', width: 8, value: (r) => r.stats.bySeverity.red },
  { header: '橙/较大', key: 'orange', width: 8, value: (r) => r.stats.bySeverity.orange },
  { header: '一般', key: 'normal', width: 8, value: (r) => r.stats.bySeverity.normal },
  { header: '未关闭', key: 'open', width: 8, value: (r) => r.stats.open },
  { header: '未确认', key: 'unacknowledgedOpen', width: 8, value: (r) => r.stats.unacknowledgedOpen },
  { header: '平均确认时长(秒)', key: 'mtta', width: 16, value: (r) => r.stats.meanTimeToAcknowledgeSec },
  { header: '平均关闭时长(秒)', key: 'mttc', width: 16, value: (r) => r.stats.meanTimeToCloseSec },
  { header: '确认超时', key: 'overdueAck', width: 10, value: (r) => r.stats.overdue.acknowledge },
  { header: '反馈超时', key: 'overdueFeedback', width: 10, value: (r) => r.stats.overdue.feedback },
  { header: '反馈完成率', key: 'feedbackRate', width: 10, value: (r) => r.stats.feedbackCompletionRate },
  { header: '网关离线时长(小时)', key: 'offlineHours', width: 18, value: (r) => Math.round(r.stats.gatewayOfflineHours.reduce((s, m) => s + m.hours, 0) * 100) / 100 },
];

export function statsToXlsx(rows: readonly EnterpriseStatsRow[]): Promise<Buffer> {
  return sheetBuffer('统计表', STATS_COLUMNS, rows);
}
