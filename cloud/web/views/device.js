// Device page: its profile (model), its points with units and alarm limits, latest values.
import { h } from '../dom.js';
import { fmtDateTime, fmtDuration, fmtNumber, getLang, t, tEnum } from '../i18n.js';
import { get } from '../api.js';
import { deviceOf, latestTable, loadLatest, loadPointStates, loadSite, patchLatest, patchStates, pointHref } from './site-data.js';
import { limitsFor } from './limits.js';

export async function renderDevice(root, { siteId, deviceId }, { live }) {
  const [{ site, devices, points }, latest, states, view] = await Promise.all([
    loadSite(siteId),
    loadLatest(siteId),
    loadPointStates(siteId),
    get(`/api/sites/${encodeURIComponent(siteId)}/view`).catch(() => null),
  ]);
  const facts = view?.points ?? {};
  const dev = devices.find((d) => d.id === deviceId) ?? { id: deviceId };
  const devPoints = points.filter((p) => deviceOf(p.path) === deviceId);
  for (const r of latest) if (deviceOf(r.point) === deviceId && !devPoints.some((p) => p.path === r.point)) devPoints.push({ path: r.point, unit: r.unit });
  // Names and limits as the edge evaluates them (the device's profile and its overrides), else the cloud's rules.
  for (const p of devPoints) if (!p.name && facts[p.path]?.name) p.name = facts[p.path].name[getLang()] ?? facts[p.path].name.zh;
  const latestByPath = new Map(latest.map((r) => [r.point, r]));
  const table = latestTable(devPoints, latestByPath, 'device-latest', states);
  for (const p of devPoints) p.limits = facts[p.path]?.limits?.length ? facts[p.path].limits : (await limitsFor(p, site).catch(() => ({ limits: [] }))).limits;
  const lastPoll = Math.max(0, ...devPoints.map((p) => latestByPath.get(p.path)?.sourceTime ?? 0));
  const pollBox = h('dd', { id: 'device-last-poll' });
  const drawPoll = () => pollBox.replaceChildren(...lastPollText(lastPollOf(), dev.pollIntervalMs));
  const lastPollOf = () => Math.max(lastPoll, ...devPoints.map((p) => latestByPath.get(p.path)?.sourceTime ?? 0));
  drawPoll();
  const ticker = setInterval(drawPoll, 5000);
  const profile = dev.profile ?? {};
  root.append(
    h('p', {}, h('a', { href: `#/sites/${encodeURIComponent(siteId)}` }, `← ${site?.name ?? siteId}`)),
    h('h1', {}, `${t('device')}: ${dev.name ?? deviceId}`),
    h(
      'dl',
      { class: 'facts card', id: 'device-profile' },
      h('dt', {}, t('profile')),
      h('dd', { translate: 'no' }, [dev.profileId ?? profile.id, profile.vendor, profile.model].filter(Boolean).join(' · ') || '—'),
      h('dt', {}, t('protocol')),
      h('dd', { translate: 'no' }, PROTOCOL[dev.transport?.kind] ?? dev.transport?.kind ?? dev.protocol ?? '—'),
      h('dt', {}, t('address')),
      h('dd', { translate: 'no' }, addressText(dev.transport) ?? dev.address ?? '—'),
      h('dt', {}, t('gateway')),
      h('dd', { translate: 'no' }, dev.gatewayId ?? '—'),
      h('dt', {}, t('pollInterval')),
      h('dd', {}, typeof dev.pollIntervalMs === 'number' ? t('everySeconds', { n: fmtNumber(dev.pollIntervalMs / 1000, 1) }) : '—'),
      h('dt', {}, t('lastPoll')),
      pollBox,
      h('dt', {}, t('identification')),
      h('dd', { class: 'muted' }, ...t('identificationNotReported').split('{cmd}').flatMap((part, i) => (i === 0 ? [part] : [h('code', { translate: 'no' }, 'safeloop provision scan'), part]))),
    ),
    h('h2', {}, t('latestValues')),
    table,
    h('h2', {}, t('limits')),
    limitsTable(devPoints),
  );
  const off = live.on('latest', (readings) => {
    for (const r of readings) if (deviceOf(r.point) === deviceId) latestByPath.set(r.point, r);
    patchLatest(table, readings);
    drawPoll();
  });
  const offAlarm = live.on('alarm', (a) => {
    if (a?.siteId === siteId) void loadPointStates(siteId).then((next) => patchStates(table, next));
  });
  return () => {
    clearInterval(ticker);
    off();
    offAlarm();
  };
}

/** When the newest value was taken, how long ago, and whether that is late for the poll interval (3 missed polls). */
function lastPollText(at, intervalMs) {
  if (!at) return [h('span', { class: 'muted' }, t('noData'))];
  const age = Date.now() - at;
  const late = typeof intervalMs === 'number' && age > Math.max(3 * intervalMs, 15_000);
  return [fmtDateTime(at), ` (${t('agoText', { d: fmtDuration(Math.max(0, age)) })})`, late ? h('span', { class: 'chip chip-offline', id: 'device-late' }, ` ${t('pollLate')}`) : null].filter(Boolean);
}

function limitsTable(points) {
  const rows = points.flatMap((p) => (p.limits ?? []).map((l) => ({ p, l })));
  if (rows.length === 0) return h('p', { class: 'muted' }, t('empty'));
  return h(
    'table',
    { class: 'table', id: 'device-limits' },
    h('thead', {}, h('tr', {}, [t('colPoint'), t('colLevel'), t('limit')].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      rows.map(({ p, l }) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: pointHref(p.path) }, p.name ?? p.path)),
          h('td', {}, tEnum('level', l.level)),
          h('td', { class: 'num' }, `${l.direction === 'low' ? '≤' : '≥'} ${fmtNumber(l.value)} ${p.unit ?? ''}`),
        ),
      ),
    ),
  );
}

/** Protocol names are proper names (shown as such in any language). */
const PROTOCOL = { 'modbus-tcp': 'Modbus TCP', 'modbus-rtu': 'Modbus RTU', opcua: 'OPC UA', hj212: 'HJ 212', nmea: 'NMEA 0183' };

/** Where the device is reached: host:port #unit, serial port @baud #unit, or the OPC UA endpoint. */
function addressText(tr) {
  if (!tr) return undefined;
  const unit = typeof tr.unitId === 'number' ? ` #${tr.unitId}` : '';
  if (tr.endpoint) return tr.endpoint;
  if (tr.host) return `${tr.host}${tr.port ? `:${tr.port}` : ''}${unit}`;
  if (tr.path) return `${tr.path}${tr.baudRate ? ` @${tr.baudRate}` : ''}${unit}`;
  return undefined;
}
