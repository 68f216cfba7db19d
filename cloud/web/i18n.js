// Chinese (default) and English strings, the chosen language persisted in localStorage, and
// local-time date formatting. Domain words follow DOMAIN.md exactly: 一级报警/二级报警, 红/橙/黄/蓝,
// 重大危险源, 尾矿库.
import { DUTY_STRINGS } from './i18n-duty.js';
import { SITE_STRINGS } from './i18n-sites.js';

const STORAGE_KEY = 'safeloop.lang';

const zh = {
  appName: 'SafeLoop 安全生产风险监测预警',
  skipToMain: '跳到主要内容',
  navMap: '一张图', navAlarms: '报警处置台', navSites: '场所', navOverview: '区域总览',
  language: '语言', langSwitch: 'English', logout: '退出登录',
  loginTitle: '登录', username: '用户名', password: '密码', loginButton: '登录', loginFailed: '登录失败：{msg}',
  loading: '加载中…', retry: '重试', error: '出错了：{msg}', empty: '暂无数据', back: '返回',
  liveConnected: '实时连接正常', liveDisconnected: '实时连接中断，正在重连…',
  role_enterprise_operator: '企业值班员', role_enterprise_manager: '企业负责人', role_county_monitor: '县级监管', role_city_monitor: '市级监管',
  role_province_monitor: '省级监管', role_field_technician: '现场技术员', role_admin: '管理员',
  // site types
  type_hazchem: '危险化学品（重大危险源）', type_tailings: '尾矿库', type_coal: '煤矿', type_nonCoal: '非煤矿山', type_fireworks: '烟花爆竹', type_other: '其他',
  // colours & levels
  colour_red: '红', colour_orange: '橙', colour_yellow: '黄', colour_blue: '蓝', colour_none: '正常',
  colourWarning: '{c}色预警',
  level_GAS_1: '一级报警', level_GAS_2: '二级报警', level_LL: '低低报警', level_L: '低报警', level_H: '高报警', level_HH: '高高报警',
  // alarm states
  state_raised: '待推送', state_pushed: '待确认', state_push_failed: '推送失败·待确认', state_acknowledged: '已确认', state_handling: '处置中',
  state_feedback_submitted: '已反馈', state_reviewed: '已审核', state_closed: '已关闭', state_shelved: '已搁置',
  condition_active: '报警中', condition_cleared: '已恢复',
  kind_point: '测点报警', kind_warning: '预警', kind_system: '系统',
  overdue: '超时', escalated: '已升级{n}级', unacked: '未确认', recurred: '复现{n}次', peakValue: '复现后峰值',
  // map
  mapTitle: '一张图', mapLegend: '图例：按最高未关闭预警着色', gatewayOffline: '网关离线', gatewayOnline: '网关在线',
  mapNoOutline: '本区域暂无行政区划轮廓，仅显示场所列表。', sitesInRegion: '场所列表',
  colSite: '场所', colEnterprise: '企业', colType: '类型', colRegion: '行政区', colWorst: '最高预警', colOpenAlarms: '未关闭报警', colGateway: '网关',
  // alarm desk
  alarmsTitle: '报警处置台', filterState: '状态', filterLevel: '级别', filterSite: '场所', all: '全部',
  stateOpen: '未关闭', stateClosed: '已关闭', stateAll: '全部',
  colLevel: '级别', colTitle: '报警', colValue: '数值 / 限值', colTime: '发生时间', colState: '状态', colActions: '操作',
  moreInGroup: '同组另有 {n} 条', collapseGroup: '收起同组报警',
  actAcknowledge: '确认', actHandover: '转交', actStartHandling: '开始处置', actFeedback: '填写反馈',
  actReview: '审核', actClose: '关闭', actShelve: '搁置', actDetails: '详情',
  actionDone: '{action}：已完成', actionFailed: '{action}失败：{msg}', conflict: '该报警状态已被他人更新，已刷新。',
  newAlarm: '新报警：{title}', totalAlarms: '共 {n} 条', noAlarms: '当前没有未关闭的报警',
  pagination: '分页', prevPage: '上一页', nextPage: '下一页', pageOf: '第 {p} / {n} 页',
  // forms
  cancel: '取消', submit: '提交', required: '必填',
  handoverTitle: '转交报警', handoverTo: '转交给', note: '备注',
  feedbackTitle: '处置反馈', cause: '原因', measures: '采取的措施', result: '处置结果', disposition: '处置结论',
  disp_handled: '已处置', disp_false_alarm: '误报', disp_maintenance: '检修', disp_calibration: '标定',
  photos: '现场照片', photosHint: '可拍照或选择图片，每张不超过 2 MB',
  reviewTitle: '审核反馈', reviewComment: '审核意见', approve: '通过', reject: '退回',
  closeTitle: '关闭报警', shelveTitle: '搁置报警', shelveReason: '搁置原因', shelveMinutes: '搁置时长（分钟）',
  // alarm detail
  deliveries: '通知记录', noDeliveries: '无短信/电话/工作群通知记录', deliveriesUnavailable: '通知记录暂不可用', channel: '渠道', recipient: '接收人', attempt: '次数',
  channel_sms: '短信', channel_voice: '语音电话', channel_wecom: '企业微信群', channel_dingtalk: '钉钉群',
  delivery_scheduled: '待发送', delivery_sending: '发送中', delivery_sent: '已送达服务商', delivery_failed: '失败', delivery_throttled: '被限流', delivery_cancelled: '已取消(已确认)',
  alarmDetail: '报警详情', auditTrail: '处置记录', feedback: '反馈', raisedAt: '发生时间', clearedAt: '恢复时间',
  value: '数值', limit: '限值', point: '测点', site: '场所', escalationLevel: '升级级别', by: '操作人', at: '时间', action: '动作',
  // site / device / point
  siteTitle: '场所', devices: '设备', gateways: '网关', latestValues: '实时数据', colPoint: '测点', colValue2: '数值', colUnit: '单位',
  colQuality: '数据质量', colSourceTime: '采集时间', quality_good: '数据有效', quality_uncertain: '数据可疑', quality_bad: '数据无效',
  device: '设备', profile: '设备型号', protocol: '协议', address: '地址', limits: '报警限值',
  gwHealth: '网关状态', online: '在线', offline: '离线', backlog: '待上传', lastSeen: '最后通信', clockDrift: '时钟偏差',
  trend: '趋势', range1h: '1 小时', range24h: '24 小时', range7d: '7 天', trendRange: '时间范围', noHistory: '该时间段没有数据', minimum: '最小值', maximum: '最大值',
  // overview
  overviewTitle: '区域总览', enterprisesByStatus: '企业按状态', enterprises: '企业', sites: '场所',
  mtta: '平均确认时长', overdueCount: '超时报警', feedbackCompletion: '反馈完成率', gwOfflineHours: '网关离线时长',
  statsPeriod: '统计周期：近 {d} 天', minutes: '{n} 分钟', hours: '{n} 小时', noRegion: '该角色没有区域总览。',
  status_normal: '正常', sitesByType: '场所按类型', alarmsByLevel: '报警按级别',
};

