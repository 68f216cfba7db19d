// The badges that tell the person on duty where an alarm stands: overdue (and against which
// deadline), how far it has escalated and to whom, unacknowledged, shelved until when, and who acts next.
import { h } from '../dom.js';
import { fmtDateTime, fmtTime, t } from '../i18n.js';
import { ladderTarget } from '../audit-words.js';

export function dutyBadges(a, { long = false } = {}) {
  const od = a.overdue;
  const when = (ms) => (long ? fmtDateTime(ms) : fmtTime(ms));
  const overdue = od
    ? h('span', { class: 'badge badge-overdue', dataset: { overdue: od.kind ?? 'acknowledge' } }, `⚠ ${od.dueAt ? t(od.kind === 'feedback' ? 'overdueFeedback' : 'overdueAck', { at: when(od.dueAt) }) : t('overdue')}`)
    : null;
  const level = Number(a.escalationLevel ?? 0);
  const escalated = level > 0 ? h('span', { class: 'badge badge-escalated' }, `↑ ${t('escalatedTo', { target: ladderTarget(level) })}`) : null;
  const unacked = !a.shelveKind && (a.state === 'raised' || a.state === 'pushed' || a.state === 'push_failed') ? h('span', { class: 'badge badge-unacked' }, t('unacked')) : null;
  const shelved = a.shelveKind ? h('span', { class: 'badge badge-shelved' }, `${t(a.shelveKind === 'suppressed' ? 'state_suppressed' : 'state_shelved')}${a.shelvedUntil ? ` · ${when(a.shelvedUntil)}` : ''}`) : null;
  const next = a.nextActor && a.nextActor !== 'none' ? h('span', { class: `badge badge-next next-${a.nextActor}` }, t(`next_${a.nextActor}`)) : null;
  return h('span', { class: 'badges duty-badges' }, overdue, escalated, unacked, shelved, next);
}
