// Which alarms the annunciator sounds for, and what the tab shows (pure logic, no DOM; tested under node).
import { colourOf, isUnacknowledged } from './alarm-model.js';

/** Escalation ladder level at which a monitor of this role is called in (policy.ts TARGET_LEVEL). */
const MONITOR_LEVEL = { county_monitor: 3, city_monitor: 4, province_monitor: 5 };
const HANDLING_ROLES = new Set(['enterprise_operator', 'enterprise_manager', 'admin']);

/** 二级/HH/LL alarms and 红/橙 warnings: the server's severity, else the colour the level implies. */
export function isSevere(alarm) {
  if (alarm.severity === 'red' || alarm.severity === 'orange') return true;
  const c = colourOf(alarm);
  return c === 'red' || c === 'orange';
}

/**
 * Does this alarm sound in this user's browser? Severe, unacknowledged, not shelved; for the
 * enterprise's people always, for a monitor once the escalation ladder reached their level.
 */
export function needsAnnunciation(alarm, user) {
  if (!alarm || !user || !isSevere(alarm) || !isUnacknowledged(alarm) || alarm.shelveKind) return false;
  if (HANDLING_ROLES.has(user.role)) return true;
  const level = MONITOR_LEVEL[user.role];
  return level !== undefined && Number(alarm.escalationLevel ?? 0) >= level;
}

/** One announcement per excursion: a return to alarm (another reactivation) is announced again. */
export function announceKey(alarm) {
  return `${alarm.id}#${Number(alarm.reactivations ?? 0)}`;
}

/** The tab title: the count always first; the phase alternates the words so the tab flashes. */
export function tabTitle(count, base, unackedWords, phase) {
  if (count <= 0) return base;
  return phase ? `(${count}) ${unackedWords}` : `(${count}) ${base}`;
}

/** A small SVG icon: the brand shield, or a red disc with the count. */
export function iconSvg(count) {
  if (count <= 0) {
    return "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><path d='M16 2 4 7v8c0 8 5 13 12 15 7-2 12-7 12-15V7z' fill='%23102a43'/><path d='m10 16 4 4 8-8' stroke='%23fff' stroke-width='3' fill='none'/></svg>";
  }
  const n = count > 99 ? '99+' : String(count);
  return `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'><circle cx='16' cy='16' r='15' fill='%23c62828'/><text x='16' y='22' font-size='${n.length > 2 ? 12 : 17}' font-family='sans-serif' font-weight='700' text-anchor='middle' fill='%23fff'>${n}</text></svg>`;
}
