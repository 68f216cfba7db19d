/**
 * Telling people about a raise once its transaction has committed. A new alarm pages the operator and
 * records whether anybody was reached (its push state); during a flood a member is announced through
 * its group instead. An alarm that returned to alarm unacknowledged is announced to the operator and
 * the notification audited. Each is an Effect: it runs after commit and its failure never undoes the raise.
 */
import type { SqlDb } from '../db/index.ts';
import { appendAudit } from './alarm-rows.ts';
import type { FloodOutcome } from './grouping.ts';
import { recordPushOutcome, type PushOutcomeDeps } from './push-outcome.ts';
import { floodPageReached, newAlarmAnnouncement, reachedSomebody } from './raise-decision.ts';
import { summarize } from './summary.ts';
import type { Effect } from './timers.ts';
import { SYSTEM_ACTOR, type Alarm } from './types.ts';

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
    // Recorded push_failed while the page had not, it moves to pushed when the page does (followFloodPage);
    // the page is read again afterwards, so a page outcome landing in between is not missed.
    const details = { recipients: [], failures: [], flood: announcement.groupId, note: 'annunciated through the flood group' };
    const reached = floodPageReached(await floodPageState(deps.db, announcement.groupId));
    await recordPushOutcome(deps, after.id, reached, details);
    if (!reached && floodPageReached(await floodPageState(deps.db, announcement.groupId))) await recordPushOutcome(deps, after.id, true, details);
  };
}

async function floodPageState(db: SqlDb, groupId: string): Promise<string | undefined> {
  const rows = await db.query<{ state: string }>('SELECT a.state FROM alarm_groups g JOIN alarms a ON a.id = g.page_alarm_id WHERE g.id = $1', [groupId]);
  return rows[0]?.state;
}

export function announceReturnToAlarm(deps: Omit<PushOutcomeDeps, 'queries'>, after: Alarm): Effect {
  return async () => {
    const outcome = await deps.notifier.notify({ reason: 'returned', alarm: summarize(after), level: 0, targets: ['operator'] });
    await appendAudit(deps.db, {
      alarmId: after.id,
      at: deps.clock.now(),
      actor: { ...SYSTEM_ACTOR, username: 'notifier' },
      action: 'notified',
      outcome: 'ok',
      details: { reason: 'returned', level: 0, targets: ['operator'], recipients: outcome.recipients, failures: outcome.failures },
    });
  };
}
