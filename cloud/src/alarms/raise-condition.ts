/**
 * A raise carried out inside its transaction: the open alarm of the condition is looked up, the raise
 * decision taken (raise-decision.ts) and written — a refresh of the active alarm, a return to alarm, or a
 * new occurrence with its escalation ladder and flood grouping. What must happen after commit (live
 * updates, notifications) is appended to `effects`; the alarm service runs them.
 */
import type { Clock, Logger } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { Site } from '../tenancy/registry.ts';
import type { AlarmConditionInput } from './alarm-sink.ts';
import { appendAudit } from './alarm-rows.ts';
import { applyChatterDetection, applyFloodGrouping } from './grouping.ts';
import type { AlarmMetrics } from './metrics.ts';
import { insertNewAlarm } from './new-alarm-row.ts';
import type { PushOutcomeDeps } from './push-outcome.ts';
import { announceNewAlarm, announceReturnToAlarm } from './raise-announcements.ts';
import { announcesReturnToAlarm, decideRaise } from './raise-decision.ts';
import { worstValue, writeReturnToAlarm } from './return-to-alarm.ts';
import { summarize } from './summary.ts';
import type { Effect, TimerRunner } from './timers.ts';
import { SYSTEM_ACTOR, type Alarm } from './types.ts';

export interface RaiseDeps extends PushOutcomeDeps {
  clock: Clock;
  logger: Logger;
  timers: TimerRunner;
  metrics: AlarmMetrics;
}

export interface RaiseResult {
  alarmId: string;
  created: boolean;
  /** An escalation step is due at once (e.g. red): the caller fires due timers after commit. */
  immediate?: boolean;
}

export async function raiseInTransaction(deps: RaiseDeps, tx: SqlDb, input: AlarmConditionInput, site: Site | undefined, effects: Effect[]): Promise<RaiseResult> {
  const now = deps.clock.now();
  // Locked: parallel raises of one condition (edge and cloud rules, two ingest threads) decide one after the other.
  const decision = decideRaise(await deps.queries.openByCondition(input.conditionKey, tx, true));
  switch (decision.kind) {
    case 'refresh-active':
      return refreshActiveAlarm(deps, tx, decision.alarm, decision.reactivatesLatched, input, now, effects);
    case 'return-to-alarm':
      return reactivateClearedAlarm(deps, tx, decision.alarm, input, site, now, effects);
    case 'open-new':
      return openNewAlarm(deps, tx, input, site, now, effects);
  }
}

/**
 * A raise while the condition is active. Refreshing the value is not a transition (no version). A latched
 * alarm that had returned to normal and is abnormal again is one: it is no longer ready to reset, so it
 * takes a new version (a reset decided on the returned alarm then loses its version check), is audited
 * and is pushed live.
 */
async function refreshActiveAlarm(
  deps: RaiseDeps,
  tx: SqlDb,
  open: Alarm,
  reactivatesLatched: boolean,
  input: AlarmConditionInput,
  now: number,
  effects: Effect[],
): Promise<RaiseResult> {
  const versioned = reactivatesLatched ? ', updated_at = $5, version = version + 1' : '';
  await tx.exec(`UPDATE alarms SET value_json = $2, last_active_at = $3, returned_at = NULL, peak_value = $4${versioned} WHERE id = $1`, [
    open.id,
    input.value === undefined ? null : JSON.stringify(input.value),
    Math.max(input.at, open.lastActiveAt),
    worstValue(open, open.peakValue, input.value),
    ...(reactivatesLatched ? [now] : []),
  ]);
  if (reactivatesLatched) {
    await appendAudit(tx, {
      alarmId: open.id,
      at: now,
      actor: { ...SYSTEM_ACTOR, username: input.origin },
      action: 'reactivated',
      outcome: 'ok',
      fromState: open.state,
      toState: open.state,
      details: { latched: true, returnedAt: open.returnedAt, at: input.at, value: input.value ?? null, version: open.version + 1 },
    });
    const after = await deps.queries.require(open.id, { kind: 'all' }, tx);
    effects.push(() => Promise.resolve(deps.notifier.alarmChanged(summarize(after))));
  }
  return { alarmId: open.id, created: false };
}

async function reactivateClearedAlarm(deps: RaiseDeps, tx: SqlDb, cleared: Alarm, input: AlarmConditionInput, site: Site | undefined, now: number, effects: Effect[]): Promise<RaiseResult> {
  const ret = await writeReturnToAlarm(tx, cleared, input, now);
  const chattering = await applyChatterDetection(tx, cleared, now);
  const after = await deps.queries.require(cleared.id, { kind: 'all' }, tx);
  effects.push(() => Promise.resolve(deps.notifier.alarmChanged(summarize(after))));
  if (!ret.unacknowledged) return { alarmId: cleared.id, created: false };
  // Unacknowledged again: a new acknowledgement timer (the ladder from the operator, from now), and
  // announced like a new alarm — unless shelved (announced at unshelve) or chattering (grouped).
  const immediate = await deps.timers.scheduleLadder(tx, after, site?.type, now, 0);
  deps.metrics.returned.inc();
  if (announcesReturnToAlarm(ret, chattering)) effects.push(announceReturnToAlarm(deps, after));
  return { alarmId: cleared.id, created: false, immediate };
}

async function openNewAlarm(deps: RaiseDeps, tx: SqlDb, input: AlarmConditionInput, site: Site | undefined, now: number, effects: Effect[]): Promise<RaiseResult> {
  if (!site) deps.logger.error({ siteId: input.siteId, conditionKey: input.conditionKey }, 'alarm for an unknown site: recorded, visible to administrators only');
  const id = await insertNewAlarm(tx, input, site, now);
  const created = await deps.queries.require(id, { kind: 'all' }, tx);
  await appendAudit(tx, {
    alarmId: id,
    at: now,
    actor: { ...SYSTEM_ACTOR, username: input.origin },
    action: 'raised',
    outcome: 'ok',
    fromState: null,
    toState: 'raised',
    details: { ruleId: input.ruleId, origin: input.origin, at: input.at, value: input.value ?? null, limit: input.limit ?? null, inputs: input.inputs },
  });
  const immediate = await deps.timers.scheduleLadder(tx, created, site?.type, now, 0);
  const flood = await applyFloodGrouping(tx, created, now);
  const after = await deps.queries.require(id, { kind: 'all' }, tx);
  deps.metrics.raised.inc();
  effects.push(() => Promise.resolve(deps.notifier.alarmChanged(summarize(after))));
  effects.push(announceNewAlarm(deps, after, flood));
  return { alarmId: id, created: true, immediate };
}
