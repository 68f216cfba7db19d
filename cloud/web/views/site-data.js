// Normalises GET /api/sites/:id into {site, devices, gateways, points} whatever the exact nesting,
// and renders the pieces the site, device and point pages share.
import { get, itemsOf } from '../api.js';
import { colourChip, h } from '../dom.js';
import { colourLabel, fmtDateTime, fmtDuration, fmtNumber, t, tEnum } from '../i18n.js';
import { pointStates } from '../point-state.js';

export async function loadSite(siteId) {
  const [res, allGateways] = await Promise.all([get(`/api/sites/${encodeURIComponent(siteId)}`), get('/api/gateways').catch(() => [])]);
  const site = res?.site ?? res;
  let devices = itemsOf(res?.devices ?? site?.devices ?? []);
  let gateways = itemsOf(res?.gateways ?? site?.gateways ?? []);
  if (gateways.length === 0) {
    const ids = new Set(res?.gatewayIds ?? []);
    gateways = itemsOf(allGateways).filter((g) => ids.has(g.id) || (g.siteIds ?? []).includes(siteId));
  }
  let points = itemsOf(res?.points ?? site?.points ?? []);
  if (points.length === 0) points = devices.flatMap((d) => itemsOf(d.points ?? []).map((p) => ({ ...p, path: p.path ?? `${siteId}/${d.id}/${p.id}` })));
  points = points.map((p) => ({ ...p, path: p.path ?? p.point ?? p.id }));
  if (devices.length === 0) {
    // No device list from the API: a device is the middle segment of its points' paths.
    const byId = new Map();
    for (const p of points) {
      const id = deviceOf(p.path);
      if (!byId.has(id)) byId.set(id, { id, profileId: p.profileId });
    }
    devices = [...byId.values()];
  }
  return { site, devices, gateways, points };
}

/** The site's points in alarm now (from its open alarms), for the state column. */
export async function loadPointStates(siteId) {
  const res = await get(`/api/alarms?siteId=${encodeURIComponent(siteId)}&state=open&pageSize=500`).catch(() => null);
  return pointStates(itemsOf(res));
}

/** The alarm state of a point: 正常 (no active alarm) or its worst active alarm, linked to it. */
export function stateCell(state) {
  if (!state) return h('span', { class: 'state-normal' }, t('pointNormal'));
  const label = state.kind === 'fault' ? t('pointFault') : state.level ? tEnum('level', state.level) : colourLabel(state.colour);
  return h('a', { href: `#/alarms/${encodeURIComponent(state.id)}`, class: 'state-alarm' }, colourChip(state.colour === 'fault' ? 'fault' : state.colour, label));
}

export async function loadLatest(siteId) {
  return itemsOf(await get(`/api/sites/${encodeURIComponent(siteId)}/latest`));
}

export function deviceOf(path) {
  return String(path).split('/')[1] ?? '';
}

export function pointHref(path) {
  return `#/points/${String(path).split('/').map(encodeURIComponent).join('/')}`;
}

/** The data quality, a small marker of its own (good / uncertain / bad with the reason), not the alarm state. */
export function qualityBadge(r) {
  if (!r) return h('span', { class: 'muted' }, '—');
  const q = r.quality ?? 'bad';
  const why = r.reason ? tEnum('reason_q', r.reason) : '';
  return h('span', { class: `quality quality-${q}` }, `${q === 'good' ? '●' : q === 'uncertain' ? '◐' : '○'} ${tEnum('quality', q)}`, why ? ` (${why})` : '');
}

/** A value as people read it: numbers localised, a bit (relay, switch, alarm contact) as 开/关, nothing as —. */
export function valueCell(r) {
  if (!r) return '—';
  if (typeof r.value === 'number') return fmtNumber(r.value, 3);
  if (typeof r.value === 'boolean') return r.value ? t('bitOn') : t('bitOff');
  if (r.value === null || r.value === undefined || r.value === '') return '—';
  return String(r.value);
}

