import type { AlarmLevel, ReadingValue, WarningColour } from '@safeloop/contract';
import type { Role } from '../auth/roles.ts';
import type { Scope } from '../tenancy/scope.ts';

export const ALARM_STATES = ['raised', 'pushed', 'push_failed', 'acknowledged', 'handling', 'feedback_submitted', 'reviewed', 'closed'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];
export type AlarmCondition = 'active' | 'cleared';
export const DISPOSITIONS = ['handled', 'false_alarm', 'maintenance', 'calibration'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];
/** red: 红 warnings; orange: 橙 warnings and GAS_2 / HH / LL alarms; normal: everything else. */
export type Severity = 'red' | 'orange' | 'normal';

/** Who does something, from where, and the part of the tree they may touch. */
export interface Actor {
  userId: string;
  username: string;
  role: Role | 'system';
  ip?: string | undefined;
  scope: Scope;
}

export const SYSTEM_ACTOR: Actor = { userId: 'system', username: 'system', role: 'system', scope: { kind: 'all' } };

export interface Alarm {
  id: string;
  conditionKey: string;
  occurrence: number;
  siteId: string;
  enterpriseId: string;
  regionCode: string;
  point: string | null;
  origin: 'edge' | 'cloud';
  ruleId: string;
  kind: 'point' | 'warning' | 'system' | 'fault';
  level: AlarmLevel | null;
  colour: WarningColour | null;
  severity: Severity;
  rank: number;
  reviewRequired: boolean;
  title: string;
  value: ReadingValue | null;
  limit: number | null;
  unit: string | null;
  inputs: Record<string, unknown>;
  state: AlarmState;
  condition: AlarmCondition;
  raisedAt: number;
  createdAt: number;
  updatedAt: number;
  lastActiveAt: number;
  clearedAt: number | null;
  pushedAt: number | null;
  ackedAt: number | null;
  ackedBy: string | null;
  assigneeId: string | null;
  handlingAt: number | null;
  feedbackAt: number | null;
  reviewedAt: number | null;
  reviewedBy: string | null;
  closedAt: number | null;
  closedBy: string | null;
  disposition: Disposition | null;
  escalationLevel: number;
  escalatedAt: number | null;
  shelveKind: 'shelved' | 'suppressed' | null;
  shelveReason: string | null;
  shelvedBy: string | null;
  shelvedUntil: number | null;
  reactivations: number;
  shelvedOccurrences: number;
  groupId: string | null;
  chattering: boolean;
  /** Latched: stays active after returning to normal until reset. */
  latched: boolean;
  /** Latched and back to normal at this time, awaiting a reset. */
  returnedAt: number | null;
  /** Last return to alarm (cloud time): the alarm became unacknowledged again and its ack timer restarted. */
  recurredAt: number | null;
  /** Worst numeric value since the alarm was raised or last returned to alarm (max; min for L/LL). */
  peakValue: number | null;
  /** Escalation ladder levels (0 operator … 5 province) whose people already acted on this alarm. */
  actedLevels: number[];
  version: number;
}

export interface AuditEntry {
  seq: number;
  alarmId: string;
  at: number;
  actorId: string;
  actorName: string;
  actorRole: string;
  sourceIp: string | null;
  action: string;
  outcome: 'ok' | 'rejected';
  fromState: string | null;
  toState: string | null;
  details: Record<string, unknown>;
}

export interface Feedback {
  id: string;
  alarmId: string;
  submittedBy: string;
  submittedAt: number;
  cause: string;
  measures: string;
  result: string;
  disposition: Disposition;
  attachments: { id: string; name: string; mime: string; size: number }[];
}

export interface AlarmGroup {
  id: string;
  kind: 'flood' | 'chatter';
  siteId: string;
  enterpriseId: string;
  regionCode: string;
  conditionKey: string | null;
  startedAt: number;
  lastAt: number;
  endedAt: number | null;
  alarmCount: number;
  eventCount: number;
}
