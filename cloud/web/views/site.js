// Site page: latest values per device with unit and quality (live), devices, gateway health.
import { colourChip, h } from '../dom.js';
import { colourLabel, t, tEnum } from '../i18n.js';
import { deviceOf, gatewayCards, latestTable, loadLatest, loadPointStates, loadSite, patchLatest, patchStates } from './site-data.js';
import { get, itemsOf } from '../api.js';

export async function renderSite(root, { siteId }, { live }) {
  const [{ site, devices, gateways, points }, latest, summary, states] = await Promise.all([
    loadSite(siteId),
    loadLatest(siteId),
    get('/api/sites').then((r) => itemsOf(r).find((s) => s.id === siteId)).catch(() => undefined),
    loadPointStates(siteId),
  ]);
  const latestByPath = new Map(latest.map((r) => [r.point, r]));
  // Points known from the latest values but not declared still show (quality travels with them).
  for (const r of latest) if (!points.some((p) => p.path === r.point)) points.push({ path: r.point, unit: r.unit });
  const deviceIds = [...new Set([...devices.map((d) => d.id), ...points.map((p) => deviceOf(p.path))])];
  const tables = [];
  const sections = deviceIds.map((devId) => {
    const dev = devices.find((d) => d.id === devId);
    const devPoints = points.filter((p) => deviceOf(p.path) === devId);
    const table = latestTable(devPoints, latestByPath, `latest-${devId}`, states);
    tables.push(table);
    return h(
      'section',
      { class: 'card', 'aria-labelledby': `dev-${devId}` },
      h('h3', { id: `dev-${devId}` }, h('a', { href: `#/sites/${encodeURIComponent(siteId)}/devices/${encodeURIComponent(devId)}` }, dev?.name ?? devId), dev?.profileId ? h('small', { class: 'muted' }, ` · ${dev.profileId}`) : null),
      table,
    );
  });
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
    h('h2', {}, t('latestValues')),
    ...(sections.length ? sections : [h('p', { class: 'muted' }, t('empty'))]),
    h('h2', {}, t('gwHealth')),
    gatewayCards(gateways),
  );
  const off = live.on('latest', (readings) => {
    const mine = readings.filter((r) => String(r.point).startsWith(`${siteId}/`));
    for (const table of tables) patchLatest(table, mine);
  });
  // An alarm at this site raised, cleared or closed: the state column follows.
  let pending = null;
  const offAlarm = live.on('alarm', (a) => {
    if (a?.siteId !== siteId || pending) return;
    pending = setTimeout(async () => {
      pending = null;
      const next = await loadPointStates(siteId);
      for (const table of tables) patchStates(table, next);
    }, 300);
  });
  return () => {
    off();
    offAlarm();
    clearTimeout(pending);
  };
}
