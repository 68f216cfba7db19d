/**
 * What monitors and everyone on an alarm can add without moving its state: a 督办 (urge) from the
 * supervising level — a note and a deadline, recorded in the audit trail and sent to the enterprise's
 * people (their inbox, live push and pagers) — and a comment. Also the notice to the supervising level
 * that feedback awaiting its review has arrived. Plans for AlarmService.act, like lifecycle.ts.
 */
import { SafeLoopError, errorMessage, type Logger } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmNotifier, AlarmNotification } from '../notify/types.ts';
import { appendAudit } from './alarm-rows.ts';
import type { Target } from './policy.ts';
import type { Plan } from './plan.ts';
import { summarize } from './summary.ts';
import type { Effect } from './timers.ts';
import { SYSTEM_ACTOR, type Actor, type Alarm } from './types.ts';

export const MAX_URGE_DEADLINE_MIN = 7 * 24 * 60;

export interface SupervisionCtx {
  now: number;
  db: SqlDb;
  notifier: AlarmNotifier;
  logger: Logger;
}

/** Notify, then record who was reached in the audit trail (as the escalation timers do). Never throws. */
function notifyAndAudit(ctx: SupervisionCtx, n: AlarmNotification): Effect {
  return async () => {
    try {
      const outcome = await ctx.notifier.notify(n);
      await appendAudit(ctx.db, {
        alarmId: n.alarm.id,
        at: ctx.now,
        actor: SYSTEM_ACTOR,
        action: 'notified',
        outcome: 'ok',
        fromState: n.alarm.state,
        toState: n.alarm.state,
        details: { reason: n.reason, level: n.level, targets: n.targets, recipients: outcome.recipients, failures: outcome.failures },
      });
    } catch (err) {
      ctx.logger.error({ err: errorMessage(err), alarmId: n.alarm.id }, `${n.reason} notification failed`);
    }
  };
}

/** 督办: the enterprise is told to act by a deadline. Not on a closed alarm. */
export function urgePlan(a: Alarm, actor: Actor, ctx: SupervisionCtx, body: { note: string; deadlineMin: number }, from: { name: string | null }): Plan {
  if (a.state === 'closed') throw new SafeLoopError('CLOUD_ERR_ALARM_CLOSED', `alarm ${a.id} is closed; a closed alarm cannot be urged`);
  const dueAt = ctx.now + body.deadlineMin * 60_000;
  const targets: Target[] = ['operator', 'technical', 'principal'];
  return {
    details: { note: body.note, deadlineMin: body.deadlineMin, dueAt },
    effects: (after) => [
      notifyAndAudit(
        ctx,
        { reason: 'urged', alarm: summarize(after), level: after.escalationLevel, targets, from: { username: actor.username, name: from.name, role: actor.role }, note: body.note, dueAt },
      ),
    ],
  };
}

/** A comment on the alarm's record, by anyone who may read and act on it. */
export function commentPlan(a: Alarm, body: { note: string }): Plan {
  if (a.state === 'closed') throw new SafeLoopError('CLOUD_ERR_ALARM_CLOSED', `alarm ${a.id} is closed; its record no longer takes comments`);
  return { details: { note: body.note } };
}

/** Feedback that needs the supervising level's review: tell that level (county, or the city for a city-level place). */
export function reviewRequestedEffects(after: Alarm, ctx: SupervisionCtx): Effect[] {
  if (!after.reviewRequired || after.state !== 'feedback_submitted') return [];
  const targets: Target[] = [after.regionCode.length === 6 ? 'county' : 'city'];
  return [notifyAndAudit(ctx, { reason: 'review_requested', alarm: summarize(after), level: after.escalationLevel, targets })];
}