const en = {
  appName: 'SafeLoop risk monitoring and early warning',
  skipToMain: 'Skip to main content',
  navMap: 'One map', navAlarms: 'Alarm desk', navSites: 'Sites', navOverview: 'Region overview',
  language: 'Language', langSwitch: '中文', logout: 'Log out',
  loginTitle: 'Log in', username: 'User name', password: 'Password', loginButton: 'Log in', loginFailed: 'Log-in failed: {msg}',
  loading: 'Loading…', retry: 'Retry', error: 'Something went wrong: {msg}', empty: 'No data', back: 'Back',
  liveConnected: 'Live updates connected', liveDisconnected: 'Live updates interrupted, reconnecting…',
  role_enterprise_operator: 'Enterprise operator', role_enterprise_manager: 'Enterprise manager', role_county_monitor: 'County monitor', role_city_monitor: 'City monitor',
  role_province_monitor: 'Province monitor', role_field_technician: 'Field technician', role_admin: 'Administrator',
  type_hazchem: 'Hazardous chemicals (major hazard)', type_tailings: 'Tailings pond', type_coal: 'Coal mine', type_nonCoal: 'Non-coal mine', type_fireworks: 'Fireworks', type_other: 'Other',
  colour_red: 'Red', colour_orange: 'Orange', colour_yellow: 'Yellow', colour_blue: 'Blue', colour_none: 'Normal',
  colourWarning: '{c} warning',
  level_GAS_1: 'Level 1 alarm', level_GAS_2: 'Level 2 alarm', level_LL: 'Low-low', level_L: 'Low', level_H: 'High', level_HH: 'High-high',
  state_raised: 'Raised', state_pushed: 'Awaiting acknowledgement', state_push_failed: 'Nobody reached · unacknowledged', state_acknowledged: 'Acknowledged', state_handling: 'Being handled',
  state_feedback_submitted: 'Feedback submitted', state_reviewed: 'Reviewed', state_closed: 'Closed', state_shelved: 'Shelved',
  condition_active: 'Active', condition_cleared: 'Cleared',
  kind_point: 'Point alarm', kind_warning: 'Warning', kind_system: 'System',
  overdue: 'Overdue', escalated: 'Escalated to level {n}', unacked: 'Unacknowledged', recurred: 'Returned {n}×', peakValue: 'Peak since return',
  mapTitle: 'One map', mapLegend: 'Legend: coloured by the worst open warning', gatewayOffline: 'Gateway offline', gatewayOnline: 'Gateway online',
  mapNoOutline: 'No outline for this region; showing the site list only.', sitesInRegion: 'Sites',
  colSite: 'Site', colEnterprise: 'Enterprise', colType: 'Type', colRegion: 'Region', colWorst: 'Worst warning', colOpenAlarms: 'Open alarms', colGateway: 'Gateway',
  alarmsTitle: 'Alarm desk', filterState: 'State', filterLevel: 'Level', filterSite: 'Site', all: 'All',
  stateOpen: 'Open', stateClosed: 'Closed', stateAll: 'All',
  colLevel: 'Level', colTitle: 'Alarm', colValue: 'Value / limit', colTime: 'Raised', colState: 'State', colActions: 'Actions',
  moreInGroup: '{n} more in this group', collapseGroup: 'Collapse group',
  actAcknowledge: 'Acknowledge', actHandover: 'Hand over', actStartHandling: 'Start handling', actFeedback: 'Feedback',
  actReview: 'Review', actClose: 'Close', actShelve: 'Shelve', actDetails: 'Details',
  actionDone: '{action}: done', actionFailed: '{action} failed: {msg}', conflict: 'Someone else changed this alarm; the list was refreshed.',
  newAlarm: 'New alarm: {title}', totalAlarms: '{n} in total', noAlarms: 'No open alarms',
  pagination: 'Pages', prevPage: 'Previous page', nextPage: 'Next page', pageOf: 'Page {p} of {n}',
  cancel: 'Cancel', submit: 'Submit', required: 'required',
  handoverTitle: 'Hand over alarm', handoverTo: 'Hand over to', note: 'Note',
  feedbackTitle: 'Handling feedback', cause: 'Cause', measures: 'Measures taken', result: 'Result', disposition: 'Disposition',
  disp_handled: 'Handled', disp_false_alarm: 'False alarm', disp_maintenance: 'Maintenance', disp_calibration: 'Calibration',
  photos: 'Site photos', photosHint: 'Take or choose pictures, 2 MB each at most',
  reviewTitle: 'Review feedback', reviewComment: 'Review comment', approve: 'Approve', reject: 'Send back',
  closeTitle: 'Close alarm', shelveTitle: 'Shelve alarm', shelveReason: 'Reason', shelveMinutes: 'Shelve for (minutes)',
  deliveries: 'Notifications sent', noDeliveries: 'No SMS, call or work-chat notifications', deliveriesUnavailable: 'Notification records unavailable', channel: 'Channel', recipient: 'Recipient', attempt: 'Attempt',
  channel_sms: 'SMS', channel_voice: 'Voice call', channel_wecom: 'WeCom group', channel_dingtalk: 'DingTalk group',
  delivery_scheduled: 'Scheduled', delivery_sending: 'Sending', delivery_sent: 'Accepted by provider', delivery_failed: 'Failed', delivery_throttled: 'Throttled', delivery_cancelled: 'Cancelled (acknowledged)',
  alarmDetail: 'Alarm details', auditTrail: 'Audit trail', feedback: 'Feedback', raisedAt: 'Raised at', clearedAt: 'Cleared at',
  value: 'Value', limit: 'Limit', point: 'Point', site: 'Site', escalationLevel: 'Escalation level', by: 'By', at: 'At', action: 'Action',
  siteTitle: 'Site', devices: 'Devices', gateways: 'Gateways', latestValues: 'Latest values', colPoint: 'Point', colValue2: 'Value', colUnit: 'Unit',
  colQuality: 'Data quality', colSourceTime: 'Measured at', quality_good: 'Data good', quality_uncertain: 'Data uncertain', quality_bad: 'Data bad',
  device: 'Device', profile: 'Profile', protocol: 'Protocol', address: 'Address', limits: 'Alarm limits',
  gwHealth: 'Gateway health', online: 'Online', offline: 'Offline', backlog: 'Backlog', lastSeen: 'Last seen', clockDrift: 'Clock drift',
  trend: 'Trend', range1h: '1 hour', range24h: '24 hours', range7d: '7 days', trendRange: 'Time range', noHistory: 'No data in this period', minimum: 'Minimum', maximum: 'Maximum',
  overviewTitle: 'Region overview', enterprisesByStatus: 'Enterprises by status', enterprises: 'Enterprises', sites: 'Sites',
  mtta: 'Mean time to acknowledge', overdueCount: 'Overdue alarms', feedbackCompletion: 'Feedback completion', gwOfflineHours: 'Gateway offline time',
  statsPeriod: 'Period: last {d} days', minutes: '{n} min', hours: '{n} h', noRegion: 'This role has no region overview.',
  status_normal: 'Normal', sitesByType: 'Sites by type', alarmsByLevel: 'Alarms by level',
};

