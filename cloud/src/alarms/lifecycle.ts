/**
 * The legal transitions, as plans for AlarmService.act(). Each plan looks at the alarm as it is and
 * either throws a 409 SafeLoopError naming what is wrong, or says what to change.
 *
 *   raised → pushed → acknowledged → handling → feedback_submitted → reviewed → closed
 *   (raised → push_failed when nobody could be reached; push_failed counts as unacknowledged)
 *   (review only for red/orange severity; review rejected → back to handling)
 */
import { SafeLoopError } from '@safeloop/contract';
import { ulid } from 'ulid';
import { SUPERVISING_ROLES, type Role } from '../auth/roles.ts';
import { summarize } from './summary.ts';
import { checkAttachments, type AttachmentInput } from './attachments.ts';
import type { Plan } from './plan.ts';
import type { Actor, Alarm, AlarmState, Disposition } from './types.ts';
import type { AlarmNotifier } from '../notify/types.ts';
import type { TimerRunner } from './timers.ts';
import type { SitePolicy } from './policy.ts';

const UNACKED: readonly AlarmState[] = ['raised', 'pushed', 'push_failed'];

function illegal(a: Alarm, action: string, expected: string): SafeLoopError {
  if (a.state === 'closed') return new SafeLoopError('CLOUD_ERR_ALARM_CLOSED', `alarm ${a.id} is closed; ${action} is not possible`);
  return new SafeLoopError('CLOUD_ERR_ILLEGAL_TRANSITION', `cannot ${action} alarm ${a.id} in state ${a.state}; it must be ${expected}`, {
    details: { state: a.state },
  });
}

export function acknowledgePlan(a: Alarm, actor: Actor, ctx: { now: number; policy: SitePolicy; timers: TimerRunner; notifier: AlarmNotifier }, note?: string): Plan {
  if (!UNACKED.includes(a.state)) {
    if (a.ackedAt !== null && a.state !== 'closed') {
      throw new SafeLoopError('CLOUD_ERR_ALREADY_ACKNOWLEDGED', `alarm ${a.id} was already acknowledged by ${a.ackedBy ?? 'someone'}`, {
        details: { ackedBy: a.ackedBy, ackedAt: a.ackedAt },
      });
    }
    throw illegal(a, 'acknowledge', 'raised or pushed (unacknowledged)');
  }
  return {
    to: 'acknowledged',
    set: { acked_at: ctx.now, acked_by: actor.username },
    details: { note: note ?? null, condition: a.condition, ackDelayMs: ctx.now - (a.recurredAt ?? a.createdAt) },
    also: async (tx) => {
      if (a.condition === 'active') await ctx.timers.schedule(tx, a.id, 'realarm', 0, ctx.now + ctx.policy.reAlarmMin * 60_000);
    },
    effects: (after) => [() => ctx.notifier.siren(summarize(after), 'silence')],
  };
}

export function handoverPlan(a: Alarm, to: { id: string; username: string; role: Role; enterpriseId?: string }, note?: string): Plan {
  if (a.state !== 'acknowledged' && a.state !== 'handling') throw illegal(a, 'hand over', 'acknowledged or handling');
  if (to.enterpriseId !== a.enterpriseId || (to.role !== 'enterprise_operator' && to.role !== 'enterprise_manager')) {
    throw new SafeLoopError('CLOUD_ERR_VALIDATION', `user ${to.username} is not a member of the alarm's enterprise`);
  }
  return { set: { assignee_id: to.id }, details: { assignee: { from: a.assigneeId, to: to.id, username: to.username }, note: note ?? null } };
}

export function startHandlingPlan(a: Alarm, actor: Actor, now: number, note?: string): Plan {
  if (a.state !== 'acknowledged') throw illegal(a, 'start handling', 'acknowledged');
  return { to: 'handling', set: { handling_at: now, assignee_id: a.assigneeId ?? actor.userId }, details: { note: note ?? null } };
}

export interface FeedbackInput {
  cause: string;
  measures: string;
  result: string;
  disposition: Disposition;
  attachments?: AttachmentInput[] | undefined;
}

export function feedbackPlan(a: Alarm, actor: Actor, now: number, f: FeedbackInput): Plan {
  if (a.state !== 'acknowledged' && a.state !== 'handling') throw illegal(a, 'submit feedback for', 'acknowledged or handling');
  const files = checkAttachments(f.attachments ?? []);
  const feedbackId = ulid();
  return {
    to: 'feedback_submitted',
    set: { feedback_at: now, disposition: f.disposition },
    details: { feedbackId, disposition: f.disposition, attachments: files.map((x) => ({ name: x.name, mime: x.mime, size: x.data.length })) },
    also: async (tx) => {
      await tx.exec(
        'INSERT INTO alarm_feedback (id, alarm_id, submitted_by, submitted_at, cause, measures, result, disposition) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [feedbackId, a.id, actor.username, now, f.cause, f.measures, f.result, f.disposition],
      );
      for (const x of files) {
        await tx.exec(
          'INSERT INTO alarm_attachments (id, alarm_id, feedback_id, name, mime, size, data, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [ulid(), a.id, feedbackId, x.name, x.mime, x.data.length, x.data, now],
        );
      }
    },
  };
}

