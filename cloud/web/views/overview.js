// Region overview for county/city/province monitors: enterprises by status, and the statistics
// from /api/stats (mean time to acknowledge, overdue, feedback completion, gateway offline hours).
import { download, get, itemsOf, qs } from '../api.js';
import { COLOUR_HEX, makeChart } from '../charts.js';
import { h } from '../dom.js';
import { colourLabel, fmtDuration, fmtNumber, t, tEnum } from '../i18n.js';
import { errorText } from './alarm-actions.js';
import { toast } from '../dom.js';
import { isRegulator } from '../roles.js';
import { regionName } from './region-names.js';

const PERIODS = [1, 7, 30, 90];
let periodDays = 7;

/** The alarm desk filtered to what a figure counts (drill-down). */
function deskLink(params) {
  return `#/alarms${qs({ state: 'all', ...params })}`;
}
const RANK = { red: 4, orange: 3, yellow: 2, blue: 1 };

export async function renderOverview(root, _params, { user, regions, live, navigate }) {
  if (!isRegulator(user)) {
    root.append(h('p', {}, t('noRegion')));
    return undefined;
  }
  const to = Date.now();
  const from = to - periodDays * 86_400_000;
  const range = { regionCode: user.regionCode, from, to };
  const [sitesRes, stats, table, regionList] = await Promise.all([
    get('/api/sites'),
    get(`/api/stats${qs(range)}`).catch(() => null),
    get(`/api/stats/by-enterprise${qs(range)}`).catch(() => []),
    regions(),
  ]);
  const sites = itemsOf(sitesRes);
  const enterprises = enterpriseStatus(sites);
  const kpis = h('div', { class: 'kpis', id: 'stats-kpis' }, kpiCards(stats, { from, to }));
  const statusBox = h('div', { class: 'chart-box chart-small', id: 'chart-enterprises', role: 'img', 'aria-label': t('enterprisesByStatus') });
  const levelBox = h('div', { class: 'chart-box chart-small', id: 'chart-levels', role: 'img', 'aria-label': t('alarmsByLevel') });
  const period = h('select', { id: 'stats-period', name: 'period' }, PERIODS.map((d) => h('option', { value: String(d) }, t('lastDays', { d }))));
  period.value = String(periodDays);
  period.addEventListener('change', () => {
    periodDays = Number(period.value);
    navigate('#/overview');
  });
  const exportButton = (id, label, path, file) =>
    h('button', { type: 'button', class: 'btn', id, onclick: () => download(path, file).catch((err) => toast(t('actionFailed', { action: label, msg: errorText(err) }), 'error')) }, label);
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, `${t('overviewTitle')} · ${regionName(regionList, user.regionCode)}`),
      h('div', { class: 'field-inline' }, h('label', { for: 'stats-period' }, t('statsPeriodLabel')), period),
      exportButton('export-alarms', t('exportAlarms'), `/api/alarms/export.csv${qs({ ...range, state: 'all' })}`, 'safeloop-alarms.csv'),
      exportButton('export-stats', t('exportStats'), `/api/stats/export.csv${qs(range)}`, 'safeloop-stats.csv'),
      exportButton('export-alarms-xlsx', t('exportAlarmsXlsx'), `/api/alarms/export.xlsx${qs({ ...range, state: 'all' })}`, 'safeloop-alarms.xlsx'),
      exportButton('export-stats-xlsx', t('exportStatsXlsx'), `/api/stats/export.xlsx${qs(range)}`, 'safeloop-stats.xlsx'),
    ),
    kpis,
    h('div', { class: 'grid2' }, h('section', { class: 'card' }, h('h2', {}, t('enterprisesByStatus')), statusBox), h('section', { class: 'card' }, h('h2', {}, t('alarmsByLevel')), levelBox)),
    h('h2', {}, t('enterprises')),
    enterpriseTable(enterprises, regionList, table, { from, to }),
  );
  const c1 = makeChart(statusBox);
  const c2 = makeChart(levelBox);
  const counts = ['red', 'orange', 'yellow', 'blue', null].map((c) => ({ c, n: enterprises.filter((e) => e.worst === c).length }));
  c1.chart?.setOption({
    tooltip: { trigger: 'item' },
    series: [
      {
        type: 'pie',
        radius: ['40%', '70%'],
        avoidLabelOverlap: true,
        label: { formatter: '{b}: {c}' },
        // Empty slices have no room for a label: leaving them out stops labels piling on each other.
        data: counts.filter(({ n }) => n > 0).map(({ c, n }) => ({ name: colourLabel(c), value: n, itemStyle: { color: COLOUR_HEX[c ?? 'none'] } })),
      },
    ],
  });
  const levelEntries = levelCounts(stats);
  c2.chart?.setOption({
    tooltip: { trigger: 'axis' },
    grid: { left: 110, right: 16, top: 8, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: levelEntries.map((e) => e.label) },
    series: [{ type: 'bar', data: levelEntries.map((e) => ({ value: e.count, itemStyle: { color: COLOUR_HEX[e.colour ?? 'none'] } })) }],
  });
  const off = live.on('alarm', () => undefined);
  return () => {
    off();
    c1.dispose();
    c2.dispose();
  };
}

