/**
 * Return to alarm (ISA-18.2 / IEC 62682): a condition that had cleared becomes active again before its
 * alarm was closed. The excursion is recorded on the same alarm (recurrence count, time, peak value),
 * but people must see it as new: once the alarm had been acknowledged — whatever handling state it
 * reached since (handling, feedback given, reviewed) — it is unacknowledged again, announced like a new
 * alarm, and its acknowledgement timer (the escalation ladder) restarts from now at the operator. The
 * earlier acknowledgement, feedback and review stay in the audit trail and the feedback table; the new
 * excursion needs its own. Closing stays refused while the condition is active (closePlan).
 */
import type { ReadingValue } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { AlarmConditionInput } from './alarm-sink.ts';
import { appendAudit } from './alarm-rows.ts';
import { SYSTEM_ACTOR, type Alarm } from './types.ts';

const LOW_LEVELS = new Set(['L', 'LL']);

/** The numeric worst of the current peak and a new value: the lowest for low-limit alarms, else the highest. */
export function worstValue(a: Pick<Alarm, 'level'>, peak: number | null, value: ReadingValue | null | undefined): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return peak;
  if (peak === null) return value;
  return a.level && LOW_LEVELS.has(a.level) ? Math.min(peak, value) : Math.max(peak, value);
}

export function wasAcknowledged(a: Pick<Alarm, 'state'>): boolean {
  return a.state !== 'raised' && a.state !== 'pushed' && a.state !== 'closed';
}

export interface ReturnOutcome {
  /** True when the alarm went back to unacknowledged (announce it like a new alarm). */
  unacknowledged: boolean;
  shelved: boolean;
}

/**
 * Write the return to alarm of `existing` (condition cleared, state not closed) in `tx`: condition
 * active, recurrence counted, peak restarted from this value; when it had been acknowledged, state back
 * to `pushed` with the acknowledgement, feedback and review marks cleared and the escalation level back
 * to the operator. Pending escalation and re-alarm timers of the previous excursion are cancelled; the
 * caller schedules the new ladder.
 */
export async function writeReturnToAlarm(tx: SqlDb, existing: Alarm, input: AlarmConditionInput, now: number): Promise<ReturnOutcome> {
  const shelved = existing.shelveKind !== null;
  const unacknowledged = wasAcknowledged(existing);
  const value = input.value === undefined ? null : JSON.stringify(input.value);
  const peak = worstValue(existing, null, input.value);
  const resetAck = unacknowledged
    ? `, state = 'pushed', pushed_at = $5, acked_at = NULL, acked_by = NULL, handling_at = NULL, feedback_at = NULL,
         reviewed_at = NULL, reviewed_by = NULL, disposition = NULL, escalation_level = 0`
    : '';
  await tx.exec(
    `UPDATE alarms SET condition = 'active', value_json = $2, last_active_at = $3, reactivations = reactivations + 1,
       shelved_occurrences = shelved_occurrences + $4, recurred_at = $5, peak_value = $6, updated_at = $5, version = version + 1${resetAck}
     WHERE id = $1`,
    [existing.id, value, input.at, shelved ? 1 : 0, now, peak],
  );
  if (unacknowledged) {
    await tx.exec(
      "UPDATE alarm_timers SET fired_at = $2, outcome = 'cancelled: returned to alarm, ladder restarted' WHERE alarm_id = $1 AND fired_at IS NULL AND kind IN ('escalate', 'realarm')",
      [existing.id, now],
    );
  }
  await appendAudit(tx, {
    alarmId: existing.id,
    at: now,
    actor: { ...SYSTEM_ACTOR, username: input.origin },
    action: 'reactivated',
    outcome: 'ok',
    fromState: existing.state,
    toState: unacknowledged ? 'pushed' : existing.state,
    details: {
      condition: { from: 'cleared', to: 'active' },
      at: input.at,
      value: input.value ?? null,
      previousClearedAt: existing.clearedAt,
      shelved,
      returnToAlarm: unacknowledged,
      recurrence: existing.reactivations + 1,
      ...(unacknowledged
        ? {
            previous: {
              ackedBy: existing.ackedBy,
              ackedAt: existing.ackedAt,
              feedbackAt: existing.feedbackAt,
              reviewedBy: existing.reviewedBy,
              reviewedAt: existing.reviewedAt,
              disposition: existing.disposition,
              escalationLevel: existing.escalationLevel,
            },
          }
        : {}),
    },
  });
  return { unacknowledged, shelved };
}
