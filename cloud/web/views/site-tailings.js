// 尾矿库 site: the pond's four-colour state from its items, each item with the thresholds it is graded
// against and its points, then rainfall bars with the water level on one time axis and the dam's GNSS
// displacement (horizontal, vertical, rate, and the horizontal vector east/north).
import { get, itemsOf, qs } from '../api.js';
import { COLOUR_HEX, makeChart } from '../charts.js';
import { colourChip, h } from '../dom.js';
import { colourLabel, fmtDateTime, fmtNumber, t } from '../i18n.js';
import { horizontalVector } from '../site-logic.js';
import { titleIn } from '../alarm-title.js';
import { pointHref, qualityBadge, valueCell } from './site-data.js';

const ORDER = ['blue', 'yellow', 'orange', 'red'];
const DAY = 86_400_000;

function thresholdsLine(item) {
  const dir = item.direction === 'low' ? t('dirLow') : t('dirHigh');
  return h(
    'p',
    { class: 'thresholds' },
    ORDER.filter((c) => typeof item.thresholds[c] === 'number').map((c) => h('span', { class: `chip chip-${c}` }, `${colourLabel(c)} ${dir} ${fmtNumber(item.thresholds[c], 3)}`)),
  );
}

function itemCard(item) {
  return h(
    'section',
    { class: `card pond-item sev-${item.colour ?? 'none'}`, dataset: { item: item.id, colour: item.colour ?? 'none' } },
    h('h3', {}, titleIn(item.title ?? item.id), ' ', colourChip(item.colour, colourLabel(item.colour))),
    thresholdsLine(item),
    item.points.length === 0
      ? h('p', { class: 'muted small' }, t('pondNoPoints'))
      : h(
          'table',
          { class: 'table compact' },
          h(
            'tbody',
            {},
            item.points.map((p) =>
              h(
                'tr',
                { dataset: { point: p.path } },
                h('th', { scope: 'row' }, h('a', { href: pointHref(p.path) }, p.name ?? '', ' ', h('small', { class: 'muted', translate: 'no' }, p.path.split('/').slice(1).join('/')))),
                h('td', { class: `num val-${p.colour ?? 'normal'}` }, valueCell(p), ` ${p.unit ?? ''}`),
                h('td', { title: p.colourFrom === 'rule' ? t('colourFromRule') : p.colourFrom === 'latest' ? t('colourFromLatest') : t('colourNone') }, colourChip(p.colour, colourLabel(p.colour)), h('br', {}), h('small', {}, qualityBadge(p.quality ? p : null))),
              ),
            ),
          ),
        ),
  );
}

async function series(point) {
  const to = Date.now();
  const res = await get(`/api/points/history${qs({ point, from: to - DAY, to, resolution: '1m' })}`).catch(() => null);
  return itemsOf(res?.rows ?? res)
    .map((r) => [Number(r.minute ?? r.sourceTime), typeof (r.avg ?? r.value) === 'number' ? (r.avg ?? r.value) : null])
    .filter((d) => Number.isFinite(d[0]));
}

function chartBox(id, label) {
  return h('div', { class: 'chart-box chart-small', id, role: 'img', 'aria-label': label });
}

/** Points of a device named after the item's first point (its device), e.g. rain-01/intensity. */
function sibling(item, pointId) {
  const first = item?.points[0]?.path;
  if (!first) return null;
  const parts = first.split('/');
  return `${parts[0]}/${parts[1]}/${pointId}`;
}

async function drawRainLevel(box, pond) {
  const level = pond.items.find((i) => i.id === 'water-level')?.points[0]?.path ?? null;
  const rainItem = pond.items.find((i) => i.id === 'rainfall');
  const rain = sibling(rainItem, 'intensity') ?? null;
  const [lv, rn] = await Promise.all([level ? series(level) : [], rain ? series(rain) : []]);
  const { chart, dispose } = makeChart(box);
  chart?.setOption({
    animation: false,
    grid: { left: 56, right: 64, top: 32, bottom: 36 },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
    yAxis: [
      { type: 'value', name: 'mm/h', inverse: false, min: 0 },
      { type: 'value', name: 'm', scale: true },
    ],
    series: [
      { type: 'bar', name: t('rainIntensity'), data: rn, yAxisIndex: 0, itemStyle: { color: '#4f83cc' }, barMaxWidth: 6 },
      { type: 'line', name: t('waterLevel'), data: lv, yAxisIndex: 1, showSymbol: false, lineStyle: { color: '#37474f', width: 2 } },
    ],
  });
  return dispose;
}