export const DICTS = { zh: { ...zh, ...DUTY_STRINGS.zh, ...SITE_STRINGS.zh }, en: { ...en, ...DUTY_STRINGS.en, ...SITE_STRINGS.en } };
let lang = readStoredLang();

function readStoredLang() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function getLang() {
  return lang;
}

export function setLang(next) {
  lang = next === 'en' ? 'en' : 'zh';
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode: the choice lasts this page only */
  }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

/** Translate a key, filling {name} placeholders; an unknown key shows itself (easy to spot). */
export function t(key, params) {
  const s = DICTS[lang][key] ?? DICTS.zh[key] ?? key;
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (_, k) => (params[k] === undefined ? `{${k}}` : String(params[k])));
}

/** Translate an enum value with a prefix, falling back to the raw value. */
export function tEnum(prefix, value) {
  if (value === null || value === undefined || value === '') return '';
  const key = `${prefix}_${value}`;
  return DICTS[lang][key] ?? DICTS.zh[key] ?? String(value);
}

function locale() {
  return lang === 'zh' ? 'zh-CN' : 'en-GB';
}

/** Local date and time, seconds included (alarm times matter to the second). */
export function fmtDateTime(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(Number(ms))) return '—';
  // zh: 2026/12/4 13:22:54; en: 4 Dec 2026, 13:22:54 (a numeric 04/12/2026 reads as April in half the world).
  return new Intl.DateTimeFormat(locale(), { dateStyle: lang === 'zh' ? 'short' : 'medium', timeStyle: 'medium' }).format(new Date(Number(ms)));
}

export function fmtTime(ms) {
  if (ms === null || ms === undefined) return '—';
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(Number(ms)));
}

export function fmtNumber(v, digits = 2) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v === null || v === undefined ? '—' : String(v);
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(v);
}

/** Duration in ms as "12 分钟" / "3.5 小时". */
export function fmtDuration(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '—';
  const min = ms / 60000;
  if (min < 120) return t('minutes', { n: fmtNumber(min, 1) });
  return t('hours', { n: fmtNumber(min / 60, 1) });
}

export function colourLabel(c) {
  return c ? tEnum('colour', c) : t('colour_none');
}
