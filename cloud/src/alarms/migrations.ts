import type { Migration } from '../db/index.ts';

const ALARMS = `
  CREATE TABLE alarms (
    id TEXT PRIMARY KEY, condition_key TEXT NOT NULL, occurrence INTEGER NOT NULL,
    site_id TEXT NOT NULL, enterprise_id TEXT NOT NULL, region_code TEXT NOT NULL,
    point TEXT, origin TEXT NOT NULL, rule_id TEXT NOT NULL, kind TEXT NOT NULL, level TEXT, colour TEXT,
    severity TEXT NOT NULL, rank INTEGER NOT NULL, review_required INTEGER NOT NULL,
    title TEXT NOT NULL, value_json TEXT, limit_value DOUBLE PRECISION, unit TEXT, inputs_json TEXT NOT NULL,
    state TEXT NOT NULL, condition TEXT NOT NULL,
    raised_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, last_active_at BIGINT NOT NULL,
    cleared_at BIGINT, pushed_at BIGINT, acked_at BIGINT, acked_by TEXT, assignee_id TEXT, handling_at BIGINT,
    feedback_at BIGINT, reviewed_at BIGINT, reviewed_by TEXT, closed_at BIGINT, closed_by TEXT, disposition TEXT,
    escalation_level INTEGER NOT NULL DEFAULT 0, escalated_at BIGINT,
    shelve_kind TEXT, shelve_reason TEXT, shelved_by TEXT, shelved_until BIGINT,
    reactivations INTEGER NOT NULL DEFAULT 0, shelved_occurrences INTEGER NOT NULL DEFAULT 0,
    group_id TEXT, chattering INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 1);
  CREATE UNIQUE INDEX alarms_one_open_per_condition ON alarms (condition_key) WHERE state <> 'closed';
  CREATE INDEX alarms_site_created ON alarms (site_id, created_at);
  CREATE INDEX alarms_region ON alarms (region_code, created_at);
  CREATE INDEX alarms_enterprise ON alarms (enterprise_id, created_at);
  CREATE TABLE alarm_feedback (
    id TEXT PRIMARY KEY, alarm_id TEXT NOT NULL REFERENCES alarms (id), submitted_by TEXT NOT NULL, submitted_at BIGINT NOT NULL,
    cause TEXT NOT NULL, measures TEXT NOT NULL, result TEXT NOT NULL, disposition TEXT NOT NULL);
  CREATE INDEX alarm_feedback_alarm ON alarm_feedback (alarm_id);
  CREATE TABLE alarm_groups (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, site_id TEXT NOT NULL, enterprise_id TEXT NOT NULL, region_code TEXT NOT NULL,
    condition_key TEXT, started_at BIGINT NOT NULL, last_at BIGINT NOT NULL, ended_at BIGINT,
    alarm_count INTEGER NOT NULL DEFAULT 0, event_count INTEGER NOT NULL DEFAULT 0);
  CREATE INDEX alarm_groups_site ON alarm_groups (site_id, kind, ended_at);
  CREATE TABLE alarm_timers (
    id TEXT PRIMARY KEY, alarm_id TEXT NOT NULL REFERENCES alarms (id), kind TEXT NOT NULL, step INTEGER NOT NULL,
    due_at BIGINT NOT NULL, fired_at BIGINT, outcome TEXT);
  CREATE INDEX alarm_timers_due ON alarm_timers (due_at) WHERE fired_at IS NULL;
`;

const SQLITE_AUDIT = `
  CREATE TABLE alarm_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, alarm_id TEXT NOT NULL, at BIGINT NOT NULL,
    actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL, source_ip TEXT,
    action TEXT NOT NULL, outcome TEXT NOT NULL, from_state TEXT, to_state TEXT, details_json TEXT NOT NULL);
  CREATE INDEX alarm_audit_alarm ON alarm_audit (alarm_id, seq);
  CREATE TRIGGER alarm_audit_no_update BEFORE UPDATE ON alarm_audit BEGIN SELECT RAISE(ABORT, 'alarm_audit is append-only'); END;
  CREATE TRIGGER alarm_audit_no_delete BEFORE DELETE ON alarm_audit BEGIN SELECT RAISE(ABORT, 'alarm_audit is append-only'); END;
  CREATE TABLE alarm_attachments (
    id TEXT PRIMARY KEY, alarm_id TEXT NOT NULL REFERENCES alarms (id), feedback_id TEXT NOT NULL REFERENCES alarm_feedback (id),
    name TEXT NOT NULL, mime TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL, created_at BIGINT NOT NULL);
`;

const PG_AUDIT = `
  CREATE TABLE alarm_audit (
    seq BIGSERIAL PRIMARY KEY, alarm_id TEXT NOT NULL, at BIGINT NOT NULL,
    actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL, source_ip TEXT,
    action TEXT NOT NULL, outcome TEXT NOT NULL, from_state TEXT, to_state TEXT, details_json TEXT NOT NULL);
  CREATE INDEX alarm_audit_alarm ON alarm_audit (alarm_id, seq);
  CREATE FUNCTION alarm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'alarm_audit is append-only'; END $$;
  CREATE TRIGGER alarm_audit_no_change BEFORE UPDATE OR DELETE ON alarm_audit FOR EACH ROW EXECUTE FUNCTION alarm_audit_append_only();
  CREATE TABLE alarm_attachments (
    id TEXT PRIMARY KEY, alarm_id TEXT NOT NULL REFERENCES alarms (id), feedback_id TEXT NOT NULL REFERENCES alarm_feedback (id),
    name TEXT NOT NULL, mime TEXT NOT NULL, size INTEGER NOT NULL, data BYTEA NOT NULL, created_at BIGINT NOT NULL);
`;

const LATCH = 'ALTER TABLE alarms ADD COLUMN latched INTEGER NOT NULL DEFAULT 0; ALTER TABLE alarms ADD COLUMN returned_at BIGINT;';

/**
 * Return to alarm (ISA-18.2 / IEC 62682): when it last came back (cloud time, the start of its new
 * acknowledgement timer), the worst value since then, and the ladder levels whose people already acted on
 * the alarm (escalation never climbs to them again).
 */
const RETURN_TO_ALARM =
  "ALTER TABLE alarms ADD COLUMN recurred_at BIGINT; ALTER TABLE alarms ADD COLUMN peak_value DOUBLE PRECISION; ALTER TABLE alarms ADD COLUMN acted_levels TEXT NOT NULL DEFAULT '[]';";

/** The alarm whose notification paged people for a flood group: its members' push state follows it. */
const FLOOD_PAGE = 'ALTER TABLE alarm_groups ADD COLUMN page_alarm_id TEXT; CREATE INDEX alarm_groups_page ON alarm_groups (page_alarm_id);';

export const ALARM_MIGRATIONS: readonly Migration[] = [
  { id: 1, name: 'alarms-feedback-groups-timers-audit', sqlite: ALARMS + SQLITE_AUDIT, postgres: ALARMS + PG_AUDIT },
  { id: 2, name: 'latched-alarms', sqlite: LATCH, postgres: LATCH },
  { id: 3, name: 'return-to-alarm', sqlite: RETURN_TO_ALARM, postgres: RETURN_TO_ALARM },
  { id: 4, name: 'flood-page-alarm', sqlite: FLOOD_PAGE, postgres: FLOOD_PAGE },
];
