/**
 * The words of a notification: level, place, point, value and a link, in Chinese (the operators'
 * language on SMS, calls and work chat). Provider templates receive the parts as variables; robots
 * and the in-app feed get the assembled text. The level names follow the domain exactly: 一级/二级报警
 * for gas, 高高/低低 … for process points, 红/橙/黄/蓝 for warnings.
 */
import { ALARM_LEVEL_LABELS, WARNING_COLOUR_LABELS } from '@safeloop/contract';
import type { AlarmSummary } from '../alarms/summary.ts';
import { chineseTitle } from '../alarms/title.ts';
import type { NotificationReason } from './types.ts';
import type { AlarmMessage } from './providers/types.ts';

const REASON: Record<NotificationReason, string> = {
  raised: '新报警',
  escalated: '报警升级',
  reannunciated: '报警重新提示',
  realarm: '报警仍未消除',
  flood: '报警泛滥',
  returned: '报警复现(需重新确认)',
  reminder: '报警待处置提醒',
  urged: '报警督办',
  review_requested: '报警待审核',
};

/**
 * The short form carried inside the template's level variable: an approved SMS/voice template has no
 * variable for the reason, and a return to alarm or a reminder must not read like the first notice.
 */
const REASON_SHORT: Record<NotificationReason, string> = {
  raised: '',
  escalated: '升级',
  reannunciated: '重提示',
  realarm: '仍未消除',
  flood: '泛滥',
  returned: '复现',
  reminder: '待处置',
  urged: '督办',
  review_requested: '待审核',
};

export function levelText(a: Pick<AlarmSummary, 'level' | 'colour' | 'kind'>): string {
  if (a.colour) return `${WARNING_COLOUR_LABELS[a.colour].zh}色预警${a.level ? `(${ALARM_LEVEL_LABELS[a.level].zh})` : ''}`;
  if (a.level) return ALARM_LEVEL_LABELS[a.level].zh;
  return a.kind === 'system' ? '系统报警' : '报警';
}

export function alarmMessage(
  a: AlarmSummary,
  n: { reason: NotificationReason; level: number; groupSize?: number | undefined },
  place: { enterpriseName?: string | undefined; siteName?: string | undefined },
  publicUrl: string | undefined,
): AlarmMessage {
  const reason = n.reason === 'escalated' ? `${REASON.escalated}(第${n.level}级)` : REASON[n.reason];
  const where = [place.enterpriseName, place.siteName ?? a.siteId].filter((x): x is string => !!x).join(' ');
  const value = a.value === null ? '-' : `${String(a.value)}${a.unit ?? ''}`;
  const link = publicUrl ? `${publicUrl.replace(/\/+$/, '')}/#/alarms/${a.id}` : '';
  const short = n.reason === 'escalated' ? `${REASON_SHORT.escalated}第${n.level}级` : REASON_SHORT[n.reason];
  const level = short ? `${levelText(a)}(${short})` : levelText(a);
  const point = a.point ?? '-';
  const what = n.reason === 'flood' ? `${n.groupSize ?? '多'}条报警(泛滥)` : chineseTitle(a.title);
  const text = `[SafeLoop ${reason}] ${levelText(a)} ${what} 地点:${where} 测点:${point} 值:${value}${link ? ` ${link}` : ''}`;
  return { level, place: where, point, value, link, reason, text };
}