/** The latest-values table; cells carry data-point so live updates can patch them in place. */
export function latestTable(points, latestByPath, id = 'latest-table', states = new Map(), limitsOf = undefined) {
  const cols = [t('colPoint'), t('colAlarmState'), t('colValue2'), t('colUnit'), t('colQuality'), t('colSourceTime'), ...(limitsOf ? [t('colLimits')] : [])];
  return h(
    'table',
    { class: 'table', id },
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      points.map((p) => {
        const r = latestByPath.get(p.path);
        const st = states.get(p.path);
        return h(
          'tr',
          { dataset: { point: p.path } },
          h('th', { scope: 'row' }, h('a', { href: pointHref(p.path) }, p.name ? `${p.name} ` : '', h('small', { class: 'muted', translate: 'no' }, p.path.split('/').slice(1).join('/')))),
          h('td', { dataset: { cell: 'state' } }, stateCell(st)),
          h('td', { class: `num ${valueClass(st)}`, dataset: { cell: 'value' } }, valueCell(r)),
          h('td', { dataset: { cell: 'unit' } }, r?.unit ?? p.unit ?? ''),
          h('td', { dataset: { cell: 'quality' } }, qualityBadge(r)),
          h('td', { dataset: { cell: 'time' } }, fmtDateTime(r?.sourceTime)),
          limitsOf ? h('td', { class: 'small', dataset: { cell: 'limits' } }, limitsOf(p.path)) : null,
        );
      }),
    ),
  );
}

function valueClass(st) {
  return st ? `val-${st.colour ?? 'alarm'}` : 'val-normal';
}

/** Patch the state column (and the value's colour) after the site's alarms changed. */
export function patchStates(table, states) {
  for (const row of table.querySelectorAll('tr[data-point]')) {
    const st = states.get(row.dataset.point);
    row.querySelector('[data-cell="state"]')?.replaceChildren(stateCell(st));
    const v = row.querySelector('[data-cell="value"]');
    if (v) v.className = `num ${valueClass(st)}`;
  }
}

/** Patch rows of a latest table from live readings. */
export function patchLatest(table, readings) {
  for (const r of readings) {
    const row = table.querySelector(`tr[data-point="${CSS.escape(r.point)}"]`);
    if (!row) continue;
    row.querySelector('[data-cell="value"]')?.replaceChildren(valueCell(r));
    if (r.unit) row.querySelector('[data-cell="unit"]')?.replaceChildren(r.unit);
    row.querySelector('[data-cell="quality"]')?.replaceChildren(qualityBadge(r));
    row.querySelector('[data-cell="time"]')?.replaceChildren(fmtDateTime(r.sourceTime));
  }
}

function backlogText(b) {
  if (b === undefined || b === null) return '—';
  if (typeof b === 'number') return String(b);
  return Object.entries(b)
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
}

/** Gateway health: online, backlog, last seen, clock drift. */
export function gatewayCards(gateways) {
  if (gateways.length === 0) return h('p', { class: 'muted' }, t('empty'));
  return h(
    'div',
    { class: 'cards', id: 'gateway-health' },
    gateways.map((g) => {
      const drift = g.clockDriftMs ?? g.health?.clockDriftMs;
      return h(
        'section',
        { class: `card gw ${g.online === false ? 'gw-offline' : 'gw-online'}`, 'aria-label': `${t('gwHealth')} ${g.name ?? g.id}` },
        h('h3', {}, g.name ?? g.id),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, t('gwHealth')),
          h(
            'dd',
            {},
            g.online !== false
              ? h('span', { class: 'chip chip-online' }, t('online'))
              : g.stoppedOnPurpose // its last status said it was shutting down: a planned stop, not a loss
                ? h('span', { class: 'chip chip-stopped' }, t('stoppedPlanned'))
                : h('span', { class: 'chip chip-offline' }, t('offline')),
          ),
          h('dt', {}, t('backlog')),
          h('dd', {}, backlogText(g.backlog ?? g.health?.backlog)),
          h('dt', {}, t('lastSeen')),
          h('dd', {}, fmtDateTime(g.lastSeen ?? g.lastSeenAt ?? g.statusAt)),
          h('dt', {}, t('clockDrift')),
          h('dd', {}, typeof drift === 'number' ? (Math.abs(drift) < 60_000 ? `${fmtNumber(drift / 1000, 1)} s` : fmtDuration(drift)) : '—'),
        ),
      );
    }),
  );
}
