// Pure alarm-list logic (no DOM): severity order, open/closed, grouping of floods.
const COLOUR_RANK = { red: 4, orange: 3, yellow: 2, blue: 1 };
const LEVEL_RANK = { GAS_2: 4, HH: 3, LL: 3, GAS_1: 2, H: 1, L: 1 };
const LEVEL_COLOUR = { L: 'blue', H: 'blue', GAS_1: 'yellow', LL: 'yellow', HH: 'orange', GAS_2: 'orange' };

export function colourOf(alarm) {
  return alarm.colour ?? LEVEL_COLOUR[alarm.level] ?? null;
}

export function severity(alarm) {
  return (COLOUR_RANK[colourOf(alarm)] ?? 0) * 10 + (LEVEL_RANK[alarm.level] ?? 0);
}

export function isOpen(alarm) {
  return alarm.state !== 'closed';
}

export function isUnacknowledged(alarm) {
  return alarm.state === 'raised' || alarm.state === 'pushed' || alarm.state === 'push_failed';
}

export function timeOf(alarm) {
  return Number(alarm.raisedAt ?? alarm.createdAt ?? 0);
}

/** Most severe first; within one severity, newest first; then by id for a stable order. */
export function compareAlarms(a, b) {
  return severity(b) - severity(a) || timeOf(b) - timeOf(a) || String(b.id).localeCompare(String(a.id));
}

/** Does this alarm belong in a list filtered by {state, siteId, level, enterpriseId, from, to}? */
export function matchesFilter(alarm, f) {
  if (f.state === 'open' && !isOpen(alarm)) return false;
  if (f.state === 'closed' && isOpen(alarm)) return false;
  if (f.siteId && alarm.siteId !== f.siteId) return false;
  if (f.level && alarm.level !== f.level) return false;
  if (f.enterpriseId && alarm.enterpriseId !== f.enterpriseId) return false;
  const created = Number(alarm.createdAt ?? alarm.raisedAt);
  if (f.from && created < Number(f.from)) return false;
  if (f.to && created >= Number(f.to)) return false;
  return true;
}

/** The desk's filter from the address (`#/alarms?state=all&enterpriseId=…&from=…&to=…`), for drill-downs. */
export function filterFromHash(hash) {
  const q = new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '');
  const state = ['open', 'closed', 'all'].includes(q.get('state') ?? '') ? q.get('state') : 'open';
  const num = (k) => (/^\d{1,15}$/.test(q.get(k) ?? '') ? Number(q.get(k)) : '');
  return { state, siteId: q.get('siteId') ?? '', level: q.get('level') ?? '', enterpriseId: q.get('enterpriseId') ?? '', from: num('from'), to: num('to'), page: 1 };
}

/**
 * Collapse alarms sharing a groupId (a flood from one cause) into one entry headed by its most
 * severe, newest member. Returns [{head, rest}] in list order.
 */
export function groupAlarms(sorted) {
  const groups = [];
  const byGroup = new Map();
  for (const a of sorted) {
    if (!a.groupId) {
      groups.push({ head: a, rest: [] });
      continue;
    }
    const g = byGroup.get(a.groupId);
    if (g) g.rest.push(a);
    else {
      const ng = { head: a, rest: [] };
      byGroup.set(a.groupId, ng);
      groups.push(ng);
    }
  }
  return groups;
}
