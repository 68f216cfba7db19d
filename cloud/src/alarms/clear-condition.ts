/**
 * A condition's return to normal, reported by the rules engine or ingest, written inside its
 * transaction. The open alarm's condition clears; the alarm itself stays open for acknowledgement,
 * feedback and close. A latched alarm does not clear: it only notes the return and waits for a reset.
 * What must happen after commit is appended to `effects`.
 */
import type { Clock } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmNotifier } from '../notify/types.ts';
import type { AlarmClearInput } from './alarm-sink.ts';
import { appendAudit } from './alarm-rows.ts';
import type { AlarmQueries } from './alarm-queries.ts';
import { applyChatterDetection } from './grouping.ts';
import { summarize } from './summary.ts';
import type { Effect } from './timers.ts';
import { SYSTEM_ACTOR } from './types.ts';

export interface ClearDeps {
  clock: Clock;
  queries: AlarmQueries;
  notifier: AlarmNotifier;
}

export async function clearInTransaction(deps: ClearDeps, tx: SqlDb, input: AlarmClearInput, effects: Effect[]): Promise<void> {
  const now = deps.clock.now();
  const a = await deps.queries.openByCondition(input.conditionKey, tx);
  if (!a || a.condition === 'cleared') return;
  if (a.latched) {
    if (a.returnedAt !== null) return;
    // E9: a latched alarm stays active; it only notes the return to normal and waits for a reset.
    const noted = await tx.exec(
      "UPDATE alarms SET returned_at = $2, updated_at = $3, version = version + 1 WHERE id = $1 AND condition = 'active' AND returned_at IS NULL",
      [a.id, input.at, now],
    );
    if (noted === 0) return; // a parallel clear (or a reset) got there first
    await appendAudit(tx, {
      alarmId: a.id,
      at: now,
      actor: { ...SYSTEM_ACTOR, username: 'rules' },
      action: 'returned_to_normal',
      outcome: 'ok',
      fromState: a.state,
      toState: a.state,
      details: { latched: true, at: input.at, value: input.value ?? null, reason: input.reason ?? null },
    });
    const latchedNow = await deps.queries.require(a.id, { kind: 'all' }, tx);
    effects.push(() => Promise.resolve(deps.notifier.alarmChanged(summarize(latchedNow))));
    return;
  }
  const changed = await tx.exec(
    "UPDATE alarms SET condition = 'cleared', cleared_at = $2, value_json = COALESCE($3, value_json), updated_at = $4, version = version + 1 WHERE id = $1 AND condition = 'active'",
    [a.id, input.at, input.value === undefined ? null : JSON.stringify(input.value), now],
  );
  // Only the clear that changed the row is a transition: a parallel clear that lost must neither audit nor count as chatter.
  if (changed === 0) return;
  await appendAudit(tx, {
    alarmId: a.id,
    at: now,
    actor: { ...SYSTEM_ACTOR, username: 'rules' },
    action: 'cleared',
    outcome: 'ok',
    fromState: a.state,
    toState: a.state,
    details: { condition: { from: 'active', to: 'cleared' }, at: input.at, value: input.value ?? null, reason: input.reason ?? null, acknowledged: a.ackedAt !== null },
  });
  await applyChatterDetection(tx, a, now);
  const after = await deps.queries.require(a.id, { kind: 'all' }, tx);
  effects.push(() => Promise.resolve(deps.notifier.alarmChanged(summarize(after))));
}
