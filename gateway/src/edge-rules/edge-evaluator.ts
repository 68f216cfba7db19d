/**
 * Edge alarm evaluation: the shared evaluator (@safeloop/contract alarm-evaluator) over every reading
 * the gateway takes, with no cloud connection needed. Process alarms (limits, deadband, delays,
 * over-range) become `alarm` events and instrument faults become `fault` events on the journal's
 * alarm stream. The state of what is active or pending is kept in a small file beside the journal,
 * written after the events are journaled, so a restarted gateway neither re-raises an active alarm
 * nor forgets one (a clear that happened while it was down is seen on the first reading).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { AlarmStateStore, type EvaluatorEvent, type PointAlarmConfig, type Reading } from '@safeloop/contract';
import type { NewAlarmEvent, NewFaultEvent } from '../journal/index.ts';

export type EdgeAlarmEvent = NewAlarmEvent | NewFaultEvent;

/** Limits and range of one point, as the gateway config and the profiles give them. */
export type PointLimits = PointAlarmConfig;

export function toJournalEvent(e: EvaluatorEvent): EdgeAlarmEvent {
  const common = {
    point: e.point,
    kind: e.kind,
    value: e.value,
    ...(e.unit === undefined ? {} : { unit: e.unit }),
    quality: e.quality,
    sourceTime: e.sourceTime,
    gatewayTime: e.gatewayTime,
  };
  if (e.type === 'fault') {
    return { ...common, type: 'fault', subject: e.subject, fault: e.fault, ...(e.reason === undefined ? {} : { reason: e.reason }), ...(e.detail === undefined ? {} : { detail: e.detail.slice(0, 200) }) };
  }
  return {
    ...common,
    type: 'alarm',
    level: e.level,
    direction: e.direction,
    limit: e.limit,
    ...(e.reason === undefined ? {} : { reason: e.reason }),
    ...(e.cause === 'over_range' ? { cause: 'over_range' as const } : {}),
    ...(e.latched ? { latched: true } : {}),
  };
}

export class EdgeEvaluator {
  private readonly store: AlarmStateStore;

  /**
   * @param limitsByPoint configuration keyed by full point path `site/device/point`; every other
   *   point is still watched for faults.
   * @param stateFile where active/pending state is kept across restarts (none: in memory only).
   */
  constructor(
    limitsByPoint: ReadonlyMap<string, PointLimits>,
    private readonly stateFile?: string,
  ) {
    this.store = new AlarmStateStore(limitsByPoint);
    if (stateFile) this.store.restore(readState(stateFile));
  }

  /** Replace the limits (remote config); conditions of limits that still exist keep their state. */
  setLimits(limitsByPoint: ReadonlyMap<string, PointLimits>): void {
    this.store.setConfigs(limitsByPoint);
  }

  /** Active process conditions as `point|level` keys. */
  activeConditions(): string[] {
    return this.store.active().conditions;
  }

  /** Active faults as `subject|code` keys. */
  activeFaults(): string[] {
    return this.store.active().faults;
  }

  evaluate(readings: readonly Reading[]): EdgeAlarmEvent[] {
    return this.store.evaluate(readings).map(toJournalEvent);
  }

  /** Write the state file (call after the events of a batch are journaled). Errors propagate. */
  persist(): void {
    if (!this.stateFile) return;
    const tmp = `${this.stateFile}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(this.store.snapshot()));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.stateFile);
  }
}

function readState(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return undefined; // no file yet, or torn: start from normal (the cloud keeps the alarm records)
  }
}
