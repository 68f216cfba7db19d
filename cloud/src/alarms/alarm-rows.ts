/** Mapping between alarm table rows and the Alarm object, plus the audit insert. */
import type { AlarmLevel, ReadingValue, WarningColour } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { Actor, Alarm, AlarmCondition, AlarmState, AuditEntry, Disposition, Severity } from './types.ts';

export interface AlarmRow {
  id: string;
  condition_key: string;
  occurrence: number;
  site_id: string;
  enterprise_id: string;
  region_code: string;
  point: string | null;
  origin: string;
  rule_id: string;
  kind: string;
  level: string | null;
  colour: string | null;
  severity: string;
  rank: number;
  review_required: number;
  title: string;
  value_json: string | null;
  limit_value: number | null;
  unit: string | null;
  inputs_json: string;
  state: string;
  condition: string;
  raised_at: number;
  created_at: number;
  updated_at: number;
  last_active_at: number;
  cleared_at: number | null;
  pushed_at: number | null;
  acked_at: number | null;
  acked_by: string | null;
  assignee_id: string | null;
  handling_at: number | null;
  feedback_at: number | null;
  reviewed_at: number | null;
  reviewed_by: string | null;
  closed_at: number | null;
  closed_by: string | null;
  disposition: string | null;
  escalation_level: number;
  escalated_at: number | null;
  shelve_kind: string | null;
  shelve_reason: string | null;
  shelved_by: string | null;
  shelved_until: number | null;
  reactivations: number;
  shelved_occurrences: number;
  group_id: string | null;
  chattering: number;
  latched: number;
  returned_at: number | null;
  recurred_at: number | null;
  peak_value: number | null;
  acted_levels: string;
  version: number;
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

export function alarmFromRow(r: AlarmRow): Alarm {
  return {
    id: r.id,
    conditionKey: r.condition_key,
    occurrence: Number(r.occurrence),
    siteId: r.site_id,
    enterpriseId: r.enterprise_id,
    regionCode: r.region_code,
    point: r.point,
    origin: r.origin as Alarm['origin'],
    ruleId: r.rule_id,
    kind: r.kind as Alarm['kind'],
    level: r.level as AlarmLevel | null,
    colour: r.colour as WarningColour | null,
    severity: r.severity as Severity,
    rank: Number(r.rank),
    reviewRequired: Number(r.review_required) === 1,
    title: r.title,
    value: r.value_json === null ? null : (JSON.parse(r.value_json) as ReadingValue),
    limit: num(r.limit_value),
    unit: r.unit,
    inputs: JSON.parse(r.inputs_json) as Record<string, unknown>,
    state: r.state as AlarmState,
    condition: r.condition as AlarmCondition,
    raisedAt: Number(r.raised_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    lastActiveAt: Number(r.last_active_at),
    clearedAt: num(r.cleared_at),
    pushedAt: num(r.pushed_at),
    ackedAt: num(r.acked_at),
    ackedBy: r.acked_by,
    assigneeId: r.assignee_id,
    handlingAt: num(r.handling_at),
    feedbackAt: num(r.feedback_at),
    reviewedAt: num(r.reviewed_at),
    reviewedBy: r.reviewed_by,
    closedAt: num(r.closed_at),
    closedBy: r.closed_by,
    disposition: r.disposition as Disposition | null,
    escalationLevel: Number(r.escalation_level),
    escalatedAt: num(r.escalated_at),
    shelveKind: r.shelve_kind as Alarm['shelveKind'],
    shelveReason: r.shelve_reason,
    shelvedBy: r.shelved_by,
    shelvedUntil: num(r.shelved_until),
    reactivations: Number(r.reactivations),
    shelvedOccurrences: Number(r.shelved_occurrences),
    groupId: r.group_id,
    chattering: Number(r.chattering) === 1,
    latched: Number(r.latched) === 1,
    returnedAt: num(r.returned_at),
    recurredAt: num(r.recurred_at),
    peakValue: num(r.peak_value),
    actedLevels: (JSON.parse(r.acted_levels ?? '[]') as unknown[]).map(Number),
    version: Number(r.version),
  };
}

export interface AuditInput {
  alarmId: string;
  at: number;
  actor: Actor;
  action: string;
  outcome: 'ok' | 'rejected';
  fromState?: string | null;
  toState?: string | null;
  details?: Record<string, unknown>;
}

/** Append one audit entry. The table has no update/delete path (database triggers refuse both). */
export async function appendAudit(db: SqlDb, e: AuditInput): Promise<void> {
  await db.exec(
    `INSERT INTO alarm_audit (alarm_id, at, actor_id, actor_name, actor_role, source_ip, action, outcome, from_state, to_state, details_json)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      e.alarmId,
      e.at,
      e.actor.userId,
      e.actor.username,
      e.actor.role,
      e.actor.ip ?? null,
      e.action,
      e.outcome,
      e.fromState ?? null,
      e.toState ?? null,
      JSON.stringify(e.details ?? {}),
    ],
  );
}

export interface AuditRow {
  seq: number;
  alarm_id: string;
  at: number;
  actor_id: string;
  actor_name: string;
  actor_role: string;
  source_ip: string | null;
  action: string;
  outcome: string;
  from_state: string | null;
  to_state: string | null;
  details_json: string;
}

export function auditFromRow(r: AuditRow): AuditEntry {
  return {
    seq: Number(r.seq),
    alarmId: r.alarm_id,
    at: Number(r.at),
    actorId: r.actor_id,
    actorName: r.actor_name,
    actorRole: r.actor_role,
    sourceIp: r.source_ip,
    action: r.action,
    outcome: r.outcome as 'ok' | 'rejected',
    fromState: r.from_state,
    toState: r.to_state,
    details: JSON.parse(r.details_json) as Record<string, unknown>,
  };
}
