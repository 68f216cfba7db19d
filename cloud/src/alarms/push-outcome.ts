/**
 * An alarm's push state after people were notified of it: raised → pushed when somebody was reached,
 * raised → push_failed when nobody was, and push_failed → pushed when a later delivery reaches
 * somebody. Any other state is left alone: the alarm has moved on (acknowledged, closed…).
 */
import type { Clock } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmNotifier } from '../notify/types.ts';
import { appendAudit } from './alarm-rows.ts';
import type { AlarmQueries } from './alarm-queries.ts';
import { summarize } from './summary.ts';

export interface PushOutcomeDeps {
  db: SqlDb;
  clock: Clock;
  queries: AlarmQueries;
  notifier: AlarmNotifier;
}

/** Move the alarm to pushed / push_failed, audit it and tell the dashboards; a no-op when the state does not allow it. */
export async function recordPushOutcome(deps: PushOutcomeDeps, alarmId: string, reached: boolean, details: Record<string, unknown>): Promise<void> {
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
  await appendAudit(deps.db, { alarmId, at: now, actor: { userId: 'system', username: 'notifier', role: 'system', scope: { kind: 'all' } }, action: to, outcome: 'ok', fromState, toState: to, details });
  const after = await deps.queries.get(alarmId, { kind: 'all' });
  if (after) deps.notifier.alarmChanged(summarize(after));
}
