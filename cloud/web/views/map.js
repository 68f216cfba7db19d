// 一张图: the user's region with its sites as markers coloured by the worst open warning
// (红/橙/黄/蓝), offline gateways marked. Outlines ship with the page; no online tiles.
import { get, itemsOf } from '../api.js';
import { COLOUR_HEX, jiangxiCounties, makeChart, mapScope } from '../charts.js';
import { colourChip, h } from '../dom.js';
import { colourLabel, t, tEnum } from '../i18n.js';
import { isRegulator } from '../roles.js';
import { regionName } from './region-names.js';
import { clusterMarkers } from '../site-logic.js';

const OFFLINE_GREY = '#9e9e9e';

export async function renderMap(root, _params, { user, live, regions, navigate }) {
  const title = h('h1', {}, t('mapTitle'));
  const mapBox = h('div', { class: 'map-box', id: 'region-map', role: 'img', 'aria-label': t('mapTitle') });
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': t('mapLegend') },
    ['red', 'orange', 'yellow', 'blue', null].map((c) =>
      h('li', {}, h('span', { class: 'dot', style: `background:${COLOUR_HEX[c ?? 'none']}` }), colourLabel(c)),
    ),
    h('li', {}, h('span', { class: 'dot dot-offline' }), t('gatewayOffline')),
  );
  const tableBox = h('section', { 'aria-labelledby': 'sites-heading' });
  root.append(h('div', { class: 'page-head' }, title, legend), mapBox, tableBox);

  const { chart, dispose } = makeChart(mapBox);
  const [geo, regionList] = await Promise.all([jiangxiCounties().catch(() => null), regions()]);
  let sites = [];

  const scopeCode = () => {
    if (isRegulator(user) && user.regionCode) return user.regionCode;
    return sites.find((s) => s.regionCode)?.regionCode ?? user.regionCode ?? '360000';
  };

  function drawMap() {
    if (!chart) return;
    const scope = mapScope(scopeCode());
    const features = scope && geo ? geo.features.filter((f) => String(f.id).startsWith(scope.prefix)) : [];
    if (features.length === 0) {
      mapBox.replaceChildren(h('p', { class: 'muted' }, t('mapNoOutline')));
      return;
    }
    const mapName = `region-${scope.prefix}`;
    if (!window.echarts.getMap(mapName)) window.echarts.registerMap(mapName, { type: 'FeatureCollection', features });
    const data = sites
      .filter((s) => Number.isFinite(s.lon) && Number.isFinite(s.lat))
      .map((s) => ({
        name: s.name,
        value: [s.lon, s.lat, s.openAlarms ?? 0],
        siteId: s.id,
        // Offline is the legend's square, grey unless an open alarm gives it a colour; a pin's tip
        // (not its middle) sits on the site's coordinates.
        symbol: s.gatewayOnline === false ? 'rect' : 'pin',
        symbolSize: s.gatewayOnline === false ? 18 : s.worstColour ? 38 : 28,
        symbolOffset: s.gatewayOnline === false ? [0, 0] : [0, '-50%'],
        itemStyle: {
          color: s.gatewayOnline === false && !s.worstColour ? OFFLINE_GREY : COLOUR_HEX[s.worstColour ?? 'none'],
          borderColor: s.gatewayOnline === false ? '#212121' : '#ffffff',
          borderWidth: s.gatewayOnline === false ? 3 : 1,
        },
        label: {
          show: true,
          position: 'right',
          formatter: `${s.name}${s.gatewayOnline === false ? ` (${t('gatewayOffline')})` : ''}`,
          color: '#212121',
          backgroundColor: 'rgba(255,255,255,0.85)',
          padding: 2,
        },
      }));
    chart.setOption(
      {
        tooltip: {
          trigger: 'item',
          formatter: (p) => {
            if (p.data?.clusterIds) {
              const off = p.data.offlineCount ? `<br>${t('mapClusterOffline', { n: p.data.offlineCount })}` : '';
              return `${escapeText(p.name)}<br>${t('mapClusterHint', { n: p.data.clusterIds.length })}${off}`;
            }
            const s = sites.find((x) => x.id === p.data?.siteId);
            if (!s) return p.name;
            return [
              `<b>${escapeText(s.name)}</b>`,
              escapeText(s.enterpriseName ?? ''),
              `${t('colWorst')}: ${colourLabel(s.worstColour)}`,
              `${t('colOpenAlarms')}: ${s.openAlarms ?? 0}`,
              s.gatewayOnline === false ? t('gatewayOffline') : t('gatewayOnline'),
            ].join('<br>');
          },
        },
        geo: {
          map: mapName,
          roam: true,
          ...fitView(features, data.map((d) => d.value)),
          label: { show: true, fontSize: 11, color: '#37474f' },
          itemStyle: { areaColor: '#eceff1', borderColor: '#78909c' },
          emphasis: { itemStyle: { areaColor: '#cfd8dc' }, label: { color: '#102027' } },
          regions: scope.highlight ? [{ name: features.find((f) => f.id === scope.highlight)?.properties?.name, itemStyle: { areaColor: '#dbe9f4' } }] : [],
        },
        series: [{ type: 'scatter', coordinateSystem: 'geo', data, zlevel: 2 }],
      },
      true,
    );
    singles = data;
    recluster();
  }

  // Markers closer than this on screen are drawn as one group with its count and worst colour; a click
  // on a group zooms in on it, and zooming or panning regroups.
  const CLUSTER_PX = 28;
  let singles = [];
  function recluster() {
    if (!chart || singles.length < 2) return;
    const items = singles.map((d) => {
      const [x, y] = chart.convertToPixel({ geoIndex: 0 }, [d.value[0], d.value[1]]);
      const s = sites.find((v) => v.id === d.siteId);
      return { id: d.siteId, x, y, colour: s?.worstColour ?? null, offline: s?.gatewayOnline === false };
    });
    const groups = clusterMarkers(items, CLUSTER_PX);
    const data = groups.map((g) => {
      if (g.ids.length === 1) return singles.find((d) => d.siteId === g.ids[0]);
      const [lon, lat] = chart.convertFromPixel({ geoIndex: 0 }, [g.x, g.y]);
      const names = g.ids.map((id) => sites.find((v) => v.id === id)?.name ?? id);
      return {
        name: names.join('、'),
        value: [lon, lat, g.ids.length],
        clusterIds: g.ids,
        symbol: 'circle',
        symbolSize: 30 + Math.min(20, g.ids.length * 2),
        offlineCount: g.offlineCount,
        // Some members offline: the group wears the offline square's dark border.
        itemStyle: { color: g.offline ? OFFLINE_GREY : COLOUR_HEX[g.colour ?? 'none'], borderColor: g.offlineCount > 0 ? '#212121' : '#ffffff', borderWidth: g.offlineCount > 0 ? 3 : 2 },
        label: { show: true, position: 'inside', formatter: String(g.ids.length), color: g.colour === 'yellow' ? '#000' : '#fff', fontWeight: 'bold' },
      };
    });
    chart.setOption({ series: [{ data }] });
  }

  function drawTable() {
    const rows = [...sites].sort(bySeverity);
    tableBox.replaceChildren(
      h('h2', { id: 'sites-heading' }, t('sitesInRegion')),
      rows.length === 0
        ? h('p', { class: 'muted' }, t('empty'))
        : h(
            'table',
            { class: 'table', id: 'sites-table' },
            h('thead', {}, h('tr', {}, [t('colSite'), t('colEnterprise'), t('colType'), t('colRegion'), t('colWorst'), t('colOpenAlarms'), t('colGateway')].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              rows.map((s) =>
                h(
                  'tr',
                  { dataset: { siteId: s.id } },
                  h('td', {}, h('a', { href: `#/sites/${encodeURIComponent(s.id)}` }, s.name)),
                  h('td', {}, s.enterpriseName ?? ''),
                  h('td', {}, tEnum('type', s.type)),
                  h('td', {}, regionName(regionList, s.regionCode)),
                  h('td', {}, colourChip(s.worstColour, colourLabel(s.worstColour))),
                  h('td', { class: 'num' }, String(s.openAlarms ?? 0)),
                  h('td', {}, s.gatewayOnline === false ? h('span', { class: 'chip chip-offline' }, t('offline')) : t('online')),
                ),
              ),
            ),
          ),
    );
  }

  async function load() {
    sites = itemsOf(await get('/api/sites'));
    drawTable();
    drawMap();
  }

  chart?.on('click', (p) => {
    if (p.data?.siteId) navigate(`#/sites/${encodeURIComponent(p.data.siteId)}`);
    else if (p.data?.clusterIds) {
      const zoom = Number(chart.getOption().geo?.[0]?.zoom ?? 1);
      chart.setOption({ geo: { center: [p.data.value[0], p.data.value[1]], zoom: zoom * 2.5 } });
      recluster();
    }
  });
  let roaming = null;
  chart?.on('georoam', () => {
    clearTimeout(roaming);
    roaming = setTimeout(recluster, 150);
  });
  await load();

  let pending = null;
  const reload = () => {
    clearTimeout(pending);
    pending = setTimeout(() => void load().catch(() => undefined), 500);
  };
  const offAlarm = live.on('alarm', reload);
  const offStatus = live.on('status', (ok) => ok && reload());
  return () => {
    clearTimeout(pending);
    clearTimeout(roaming);
    offAlarm();
    offStatus();
    dispose();
  };
}

/**
 * Centre and zoom so the sites fill the view (a county's plants sit close together inside a big
 * city outline); with no sites, show the whole outline.
 */
function fitView(features, coords) {
  if (coords.length === 0) return {};
  const box = bbox(features.flatMap((f) => f.geometry.coordinates.flat(2)));
  const sites = bbox(coords);
  const span = Math.max(sites.maxX - sites.minX, sites.maxY - sites.minY, 0.08) * 2.2;
  const zoom = Math.min(12, Math.max(1, Math.min((box.maxX - box.minX) / span, (box.maxY - box.minY) / span)));
  return { center: [(sites.minX + sites.maxX) / 2, (sites.minY + sites.maxY) / 2], zoom };
}

function bbox(points) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of points) {
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY };
}

const RANK = { red: 4, orange: 3, yellow: 2, blue: 1 };
function bySeverity(a, b) {
  return (RANK[b.worstColour] ?? 0) - (RANK[a.worstColour] ?? 0) || (b.openAlarms ?? 0) - (a.openAlarms ?? 0) || String(a.name).localeCompare(String(b.name));
}

function escapeText(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