async function drawGnss(timeBox, vecBox, pond) {
  const item = pond.items.find((i) => i.id === 'dam-displacement');
  const [dh, du, rate, de, dn] = await Promise.all(['disp_h', 'disp_u', 'disp_rate', 'disp_e', 'disp_n'].map((p) => (sibling(item, p) ? series(sibling(item, p)) : [])));
  const a = makeChart(timeBox);
  a.chart?.setOption({
    animation: false,
    grid: { left: 56, right: 64, top: 32, bottom: 36 },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
    yAxis: [{ type: 'value', name: 'mm', scale: true }, { type: 'value', name: 'mm/h', scale: true }],
    series: [
      { type: 'line', name: t('dispH'), data: dh, showSymbol: false, lineStyle: { color: COLOUR_HEX.orange, width: 2 },
        markLine: { symbol: 'none', silent: true, data: ORDER.filter((c) => typeof item?.thresholds?.[c] === 'number').map((c) => ({ yAxis: item.thresholds[c], lineStyle: { color: COLOUR_HEX[c], type: 'dashed' }, label: { formatter: colourLabel(c) } })) } },
      { type: 'line', name: t('dispU'), data: du, showSymbol: false, lineStyle: { color: '#6a1b9a' } },
      { type: 'line', name: t('dispRate'), data: rate, yAxisIndex: 1, showSymbol: false, lineStyle: { color: '#90a4ae', type: 'dotted' } },
    ],
  });
  // The horizontal vector: the trail of (east, north) positions and the arrow to the latest one.
  const byTime = new Map(dn.map(([x, y]) => [x, y]));
  const trail = de.filter(([x]) => byTime.has(x)).map(([x, e]) => [e, byTime.get(x)]);
  const lastPos = trail.at(-1);
  const vec = lastPos ? horizontalVector(lastPos[0], lastPos[1]) : null;
  const b = makeChart(vecBox);
  const span = Math.max(5, ...trail.flat().map((v) => Math.abs(v ?? 0))) * 1.2;
  b.chart?.setOption({
    animation: false,
    title: { text: vec ? `${fmtNumber(vec.magnitude, 1)} mm · ${fmtNumber(vec.azimuth, 0)}°` : '—', right: 8, top: 0, textStyle: { fontSize: 13 } },
    grid: { left: 48, right: 16, top: 40, bottom: 44 },
    xAxis: { type: 'value', name: `${t('east')} (mm)`, nameLocation: 'middle', nameGap: 26, min: -span, max: span },
    yAxis: { type: 'value', name: `${t('north')} (mm)`, nameLocation: 'middle', nameGap: 32, min: -span, max: span },
    series: [
      { type: 'scatter', data: trail, symbolSize: 3, itemStyle: { color: '#90a4ae' } },
      { type: 'lines', coordinateSystem: 'cartesian2d', data: lastPos ? [{ coords: [[0, 0], lastPos] }] : [], lineStyle: { color: COLOUR_HEX.orange, width: 3 }, symbol: ['none', 'arrow'], symbolSize: 10 },
    ],
  });
  return () => {
    a.dispose();
    b.dispose();
  };
}

export function tailingsSection(view) {
  const box = h('section', { id: 'pond-view', 'aria-labelledby': 'pond-title' });
  const disposers = [];
  const pond = view.tailings[0];
  if (!pond) {
    box.append(h('h2', { id: 'pond-title' }, t('pondTitle')), h('p', { class: 'muted' }, t('pondNoRule')));
    return { box, update: () => undefined, dispose: () => undefined };
  }
  const rainBox = chartBox('pond-rain-level', t('chartRainLevel'));
  const gnssBox = chartBox('pond-gnss', t('chartGnss'));
  const vecBox = chartBox('pond-gnss-vector', t('dispVector'));
  const colourBox = h('span', { id: 'pond-colour' });
  const items = h('div', { class: 'pond-items' });
  const asOf = h('span', {});
  const update = (next) => {
    const p = next.tailings[0] ?? pond;
    colourBox.dataset.colour = p.colour ?? 'none';
    colourBox.replaceChildren(colourChip(p.colour, colourLabel(p.colour)));
    items.replaceChildren(...p.items.map(itemCard));
    asOf.textContent = fmtDateTime(Date.now());
  };
  update(view);
  box.append(
    h('div', { class: 'page-head' }, h('h2', { id: 'pond-title' }, t('pondTitle')), h('span', {}, `${t('pondOverall')} `), colourBox),
    h('p', { class: 'muted small' }, t('pondPromotion', { b: pond.promotion.blue, y: pond.promotion.yellow, o: pond.promotion.orange }), ' · ', asOf),
    items,
    h('div', { class: 'pond-charts' }, h('figure', {}, h('figcaption', {}, t('chartRainLevel')), rainBox), h('figure', {}, h('figcaption', {}, t('chartGnss')), gnssBox), h('figure', {}, h('figcaption', {}, t('dispVector')), vecBox)),
  );
  // Charts draw once the boxes are laid out in the page (echarts needs their size).
  const ro = new ResizeObserver(() => {
    if (rainBox.clientWidth === 0) return;
    ro.disconnect();
    void drawRainLevel(rainBox, pond).then((d) => disposers.push(d));
    void drawGnss(gnssBox, vecBox, pond).then((d) => disposers.push(d));
  });
  ro.observe(rainBox);
  disposers.push(() => ro.disconnect());
  return { box, update, dispose: () => disposers.forEach((d) => d()) };
}
