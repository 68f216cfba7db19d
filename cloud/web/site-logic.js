// Pure logic of the site views (no DOM): a plan marker's state, a value's band against its LL/L/H/HH
// limits, and where a level sits on a tank's scale. Tested in cloud/test/browser/web-logic.test.ts.

const SECOND_LEVEL = new Set(['GAS_2', 'HH', 'LL']);
const LINK_REASONS = new Set(['comm_lost', 'timeout', 'stale']);

/**
 * What a marker on the plan shows: an active alarm first (二级 for GAS_2/HH/LL or a red warning, else 一级),
 * a fault alarm, then the link (gateway offline, the value stale or lost), a sensor's own bad data, no data.
 */
export function markerState(state, latest, gatewayOnline) {
  if (state) {
    if (state.kind === 'fault' || state.colour === 'fault') return 'fault';
    if (SECOND_LEVEL.has(state.level) || state.colour === 'red') return 'alarm2';
    return 'alarm1';
  }
  if (gatewayOnline === false || latest?.stale) return 'offline';
  if (!latest) return 'nodata';
  if (latest.quality === 'bad') return LINK_REASONS.has(latest.reason) ? 'offline' : 'fault';
  return 'normal';
}

/** The band a value stands in (HH, H, L, LL or normal), by the limits as the edge evaluates them. */
export function bandOf(value, limits) {
  if (typeof value !== 'number' || !Array.isArray(limits)) return null;
  const by = (lvl) => limits.find((l) => l.level === lvl)?.value;
  const hh = by('HH') ?? by('GAS_2');
  const hi = by('H') ?? by('GAS_1');
  const ll = by('LL');
  const lo = by('L');
  if (hh !== undefined && value >= hh) return 'HH';
  if (hi !== undefined && value >= hi) return 'H';
  if (ll !== undefined && value <= ll) return 'LL';
  if (lo !== undefined && value <= lo) return 'L';
  return 'normal';
}

/** Fraction (0–1, clamped) of a scale from min to max where v sits. */
export function scaleFraction(v, min, max) {
  if (typeof v !== 'number' || !(max > min)) return 0;
  return Math.min(1, Math.max(0, (v - min) / (max - min)));
}

/** Horizontal displacement from east/north components (mm) and its azimuth (degrees from north, clockwise). */
export function horizontalVector(east, north) {
  if (typeof east !== 'number' || typeof north !== 'number') return null;
  const magnitude = Math.hypot(east, north);
  const azimuth = ((Math.atan2(east, north) * 180) / Math.PI + 360) % 360;
  return { magnitude, azimuth };
}

const COLOUR_RANK = { red: 4, orange: 3, yellow: 2, blue: 1 };

/**
 * Group map markers that would overlap on screen: most severe first, each joins the first group whose
 * first member lies within `radius` pixels, else starts one. A group's colour is its worst member's; it
 * is offline only when every member is, and says how many of its members are. Items: { id, x, y, colour, offline }.
 */
export function clusterMarkers(items, radius) {
  const sorted = [...items].sort((a, b) => (COLOUR_RANK[b.colour] ?? 0) - (COLOUR_RANK[a.colour] ?? 0));
  const groups = [];
  for (const it of sorted) {
    const g = groups.find((c) => Math.hypot(c.x - it.x, c.y - it.y) <= radius);
    if (g) g.members.push(it);
    else groups.push({ x: it.x, y: it.y, members: [it] });
  }
  return groups.map((g) => ({
    x: g.x,
    y: g.y,
    ids: g.members.map((m) => m.id),
    colour: g.members[0].colour ?? null,
    offline: g.members.every((m) => m.offline),
    offlineCount: g.members.filter((m) => m.offline).length,
  }));
}
