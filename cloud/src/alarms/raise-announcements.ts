/**
 * Telling people about a raise once its transaction has committed. A new alarm pages the operator and
 * records whether anybody was reached (its push state); during a flood a member is announced through
 * its group instead. An alarm that returned to alarm unacknowledged is announced to the operator and
 * the notification audited. Each is an Effect: it runs after commit and its failure never undoes the raise.
 */
import { appendAudit } from './alarm-rows.ts';
import type { FloodOutcome } from './grouping.ts';
import { recordPushOutcome, type PushOutcomeDeps } from './push-outcome.ts';
import { floodLeadReached, newAlarmAnnouncement, reachedSomebody } from './raise-decision.ts';
import { summarize } from './summary.ts';
import type { Effect } from './timers.ts';
import type { Alarm } from './types.ts';

export function announceNewAlarm(deps: PushOutcomeDeps, after: Alarm, flood: FloodOutcome): Effect {
  return async () => {
    const announcement = newAlarmAnnouncement(flood, after.severity);
    if (announcement.kind === 'page') {
      const outcome = await deps.notifier.notify({
        reason: announcement.reason,
        alarm: summarize(after),
        level: 0,
        targets: ['operator'],
        ...(announcement.groupSize !== undefined ? { groupSize: announcement.groupSize } : {}),
      });
      await recordPushOutcome(deps, after.id, reachedSomebody(outcome), {
        recipients: outcome.recipients,
        failures: outcome.failures,
        ...(outcome.notes ? { notes: outcome.notes } : {}),
        flood: flood.started ? flood.groupId : undefined,
      });
      return;
    }
    // A flood member is annunciated through the flood group: pushed when the group's page reached somebody.
    const lead = await deps.db.query<{ state: string }>('SELECT state FROM alarms WHERE group_id = $1 AND id <> $2 ORDER BY created_at, id LIMIT 1', [
      announcement.groupId,
      after.id,
    ]);
    await recordPushOutcome(deps, after.id, floodLeadReached(lead[0]?.state), { recipients: [], failures: [], flood: announcement.groupId, note: 'annunciated through the flood group' });
  };
}

export function announceReturnToAlarm(deps: Omit<PushOutcomeDeps, 'queries'>, after: Alarm): Effect {
  return async () => {
    const outcome = await deps.notifier.notify({ reason: 'returned', alarm: summarize(after), level: 0, targets: ['operator'] });
    await appendAudit(deps.db, {
      alarmId: after.id,
      at: deps.clock.now(),
      actor: { userId: 'system', username: 'notifier', role: 'system', scope: { kind: 'all' } },
      action: 'notified',
      outcome: 'ok',
      details: { reason: 'returned', level: 0, targets: ['operator'], recipients: outcome.recipients, failures: outcome.failures },
    });
  };
}
