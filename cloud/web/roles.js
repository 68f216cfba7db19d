// What the page offers to whom, mirroring cloud/src/auth/roles.ts (ROLE_ACTIONS). The API is the
// authority (it answers 403/409); this only decides which buttons are worth showing.
const ENTERPRISE_HANDLING = ['acknowledge', 'handover', 'start-handling', 'feedback', 'close', 'comment'];
const MONITOR = ['review', 'close', 'urge', 'comment'];
const ROLE_ACTIONS = {
  enterprise_operator: ENTERPRISE_HANDLING,
  enterprise_manager: [...ENTERPRISE_HANDLING, 'shelve'],
  county_monitor: MONITOR,
  city_monitor: MONITOR,
  province_monitor: MONITOR,
  field_technician: [],
  admin: [...ENTERPRISE_HANDLING, 'shelve', 'review', 'urge'],
};
const REGULATOR_ROLES = new Set(['county_monitor', 'city_monitor', 'province_monitor']);

/** County/city/province monitors (and an admin without an enterprise) see a region, not one enterprise. */
export function isRegulator(user) {
  if (!user) return false;
  if (user.enterpriseId) return false;
  return REGULATOR_ROLES.has(user.role) || user.role === 'admin';
}

/** Which actions the alarm's state allows next (DOMAIN.md §7). */
function nextActions(alarm) {
  switch (alarm.state) {
    case 'raised':
    case 'pushed':
    case 'push_failed':
      // Hand over comes after acknowledging (the API refuses it before): someone owns the alarm first.
      return alarm.shelveKind ? ['acknowledge'] : ['acknowledge', 'shelve'];
    case 'acknowledged':
      return ['start-handling', 'feedback', 'handover', ...(alarm.shelveKind ? [] : ['shelve'])];
    case 'handling':
      return ['feedback', 'handover', ...(alarm.shelveKind ? [] : ['shelve'])];
    case 'feedback_submitted':
      return alarm.reviewRequired === false ? ['close'] : ['review'];
    case 'reviewed':
      return ['close'];
    default:
      return [];
  }
}

/** Actions worth a button for this alarm, for this user. */
export function actionsFor(alarm, user) {
  const allowed = new Set(ROLE_ACTIONS[user?.role] ?? []);
  return nextActions(alarm).filter((a) => allowed.has(a));
}

/** Remarks that never move the state (督办, comment): on any open alarm, for who may make them. */
export function remarksFor(alarm, user) {
  if (!alarm || alarm.state === 'closed') return [];
  const allowed = new Set(ROLE_ACTIONS[user?.role] ?? []);
  return ['urge', 'comment'].filter((a) => allowed.has(a));
}
