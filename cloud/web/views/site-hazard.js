// 危化品 site: its 重大危险源 units (R value → grade) and their tanks, each tank's level drawn on its
// scale with the LL/L/H/HH bands the edge alarms on, temperature and pressure with their band.
import { h } from '../dom.js';
import { fmtNumber, t } from '../i18n.js';
import { bandOf, scaleFraction } from '../site-logic.js';
import { pointHref, stateCell, valueCell } from './site-data.js';

const BAND_CLASS = { HH: 'band-hh', LL: 'band-hh', H: 'band-h', L: 'band-h', normal: 'band-ok' };

function bandChip(band) {
  if (!band) return h('span', { class: 'muted' }, '—');
  return h('span', { class: `chip ${BAND_CLASS[band]}` }, t(`band_${band}`));
}

function limitsText(limits) {
  if (!limits?.length) return t('noBands');
  const order = ['LL', 'L', 'H', 'HH', 'GAS_1', 'GAS_2'];
  return [...limits]
    .sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level))
    .map((l) => `${l.level} ${fmtNumber(l.value, 3)}`)
    .join(' · ');
}

/** The level gauge: a shell from the range's minimum to its maximum, the liquid, and a tick per limit. */
function levelGauge(site, tank, facts, r) {
  const path = `${site}/${tank.level}`;
  const f = facts[path] ?? { limits: [] };
  const min = f.range?.min ?? 0;
  const max = tank.heightM ?? f.range?.max ?? 20;
  const v = typeof r?.value === 'number' ? r.value : null;
  const band = bandOf(v, f.limits);
  // A tick per limit; its label only where it does not overlap the previous one (the title always has it).
  let lastLabelled = -1;
  const ticks = [...(f.limits ?? [])]
    .sort((a, b) => a.value - b.value)
    .map((l) => {
      const at = scaleFraction(l.value, min, max) * 100;
      const label = lastLabelled < 0 || at - lastLabelled >= 8;
      if (label) lastLabelled = at;
      return h('div', { class: `tank-tick tick-${l.level}`, style: `bottom:${at.toFixed(1)}%`, title: `${l.level} ${l.value}` }, label ? h('span', {}, `${l.level} ${fmtNumber(l.value, 2)}`) : null);
    });
  return h(
    'div',
    { class: 'tank-gauge', role: 'img', 'aria-label': `${tank.name} ${t('tankLevel')} ${v === null ? '—' : fmtNumber(v, 2)} ${f.unit ?? ''}` },
    h('div', { class: `tank-liquid ${BAND_CLASS[band] ?? ''}`, style: `height:${(scaleFraction(v, min, max) * 100).toFixed(1)}%` }),
    ...ticks,
  );
}

function quantityRow(site, label, devPoint, facts, latestByPath, states) {
  if (!devPoint) return null;
  const path = `${site}/${devPoint}`;
  const r = latestByPath.get(path);
  const f = facts[path] ?? { limits: [] };
  return h(
    'tr',
    { dataset: { point: path } },
    h('th', { scope: 'row' }, h('a', { href: pointHref(path) }, label)),
    h('td', { class: 'num' }, valueCell(r), ` ${r?.unit ?? f.unit ?? ''}`),
    h('td', {}, bandChip(bandOf(r?.value, f.limits))),
    h('td', {}, stateCell(states.get(path))),
    h('td', { class: 'muted small' }, limitsText(f.limits)),
  );
}

function tankCard(site, tank, facts, latestByPath, states) {
  const r = latestByPath.get(`${site}/${tank.level}`);
  return h(
    'section',
    { class: 'card tank-card', 'aria-labelledby': `tank-${tank.id}` },
    h('h4', { id: `tank-${tank.id}` }, tank.name, tank.medium ? h('small', { class: 'muted' }, ` · ${t('medium')} ${tank.medium}`) : null),
    h(
      'div',
      { class: 'tank-body' },
      levelGauge(site, tank, facts, r),
      h(
        'table',
        { class: 'table tank-table' },
        h('tbody', {}, [
          quantityRow(site, t('tankLevel'), tank.level, facts, latestByPath, states),
          quantityRow(site, t('tankTemperature'), tank.temperature, facts, latestByPath, states),
          quantityRow(site, t('tankPressure'), tank.pressure, facts, latestByPath, states),
        ]),
      ),
    ),
  );
}

/** The section; `redraw` re-renders it in place from fresh latest values and states. */
export function hazardSection(siteId, view) {
  const box = h('section', { id: 'hazard-units', 'aria-labelledby': 'hazard-units-title' });
  const redraw = (latestByPath, states) => {
    box.replaceChildren(
      h('h2', { id: 'hazard-units-title' }, t('hazardUnits')),
      ...view.hazardUnits.map((u) =>
        h(
          'section',
          { class: 'card hazard-unit', dataset: { unit: u.id } },
          h('h3', {}, u.name, ' ', h('span', { class: `chip grade-${u.grade}` }, t(`grade_${u.grade}`)), h('small', { class: 'muted' }, ` ${t('rValue')} ${fmtNumber(u.rValue, 1)}`)),
          u.tanks.length ? h('div', { class: 'tank-grid' }, u.tanks.map((tank) => tankCard(siteId, tank, view.points, latestByPath, states))) : null,
          u.tanks.length ? h('p', { class: 'muted small' }, t('bandsFrom')) : null,
        ),
      ),
    );
  };
  return { box, redraw };
}
