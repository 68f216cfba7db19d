// Site page, drawn for the kind of site: a 危化品 site shows its 重大危险源 units with their tanks and the
// plan view of its detectors; a 尾矿库 its four-colour items and charts; a mine its points by working
// face with their limits. Below, every device's latest values (grouped by area when the layout has
// areas) and the gateways' health. All of it live.
import { colourChip, h } from '../dom.js';
import { colourLabel, fmtNumber, getLang, t, tEnum } from '../i18n.js';
import { deviceOf, gatewayCards, latestTable, loadLatest, loadPointStates, loadSite, patchLatest, patchStates } from './site-data.js';
import { get, itemsOf } from '../api.js';
import { hazardSection } from './site-hazard.js';
import { planSection } from './site-plan.js';
import { tailingsSection } from './site-tailings.js';

const MINE_TYPES = new Set(['coal', 'nonCoal']);

function limitsText(facts) {
  if (!facts?.limits?.length) return '—';
  return facts.limits.map((l) => `${tEnum('level', l.level) || l.level} ${l.direction === 'low' ? '≤' : '≥'} ${fmtNumber(l.value, 3)}`).join(' · ');
}

export async function renderSite(root, { siteId }, { live, user }) {
  const enc = encodeURIComponent(siteId);
  const [{ site, devices, gateways, points }, latest, summary, states0, view] = await Promise.all([
    loadSite(siteId),
    loadLatest(siteId),
    get('/api/sites').then((r) => itemsOf(r).find((s) => s.id === siteId)).catch(() => undefined),
    loadPointStates(siteId),
    get(`/api/sites/${enc}/view`).catch(() => null),
  ]);
  let states = states0;
  const facts = view?.points ?? {};
  const latestByPath = new Map(latest.map((r) => [r.point, r]));
  // Points known from the latest values but not declared still show (quality travels with them).
  for (const r of latest) if (!points.some((p) => p.path === r.point)) points.push({ path: r.point, unit: r.unit });
  // A point the registry does not name takes its name from the device profile.
  for (const p of points) if (!p.name && facts[p.path]?.name) p.name = facts[p.path].name[getLang()] ?? facts[p.path].name.zh;
  const pointNames = new Map(points.map((p) => [p.path, p.name ?? '']));
  for (const [path, f] of Object.entries(facts)) if (!pointNames.has(path) && f.name) pointNames.set(path, f.name[getLang()] ?? f.name.zh);
  const isMine = MINE_TYPES.has(site?.type);
  const limitsOf = isMine ? (path) => limitsText(facts[path]) : undefined;

  const deviceIds = [...new Set([...devices.map((d) => d.id), ...points.map((p) => deviceOf(p.path))])];
  const tables = [];
  const deviceSection = (devId) => {
    const dev = devices.find((d) => d.id === devId);
    const devPoints = points.filter((p) => deviceOf(p.path) === devId);
    const table = latestTable(devPoints, latestByPath, `latest-${devId}`, states, limitsOf);
    tables.push(table);
    return h(
      'section',
      { class: 'card', 'aria-labelledby': `dev-${devId}` },
      h('h3', { id: `dev-${devId}` }, h('a', { href: `#/sites/${enc}/devices/${encodeURIComponent(devId)}` }, dev?.name ?? devId), dev?.profileId ? h('small', { class: 'muted' }, ` · ${dev.profileId}`) : null),
      table,
    );
  };
  // Devices grouped by the layout's areas (working faces of a mine), the rest after them.
  // (an area none of whose devices report here is left out rather than drawn as an empty heading)
  const areas = (view?.areas ?? []).filter((a) => a.devices.some((d) => deviceIds.includes(d)));
  const grouped = new Set(areas.flatMap((a) => a.devices));
  const deviceBlocks = areas.length
    ? [
        ...areas.map((a) =>
          h('section', { class: 'area', dataset: { area: a.id }, 'aria-labelledby': `area-${a.id}` }, h('h3', { id: `area-${a.id}`, class: 'area-title' }, a.name, h('small', { class: 'muted' }, ` · ${t(`area_${a.kind}`)}`)), ...a.devices.filter((d) => deviceIds.includes(d)).map(deviceSection)),
        ),
        ...(deviceIds.some((d) => !grouped.has(d)) ? [h('section', { class: 'area' }, h('h3', { class: 'area-title' }, t('otherDevices')), ...deviceIds.filter((d) => !grouped.has(d)).map(deviceSection))] : []),
      ]
    : deviceIds.map(deviceSection);

  // Gateway link per device, for the plan markers' 离线.
  const online = new Map();
  const anyOnline = gateways.length ? gateways.some((g) => g.online !== false) : undefined;
  for (const d of deviceIds) {
    const gw = gateways.find((g) => g.id === devices.find((x) => x.id === d)?.gatewayId);
    online.set(d, gw ? gw.online !== false : anyOnline);
  }

  const kindBlocks = [];
  let hazard = null;
  let plan = null;
  let pond = null;
  if (view && site?.type === 'hazchem' && (view.hazardUnits.length || view.planMarkers.length || view.hasPlanImage)) {
    hazard = view.hazardUnits.length ? hazardSection(siteId, view) : null;
    plan = planSection(siteId, view, { user, pointNames, onSaved: () => plan?.redraw(latestByPath, states, online) });
    kindBlocks.push(h('div', { class: 'site-kind-grid' }, hazard?.box ?? null, plan.box));
  } else if (view && site?.type === 'tailings') {
    pond = tailingsSection(view);
    kindBlocks.push(pond.box);
  } else if (view && view.planMarkers.length) {
    plan = planSection(siteId, view, { user, pointNames, onSaved: () => undefined });
    kindBlocks.push(plan.box);
  }
  const redrawKinds = () => {
    hazard?.redraw(latestByPath, states);
    plan?.redraw(latestByPath, states, online);
  };
  redrawKinds();

  const worst = summary?.worstColour ?? null;
  root.append(
    h('p', {}, h('a', { href: '#/map' }, `← ${t('navMap')}`)),
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, site?.name ?? siteId),
      h('span', { class: 'muted' }, [site?.enterpriseName, tEnum('type', site?.type)].filter(Boolean).join(' · ')),
      colourChip(worst, colourLabel(worst)),
      h('a', { href: `#/alarms`, class: 'btn' }, `${t('navAlarms')} (${summary?.openAlarms ?? 0})`),
    ),
    ...kindBlocks,
    h('h2', {}, isMine && areas.length ? t('workingFaces') : t('latestValues')),
    ...(deviceBlocks.length ? deviceBlocks : [h('p', { class: 'muted' }, t('empty'))]),
    h('h2', {}, t('gwHealth')),
    gatewayCards(gateways),
  );

  let pondPending = null;
  const off = live.on('latest', (readings) => {
    const mine = readings.filter((r) => String(r.point).startsWith(`${siteId}/`));
    if (mine.length === 0) return;
    for (const r of mine) latestByPath.set(r.point, r);
    for (const table of tables) patchLatest(table, mine);
    redrawKinds();
    if (pond && !pondPending) {
      pondPending = setTimeout(async () => {
        pondPending = null;
        const next = await get(`/api/sites/${enc}/view`).catch(() => null);
        if (next) pond?.update(next);
      }, 3000);
    }
  });
  // An alarm at this site raised, cleared or closed: the state column and the markers follow.
  let pending = null;
  const offAlarm = live.on('alarm', (a) => {
    if (a?.siteId !== siteId || pending) return;
    pending = setTimeout(async () => {
      pending = null;
      states = await loadPointStates(siteId);
      for (const table of tables) patchStates(table, states);
      redrawKinds();
    }, 300);
  });
  return () => {
    off();
    offAlarm();
    clearTimeout(pending);
    clearTimeout(pondPending);
    pond?.dispose();
  };
}
