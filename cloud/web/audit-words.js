// The alarm's record as sentences in the page's language: who (display name), what, when, with
// values and units, instead of raw action names, ids, epoch numbers and JSON.
import { fmtDateTime, fmtNumber, t, tEnum } from './i18n.js';
import { markName, splitMarked, unmark } from './marked-text.js';

const LADDER = ['operator', 'technical', 'principal', 'county', 'city', 'province'];

/** A ladder level (0 operator … 5 province) as words. */
export function ladderTarget(level) {
  const target = LADDER[Number(level)];
  return target ? t(`target_${target}`) : String(level);
}

/** Display name of a username or user id, from the `people` map the API sends with the alarm. */
export function personName(people, who) {
  if (!who) return t('system');
  if (['system', 'cloud', 'edge', 'rules', 'notifier', 'timer', 'timers', 'escalation'].includes(who)) return t('system');
  return people?.[who]?.name ?? who;
}

function valueWithUnit(v, unit) {
  if (v === null || v === undefined) return '—';
  return `${typeof v === 'number' ? fmtNumber(v) : String(v)}${unit ? ` ${unit}` : ''}`;
}

const mark = markName;

/** One audit entry as a sentence (the note, if any, is returned apart). */
export function auditSentence(e, people, alarm) {
  return unmark(markedSentence(e, people, alarm));
}

/** The sentence in pieces: `{ text }` words of the page and `{ name }` people's names. */
export function auditSegments(e, people, alarm) {
  return splitMarked(markedSentence(e, people, alarm));
}

function markedSentence(e, people, alarm) {
  const who = mark(personName(people, e.actorName));
  const d = e.details ?? {};
  if (e.outcome === 'rejected') return t('audit_rejected', { who, why: d.code ? tEnum('err', d.code) || d.code : t('action') });
  switch (e.action) {
    case 'raised':
      return t('audit_raised', { value: valueWithUnit(alarm?.value ?? null, alarm?.unit) });
    case 'handover': {
      const to = d.changed?.assigneeId?.to;
      return t('audit_handover', { who, to: mark(personName(people, to)) });
    }
    case 'start-handling':
      return t('audit_start_handling', { who });
    case 'review':
      return t(d.approved === false ? 'audit_review_back' : 'audit_review_ok', { who });
    case 'shelve':
    case 'suppress': {
      const until = d.changed?.shelvedUntil?.to;
      return t(`audit_${e.action}`, { who, until: fmtDateTime(until) });
    }
    case 'urge':
      return t('audit_urge', { who, at: fmtDateTime(d.dueAt) });
    case 'escalated':
      return t('audit_escalated', { target: ladderTarget(d.escalationLevel?.to ?? alarm?.escalationLevel ?? 0) });
    case 'notified': {
      const names = (Array.isArray(d.recipients) ? d.recipients : []).map((u) => mark(personName(people, u)));
      const reason = tEnum('reason', d.reason) || t('reason_raised');
      return names.length ? t('audit_notified', { people: names.join('、'), reason }) : t('audit_notified_nobody', { reason });
    }
    default: {
      const key = `audit_${String(e.action).replace(/-/g, '_')}`;
      const s = t(key, { who });
      return s === key ? t('audit_other', { who, action: e.action }) : s;
    }
  }
}

/** The free text a person wrote with the action (note, review comment), if any. */
export function auditNote(e) {
  const d = e.details ?? {};
  const note = typeof d.note === 'string' && d.note ? d.note : typeof d.comment === 'string' && d.comment ? d.comment : null;
  return note;
}