function enterpriseStatus(sites) {
  const map = new Map();
  for (const s of sites) {
    const e = map.get(s.enterpriseId) ?? { id: s.enterpriseId, name: s.enterpriseName ?? s.enterpriseId, regionCode: s.regionCode, worst: null, openAlarms: 0, sites: 0, offline: 0 };
    e.sites += 1;
    e.openAlarms += s.openAlarms ?? 0;
    if (s.gatewayOnline === false) e.offline += 1;
    if ((RANK[s.worstColour] ?? 0) > (RANK[e.worst] ?? 0)) e.worst = s.worstColour;
    map.set(s.enterpriseId, e);
  }
  return [...map.values()].sort((a, b) => (RANK[b.worst] ?? 0) - (RANK[a.worst] ?? 0) || b.openAlarms - a.openAlarms);
}

/** byLevel arrives as [{level, colour, count}] (one row per level and colour); merge by label. */
function levelCounts(stats) {
  const rows = Array.isArray(stats?.byLevel) ? stats.byLevel : [];
  const merged = new Map();
  for (const r of rows) {
    const label = r.level ? tEnum('level', r.level) : r.colour ? t('colourWarning', { c: colourLabel(r.colour) }) : '—';
    const e = merged.get(label) ?? { label, count: 0, colour: r.colour ?? LEVEL_COLOUR[r.level] ?? null };
    e.count += Number(r.count ?? 0);
    merged.set(label, e);
  }
  return [...merged.values()].sort((a, b) => a.count - b.count);
}
const LEVEL_COLOUR = { L: 'blue', H: 'blue', GAS_1: 'yellow', LL: 'yellow', HH: 'orange', GAS_2: 'orange' };

function kpiCards(stats, period) {
  const mttaSec = typeof stats?.meanTimeToAcknowledgeSec === 'number' ? stats.meanTimeToAcknowledgeSec : undefined;
  const overdue = stats?.overdue ? Number(stats.overdue.acknowledge ?? 0) + Number(stats.overdue.feedback ?? 0) : undefined;
  const completion = typeof stats?.feedbackCompletionRate === 'number' ? stats.feedbackCompletionRate : undefined;
  const offlineH = Array.isArray(stats?.gatewayOfflineHours) ? stats.gatewayOfflineHours.reduce((sum, m) => sum + Number(m.hours ?? 0), 0) : undefined;
  const alarms = deskLink(period);
  const cards = [
    [t('mtta'), mttaSec !== undefined ? fmtDuration(mttaSec * 1000) : '—', 'kpi-mtta', stats ? t('unackedOpen', { n: stats.unacknowledgedOpen ?? 0 }) : null, alarms],
    [t('overdueCount'), overdue !== undefined ? fmtNumber(overdue, 0) : '—', 'kpi-overdue', stats?.overdue ? `${t('actAcknowledge')} ${stats.overdue.acknowledge} · ${t('feedback')} ${stats.overdue.feedback}` : null, alarms],
    [t('feedbackCompletion'), completion !== undefined ? `${fmtNumber(completion * 100, 1)} %` : '—', 'kpi-feedback', null, alarms],
    [t('gwOfflineHours'), offlineH !== undefined ? t('hours', { n: fmtNumber(offlineH, 1) }) : '—', 'kpi-offline', null, '#/map'],
  ];
  return cards.map(([label, value, id, sub, href]) =>
    h(
      'a',
      { class: 'card kpi kpi-link', id, href, 'aria-label': `${label}: ${value}` },
      h('div', { class: 'kpi-value' }, value),
      h('div', { class: 'kpi-label' }, label),
      sub ? h('div', { class: 'muted' }, sub) : null,
    ),
  );
}

function enterpriseTable(enterprises, regionList, table, period) {
  if (enterprises.length === 0) return h('p', { class: 'muted' }, t('empty'));
  const figures = new Map((Array.isArray(table) ? table : []).map((r) => [r.enterpriseId, r.stats]));
  const cols = [t('colEnterprise'), t('colRegion'), t('colWorst'), t('colOpenAlarms'), t('colPeriodAlarms'), t('mtta'), t('overdueCount'), t('sites'), t('gatewayOffline')];
  return h(
    'table',
    { class: 'table', id: 'enterprise-table' },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      enterprises.map((e) => {
        const st = figures.get(e.id);
        const link = (text) => h('a', { href: deskLink({ enterpriseId: e.id, ...period }) }, text);
        return h(
          'tr',
          { dataset: { enterpriseId: e.id } },
          h('th', { scope: 'row' }, h('a', { href: deskLink({ enterpriseId: e.id, ...period }), translate: 'no' }, e.name)),
          h('td', {}, regionName(regionList, e.regionCode)),
          h('td', {}, h('span', { class: `chip chip-${e.worst ?? 'none'}` }, colourLabel(e.worst))),
          h('td', { class: 'num' }, h('a', { href: `#/alarms${qs({ state: 'open', enterpriseId: e.id })}` }, String(e.openAlarms))),
          h('td', { class: 'num' }, st ? link(String(st.total)) : '—'),
          h('td', { class: 'num' }, st && typeof st.meanTimeToAcknowledgeSec === 'number' ? fmtDuration(st.meanTimeToAcknowledgeSec * 1000) : '—'),
          h('td', { class: 'num' }, st ? String(Number(st.overdue.acknowledge) + Number(st.overdue.feedback)) : '—'),
          h('td', { class: 'num' }, String(e.sites)),
          h('td', { class: 'num' }, String(e.offline)),
        );
      }),
    ),
  );
}
