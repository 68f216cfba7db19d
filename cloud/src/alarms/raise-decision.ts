/**
 * What a raise means for the alarm record, decided from what is already there and without touching
 * the database: one open alarm per condition key (the dedup), so a raise either refreshes the open
 * alarm, brings a cleared one back (return to alarm), or opens a new occurrence. Also who is told
 * about a new alarm while its site floods, and whether a flood member counts as announced.
 */
import type { NotifyOutcome } from '../notify/types.ts';
import type { FloodOutcome } from './grouping.ts';
import type { ReturnOutcome } from './return-to-alarm.ts';
import type { Alarm, Severity } from './types.ts';

export type RaiseDecision =
  /**
   * The condition is still active on an open alarm: only its value, peak, last-active time and return to normal move.
   * `reactivatesLatched`: latched, had returned to normal, abnormal again before anyone reset it.
   */
  | { kind: 'refresh-active'; alarm: Alarm; reactivatesLatched: boolean }
  /** The open alarm's condition had cleared: it becomes active again on the same alarm. */
  | { kind: 'return-to-alarm'; alarm: Alarm }
  /** No open alarm for this condition: a new occurrence. */
  | { kind: 'open-new' };

/** `open` is the condition key's alarm that is not closed, if any. */
export function decideRaise(open: Alarm | undefined): RaiseDecision {
  if (!open) return { kind: 'open-new' };
  if (open.condition === 'active') return { kind: 'refresh-active', alarm: open, reactivatesLatched: open.returnedAt !== null };
  return { kind: 'return-to-alarm', alarm: open };
}

/**
 * A return to alarm is announced like a new alarm only when it made the alarm unacknowledged again,
 * and not while it is shelved (announced at unshelve) or chattering (grouped).
 */
export function announcesReturnToAlarm(ret: ReturnOutcome, chattering: boolean): boolean {
  return ret.unacknowledged && !ret.shelved && !chattering;
}

export type NewAlarmAnnouncement =
  | { kind: 'page'; reason: 'raised' | 'flood'; groupSize?: number }
  | { kind: 'through-flood-group'; groupId: string };

/** During a flood one notification stands for the group — except red, which always pages people. */
export function newAlarmAnnouncement(flood: FloodOutcome, severity: Severity): NewAlarmAnnouncement {
  if (flood.groupId === null || flood.started || severity === 'red') {
    return {
      kind: 'page',
      reason: flood.started && severity !== 'red' ? 'flood' : 'raised',
      ...(flood.started ? { groupSize: flood.size } : {}),
    };
  }
  return { kind: 'through-flood-group', groupId: flood.groupId };
}

/** Somebody was reached: the notifier says so, or, when it does not say, at least one recipient. */
export function reachedSomebody(outcome: Pick<NotifyOutcome, 'reached' | 'recipients'>): boolean {
  return outcome.reached ?? outcome.recipients.length > 0;
}

/** A flood member counts as pushed once the group's page alarm (the one that paged for the flood) has left the not-yet-reached states. */
export function floodPageReached(pageState: string | undefined): boolean {
  return pageState !== undefined && pageState !== 'raised' && pageState !== 'push_failed';
}
