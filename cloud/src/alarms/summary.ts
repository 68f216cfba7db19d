import type { AlarmLevel, ReadingValue, WarningColour } from '@safeloop/contract';
import type { Alarm, AlarmCondition, AlarmState, Severity } from './types.ts';

/** What dashboards and notifications see of an alarm (the SSE `alarm` event payload). */
export interface AlarmSummary {
  id: string;
  siteId: string;
  enterpriseId: string;
  regionCode: string;
  point: string | null;
  kind: Alarm['kind'];
  level: AlarmLevel | null;
  colour: WarningColour | null;
  severity: Severity;
  title: string;
  value: ReadingValue | null;
  unit: string | null;
  state: AlarmState;
  condition: AlarmCondition;
  escalationLevel: number;
  raisedAt: number;
  clearedAt: number | null;
  ackedAt: number | null;
  shelveKind: Alarm['shelveKind'];
  groupId: string | null;
  chattering: boolean;
  latched: boolean;
  returnedAt: number | null;
  /** Returns to alarm (cleared → active again) before close. */
  reactivations: number;
  recurredAt: number | null;
  peakValue: number | null;
  reviewRequired: boolean;
  version: number;
  updatedAt: number;
}

export function summarize(a: Alarm): AlarmSummary {
  return {
    id: a.id,
    siteId: a.siteId,
    enterpriseId: a.enterpriseId,
    regionCode: a.regionCode,
    point: a.point,
    kind: a.kind,
    level: a.level,
    colour: a.colour,
    severity: a.severity,
    title: a.title,
    value: a.value,
    unit: a.unit,
    state: a.state,
    condition: a.condition,
    escalationLevel: a.escalationLevel,
    raisedAt: a.raisedAt,
    clearedAt: a.clearedAt,
    ackedAt: a.ackedAt,
    shelveKind: a.shelveKind,
    groupId: a.groupId,
    chattering: a.chattering,
    latched: a.latched,
    returnedAt: a.returnedAt,
    reactivations: a.reactivations,
    recurredAt: a.recurredAt,
    peakValue: a.peakValue,
    reviewRequired: a.reviewRequired,
    version: a.version,
    updatedAt: a.updatedAt,
  };
}
