// The alarm limits to draw on a point's trend: declared on the point when the API gives them,
// else from the cloud's limit rules that select this point, else the limits its past alarms carried.
import { get, itemsOf, qs } from '../api.js';

function globMatches(glob, rel) {
  const re = new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return re.test(rel);
}

export function ruleApplies(rule, site, rel) {
  if (rule.kind !== 'limit' || rule.enabled === false) return false;
  if (rule.sites && !rule.sites.includes(site.id)) return false;
  if (!rule.sites && rule.siteTypes && !rule.siteTypes.includes(site.type)) return false;
  return (rule.points ?? []).some((g) => globMatches(g, rel));
}

function dedupe(limits) {
  const seen = new Map();
  for (const l of limits) if (typeof l.value === 'number' && !seen.has(`${l.level}:${l.value}`)) seen.set(`${l.level}:${l.value}`, l);
  return [...seen.values()];
}

let rulesCache = { at: 0, value: null };
async function rulesList() {
  if (Date.now() - rulesCache.at > 10_000) {
    const res = await get('/api/rules').catch(() => null);
    rulesCache = { at: Date.now(), value: itemsOf(res?.rules ?? res) };
  }
  return rulesCache.value;
}

export async function limitsFor(point, site) {
  if (Array.isArray(point.limits) && point.limits.length > 0) return { limits: point.limits, source: 'point' };
  const rel = point.path.split('/').slice(1).join('/');
  const ruleList = await rulesList();
  const fromRules = ruleList.filter((r) => ruleApplies(r, site ?? {}, rel)).flatMap((r) => r.limits ?? []);
  if (fromRules.length > 0) return { limits: dedupe(fromRules), source: 'rules' };
  const alarms = await get(`/api/alarms${qs({ state: 'all', siteId: site?.id, pageSize: 200 })}`).catch(() => null);
  const fromAlarms = itemsOf(alarms)
    .filter((a) => a.point === point.path && a.level && typeof a.limit === 'number')
    .map((a) => ({ level: a.level, value: a.limit, direction: ['L', 'LL'].includes(a.level) ? 'low' : 'high' }));
  return { limits: dedupe(fromAlarms), source: fromAlarms.length ? 'alarms' : 'none' };
}
