/**
 * An alarm's push state after people were notified of it: raised → pushed when somebody was reached,
 * raised → push_failed when nobody was, and push_failed → pushed when a later delivery reaches
 * somebody. Any other state is left alone: the alarm has moved on (acknowledged, closed…). Flood members
 * annunciated through their group's page follow that page's outcome.
 */
import type { Clock } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmNotifier } from '../notify/types.ts';
import { appendAudit } from './alarm-rows.ts';
import type { AlarmQueries } from './alarm-queries.ts';
import { summarize } from './summary.ts';
import { SYSTEM_ACTOR } from './types.ts';

export interface PushOutcomeDeps {
  db: SqlDb;
  clock: Clock;
  queries: AlarmQueries;
  notifier: AlarmNotifier;
}

/**
 * Move the alarm to pushed / push_failed, audit it and tell the dashboards; a no-op when the state does
 * not allow it. When it reached somebody and it paged for a flood, its waiting members follow.
 */
export async function recordPushOutcome(deps: PushOutcomeDeps, alarmId: string, reached: boolean, details: Record<string, unknown>): Promise<void> {
  await movePushState(deps, alarmId, reached, details);
  if (reached) await followFloodPage(deps, alarmId);
}

async function movePushState(deps: PushOutcomeDeps, alarmId: string, reached: boolean, details: Record<string, unknown>): Promise<void> {
  const now = deps.clock.now();
  const from = reached ? ['raised', 'push_failed'] : ['raised'];
  const before = await deps.db.query<{ state: string }>('SELECT state FROM alarms WHERE id = $1', [alarmId]);
  const fromState = before[0]?.state;
  if (fromState === undefined || !from.includes(fromState)) return;
  const to = reached ? 'pushed' : 'push_failed';
  // Conditional on the state read above: a concurrent acknowledgement or outcome wins and this one does nothing.
  const changed = await deps.db.exec(
    `UPDATE alarms SET state = $2, pushed_at = ${reached ? '$3' : 'pushed_at'}, updated_at = $3, version = version + 1 WHERE id = $1 AND state = $4`,
    [alarmId, to, now, fromState],
  );
  if (changed === 0) return;
  await appendAudit(deps.db, { alarmId, at: now, actor: { ...SYSTEM_ACTOR, username: 'notifier' }, action: to, outcome: 'ok', fromState, toState: to, details });
  const after = await deps.queries.get(alarmId, { kind: 'all' });
  if (after) deps.notifier.alarmChanged(summarize(after));
}

/**
 * `alarmId` reached somebody: if it paged for a flood group, the members annunciated through that group
 * (their push_failed names the group) that recorded push_failed while the page had not reached anybody
 * are pushed now. Other members of the group (paged on their own, red) keep their own push state.
 */
async function followFloodPage(deps: PushOutcomeDeps, alarmId: string): Promise<void> {
  const waiting = await deps.db.query<{ id: string; group_id: string; details_json: string }>(
    `SELECT a.id, g.id AS group_id, u.details_json FROM alarm_groups g
       JOIN alarms a ON a.group_id = g.id AND a.id <> g.page_alarm_id AND a.state = 'push_failed'
       JOIN alarm_audit u ON u.alarm_id = a.id AND u.action = 'push_failed'
     WHERE g.page_alarm_id = $1`,
    [alarmId],
  );
  for (const m of waiting) {
    if ((JSON.parse(m.details_json) as { flood?: unknown }).flood !== m.group_id) continue;
    await movePushState(deps, m.id, true, { flood: m.group_id, pageAlarmId: alarmId, note: 'the flood page reached somebody' });
  }
}
