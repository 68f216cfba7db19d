/**
 * The seam between the rules engine (and edge alarms arriving through ingest) and the alarm
 * lifecycle. Rules say "this condition is active / no longer active"; the alarm service decides
 * whether that opens a new alarm, updates an open one, or records a clearing.
 */
import type { AlarmLevel, ReadingValue, WarningColour } from '@safeloop/contract';

export interface AlarmConditionInput {
  /**
   * Stable identity of the condition. The same key while an alarm is not closed updates that
   * alarm instead of opening a twin. Edge and cloud evaluation of the same limit use the same key
   * (`limit:{site/device/point}:{level}`), so they never double up.
   */
  conditionKey: string;
  siteId: string;
  /** `site/device/point` for point alarms. */
  point?: string;
  origin: 'edge' | 'cloud';
  ruleId: string;
  /** point: a limit/rate alarm on one point; warning: a graded site warning; system: data integrity, offline. */
  kind: 'point' | 'warning' | 'system' | 'fault';
  level?: AlarmLevel;
  colour?: WarningColour;
  title: string;
  value?: ReadingValue;
  limit?: number;
  unit?: string;
  /** The inputs and their values that caused it (shown to people and kept in the record). */
  inputs: Record<string, unknown>;
  /** When the condition became true (source time), epoch ms. */
  at: number;
  /**
   * Latched (OPC UA Part 9 / E9): when the condition returns to normal the alarm stays active until
   * an authorised person resets it. Optional; default false.
   */
  latched?: boolean;
}

export interface AlarmClearInput {
  conditionKey: string;
  at: number;
  value?: ReadingValue;
  reason?: string;
}

export interface AlarmSink {
  raise(input: AlarmConditionInput): Promise<{ alarmId: string; created: boolean }>;
  clear(input: AlarmClearInput): Promise<void>;
}