export function reviewPlan(a: Alarm, actor: Actor, now: number, r: { approved: boolean; comment: string }): Plan {
  if (actor.role !== 'system' && !SUPERVISING_ROLES.includes(actor.role)) {
    throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `a review needs the supervising level (county monitor or above), not ${actor.role}`);
  }
  if (a.state !== 'feedback_submitted') throw illegal(a, 'review', 'feedback_submitted');
  return r.approved
    ? { to: 'reviewed', set: { reviewed_at: now, reviewed_by: actor.username }, details: { approved: true, comment: r.comment } }
    : { to: 'handling', set: { reviewed_at: null, reviewed_by: null }, details: { approved: false, comment: r.comment } };
}

export function closePlan(a: Alarm, actor: Actor, ctx: { now: number; notifier: AlarmNotifier }, note?: string): Plan {
  if (a.state === 'closed') throw illegal(a, 'close', 'open');
  if (a.condition !== 'cleared') {
    throw new SafeLoopError('CLOUD_ERR_ALARM_ACTIVE', `alarm ${a.id} is still active; it can be closed only after the condition clears`);
  }
  if (UNACKED.includes(a.state) || a.state === 'acknowledged' || a.state === 'handling') {
    throw new SafeLoopError('CLOUD_ERR_FEEDBACK_REQUIRED', `alarm ${a.id} has no feedback yet (cause, measures, result); state ${a.state}`);
  }
  if (a.state === 'feedback_submitted' && a.reviewRequired) {
    throw new SafeLoopError('CLOUD_ERR_REVIEW_REQUIRED', `alarm ${a.id} (${a.severity}) needs a review by the supervising level before closing`);
  }
  return {
    to: 'closed',
    set: { closed_at: ctx.now, closed_by: actor.username },
    details: { note: note ?? null, disposition: a.disposition },
    effects: (after) => [() => ctx.notifier.siren(summarize(after), 'reset')],
  };
}

export function resetPlan(a: Alarm, ctx: { now: number; notifier: AlarmNotifier }, note?: string): Plan {
  if (a.state === 'closed') throw illegal(a, 'reset', 'open');
  if (!a.latched || a.condition !== 'active') {
    throw new SafeLoopError('CLOUD_ERR_ILLEGAL_TRANSITION', `alarm ${a.id} is not a latched active alarm; nothing to reset`);
  }
  if (a.returnedAt === null) {
    throw new SafeLoopError('CLOUD_ERR_ALARM_ACTIVE', `alarm ${a.id} cannot be reset: the process value has not returned to normal`);
  }
  return {
    set: { condition: 'cleared', cleared_at: ctx.now, returned_at: null },
    details: { condition: { from: 'active', to: 'cleared' }, returnedAt: a.returnedAt, note: note ?? null },
    effects: (after) => [() => ctx.notifier.siren(summarize(after), 'reset')],
  };
}

export function shelvePlan(
  a: Alarm,
  actor: Actor,
  ctx: { now: number; policy: SitePolicy; timers: TimerRunner },
  kind: 'shelved' | 'suppressed',
  s: { reason: string; minutes: number },
): Plan {
  if (a.state === 'closed') throw illegal(a, kind === 'shelved' ? 'shelve' : 'suppress', 'open');
  const max = kind === 'shelved' ? ctx.policy.maxShelveMin : ctx.policy.maxSuppressMin;
  if (!(s.minutes > 0) || s.minutes > max) {
    throw new SafeLoopError('CLOUD_ERR_VALIDATION', `${kind} time must be between 1 and ${max} minutes (got ${s.minutes})`);
  }
  const until = ctx.now + Math.round(s.minutes * 60_000);
  return {
    set: { shelve_kind: kind, shelve_reason: s.reason, shelved_by: actor.username, shelved_until: until },
    details: { shelveKind: { from: a.shelveKind, to: kind }, reason: s.reason, until },
    also: async (tx) => ctx.timers.schedule(tx, a.id, 'shelve_expiry', 0, until),
  };
}

/**
 * Manual unshelve: clear the shelve; when still active (or never acknowledged), back to unacknowledged
 * with the ladder re-scheduled from now, as on expiry.
 */
export function unshelvePlan(a: Alarm, timers: TimerRunner, now: number): Plan {
  const reannunciate = a.condition === 'active' || UNACKED.includes(a.state);
  const backToUnacked = reannunciate && (a.state === 'acknowledged' || a.state === 'raised');
  return {
    ...(backToUnacked ? { to: 'pushed' as const } : {}),
    set: {
      shelve_kind: null,
      shelve_reason: null,
      shelved_by: null,
      shelved_until: null,
      ...(backToUnacked ? { acked_at: null, acked_by: null } : {}),
    },
    details: { shelveKind: { from: a.shelveKind, to: null }, occurrencesWhileShelved: a.shelvedOccurrences, reannunciated: reannunciate },
    also: async (tx, before) => {
      if (reannunciate) await timers.rescheduleAfterReannunciation(tx, before, now);
    },
    effects: (after) => (reannunciate ? [() => timers.notifyReannunciated(after)] : []),
  };
}
