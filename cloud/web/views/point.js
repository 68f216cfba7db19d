// Point page: latest value with unit and quality, and a trend chart with the alarm limits drawn
// in as mark lines (一级/二级, H/HH, L/LL).
import { get, itemsOf, qs } from '../api.js';
import { makeChart, QUALITY_HEX } from '../charts.js';
import { h } from '../dom.js';
import { fmtDateTime, fmtNumber, t, tEnum } from '../i18n.js';
import { loadLatest, loadSite, qualityBadge, valueCell } from './site-data.js';
import { limitsFor } from './limits.js';

const RANGES = [
  { id: '1h', ms: 3_600_000, resolution: 'raw', label: 'range1h' },
  { id: '24h', ms: 86_400_000, resolution: '1m', label: 'range24h' },
  { id: '7d', ms: 7 * 86_400_000, resolution: '1m', label: 'range7d' },
];
const LIMIT_COLOUR = { GAS_2: '#e65100', HH: '#e65100', LL: '#e65100', GAS_1: '#b28704', H: '#1565c0', L: '#1565c0' };

export async function renderPoint(root, { siteId, deviceId, pointId }, { live }) {
  const path = `${siteId}/${deviceId}/${pointId}`;
  const [{ site, points }, latest] = await Promise.all([loadSite(siteId), loadLatest(siteId)]);
  const point = points.find((p) => p.path === path) ?? { path };
  const { limits } = await limitsFor(point, site).catch(() => ({ limits: [] }));
  let current = latest.find((r) => r.point === path);
  const unit = () => current?.unit ?? point.unit ?? '';
  const latestBox = h('p', { class: 'latest-big', id: 'point-latest', 'aria-live': 'polite' });
  const drawLatest = () => latestBox.replaceChildren(h('span', { class: 'big' }, valueCell(current)), ` ${unit()} `, qualityBadge(current), h('small', { class: 'muted' }, ` ${fmtDateTime(current?.sourceTime)}`));
  drawLatest();
  let range = RANGES[0];
  const rangeSel = h('select', { id: 'trend-range' }, RANGES.map((r) => h('option', { value: r.id }, t(r.label))));
  const chartBox = h('div', { class: 'chart-box', id: 'trend-chart', role: 'img', 'aria-label': `${t('trend')} ${point.name ?? path}` });
  const note = h('p', { class: 'muted', 'aria-live': 'polite' });
  root.append(
    h('p', {}, h('a', { href: `#/sites/${encodeURIComponent(siteId)}/devices/${encodeURIComponent(deviceId)}` }, `← ${site?.name ?? siteId} / ${deviceId}`)),
    h('h1', {}, point.name ?? pointId, h('small', { class: 'muted' }, ` ${path}`)),
    latestBox,
    h('div', { class: 'field-inline' }, h('label', { for: 'trend-range' }, t('trendRange')), rangeSel),
    chartBox,
    note,
  );
  const { chart, dispose } = makeChart(chartBox);

  async function load() {
    const to = Date.now();
    const res = await get(`/api/points/history${qs({ point: path, from: to - range.ms, to, resolution: range.resolution })}`);
    const rows = itemsOf(res?.rows ?? res?.points ?? res?.values ?? res);
    const data = rows
      .map((r) => {
        const x = Number(r.t ?? r.sourceTime ?? r.bucket ?? r.ts ?? r.time ?? r.minute);
        const y = r.value ?? r.avg ?? r.mean ?? r.last ?? null;
        return { value: [x, typeof y === 'number' ? y : null], quality: r.quality ?? 'good' };
      })
      .filter((d) => Number.isFinite(d.value[0]));
    // Per-minute aggregates also carry min and max: draw them as a faint envelope.
    const envelope = (key) =>
      rows.filter((r) => typeof r[key] === 'number').map((r) => [Number(r.minute ?? r.t ?? r.bucket), r[key]]);
    const mins = envelope('min');
    const maxs = envelope('max');
    note.textContent = data.length === 0 ? t('noHistory') : '';
    chart?.setOption(
      {
        animation: false,
        grid: { left: 56, right: 96, top: 24, bottom: 48 },
        tooltip: { trigger: 'axis', valueFormatter: (v) => `${fmtNumber(v, 3)} ${unit()}` },
        xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
        yAxis: { type: 'value', name: unit(), scale: true },
        dataZoom: [{ type: 'inside' }],
        series: [
          {
            type: 'line',
            name: point.name ?? path,
            showSymbol: data.length < 60,
            data: data.map((d) => ({ value: d.value, itemStyle: { color: QUALITY_HEX[d.quality] ?? QUALITY_HEX.good } })),
            lineStyle: { color: '#37474f' },
            markLine: {
              symbol: 'none',
              silent: true,
              data: limits.map((l) => ({
                yAxis: l.value,
                name: tEnum('level', l.level),
                lineStyle: { color: LIMIT_COLOUR[l.level] ?? '#c62828', type: 'dashed', width: 2 },
                label: { formatter: `${tEnum('level', l.level)} ${fmtNumber(l.value)}`, position: 'end' },
              })),
            },
          },
          ...[
            [t('minimum'), mins],
            [t('maximum'), maxs],
          ]
            .filter(([, d]) => d.length > 0)
            .map(([name, d]) => ({ type: 'line', name, data: d, showSymbol: false, lineStyle: { color: '#90a4ae', width: 1, type: 'dotted' }, silent: true })),
        ],
      },
      true,
    );
  }
  rangeSel.addEventListener('change', () => {
    range = RANGES.find((r) => r.id === rangeSel.value) ?? RANGES[0];
    void load().catch((err) => (note.textContent = t('error', { msg: err.message })));
  });
  await load().catch((err) => (note.textContent = t('error', { msg: err.message })));
  let pending = null;
  const off = live.on('latest', (readings) => {
    let r = null;
    for (const x of readings) if (x.point === path) r = x; // the newest of the point, if the list holds several
    if (!r) return;
    current = r;
    drawLatest();
    if (range.resolution === 'raw' && !pending) {
      pending = setTimeout(() => {
        pending = null;
        void load().catch(() => undefined);
      }, 5000);
    }
  });
  return () => {
    clearTimeout(pending);
    off();
    dispose();
  };
}
