/**
 * What the people on duty need to see of an alarm beyond its columns: whether it is overdue against
 * the site's acknowledge / feedback deadlines, when each is due, and who acts next. Pure; the API adds
 * it to every alarm it returns. The deadlines match the statistics (api/stats.ts): acknowledgement
 * counts from the raise or the last return to alarm, feedback from the moment the condition cleared.
 */
import type { SitePolicy } from './policy.ts';
import type { Alarm } from './types.ts';

/**
 * enterprise_ack 待企业确认 · enterprise_handle 待企业处置 · enterprise_feedback 待企业反馈 ·
 * supervisor_review 待区县审核 (the supervising level) · close 待关闭 · none: closed or shelved.
 */
export type NextActor = 'enterprise_ack' | 'enterprise_handle' | 'enterprise_feedback' | 'supervisor_review' | 'close' | 'none';

export interface DutyView {
  overdue: { kind: 'acknowledge' | 'feedback'; dueAt: number } | null;
  ackDueAt: number | null;
  feedbackDueAt: number | null;
  nextActor: NextActor;
}

type DutyFields = Pick<Alarm, 'state' | 'condition' | 'createdAt' | 'recurredAt' | 'ackedAt' | 'clearedAt' | 'feedbackAt' | 'reviewRequired' | 'shelveKind'>;

export function nextActorOf(a: DutyFields): NextActor {
  if (a.state === 'closed' || a.shelveKind !== null) return 'none';
  switch (a.state) {
    case 'raised':
    case 'pushed':
    case 'push_failed':
      return 'enterprise_ack';
    case 'acknowledged':
      return 'enterprise_handle';
    case 'handling':
      return a.condition === 'active' ? 'enterprise_handle' : 'enterprise_feedback';
    case 'feedback_submitted':
      return a.reviewRequired ? 'supervisor_review' : 'close';
    case 'reviewed':
      return 'close';
  }
}

export function dutyView(a: DutyFields, policy: Pick<SitePolicy, 'ackDeadlineMin' | 'feedbackDeadlineMin'>, now: number): DutyView {
  const open = a.state !== 'closed';
  const unacked = a.state === 'raised' || a.state === 'pushed' || a.state === 'push_failed';
  const ackDueAt = open && unacked ? (a.recurredAt ?? a.createdAt) + policy.ackDeadlineMin * 60_000 : null;
  const feedbackDueAt = open && a.feedbackAt === null && a.clearedAt !== null ? a.clearedAt + policy.feedbackDeadlineMin * 60_000 : null;
  let overdue: DutyView['overdue'] = null;
  // A shelved alarm was put aside on purpose by a manager: it is not overdue while shelved.
  if (a.shelveKind === null) {
    if (ackDueAt !== null && now > ackDueAt) overdue = { kind: 'acknowledge', dueAt: ackDueAt };
    else if (feedbackDueAt !== null && now > feedbackDueAt) overdue = { kind: 'feedback', dueAt: feedbackDueAt };
  }
  return { overdue, ackDueAt, feedbackDueAt, nextActor: nextActorOf(a) };
}
