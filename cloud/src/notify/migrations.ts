/**
 * The notify module's tables, forward-only: webhook subscriptions and their outbox (1), subscriptions
 * named, filtered and marked by origin so config upserts are idempotent (2), delivery records — one
 * row per (alarm, recipient, channel, attempt) — that also carry the retry and voice-call schedule
 * (3), the per-site duty roster with people's work-chat ids (4), and each person's notification inbox (5).
 */
import { migrate, type Migration, type SqlDb } from '../db/index.ts';
import { INBOX_SQL } from './inbox.ts';

const both = (id: number, name: string, sql: string): Migration => ({ id, name, sqlite: sql, postgres: sql });

export const NOTIFY_MIGRATIONS: readonly Migration[] = [
  both(
    1,
    'webhooks',
    `
      CREATE TABLE webhook_subscriptions (
        id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, enterprise_id TEXT, region_code TEXT,
        active INTEGER NOT NULL DEFAULT 1, created_at BIGINT NOT NULL);
      CREATE TABLE webhook_outbox (
        id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id), event TEXT NOT NULL,
        payload_json TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL,
        last_error TEXT, created_at BIGINT NOT NULL, delivered_at BIGINT);
      CREATE INDEX webhook_outbox_due ON webhook_outbox (status, next_attempt_at);
    `,
  ),
  both(
    2,
    'webhook-names-events-origin',
    `
      ALTER TABLE webhook_subscriptions ADD COLUMN name TEXT;
      ALTER TABLE webhook_subscriptions ADD COLUMN events_json TEXT;
      ALTER TABLE webhook_subscriptions ADD COLUMN origin TEXT NOT NULL DEFAULT 'config';
      CREATE UNIQUE INDEX webhook_subscriptions_name ON webhook_subscriptions (name);
    `,
  ),
  both(
    3,
    'delivery-records',
    `
      CREATE TABLE notify_deliveries (
        id TEXT PRIMARY KEY, alarm_id TEXT NOT NULL, notification_id TEXT NOT NULL, reason TEXT NOT NULL,
        channel TEXT NOT NULL, provider TEXT NOT NULL, recipient_id TEXT, recipient_name TEXT NOT NULL, address TEXT NOT NULL,
        attempt INTEGER NOT NULL, status TEXT NOT NULL, provider_message_id TEXT, error TEXT, confirming INTEGER NOT NULL,
        message_json TEXT NOT NULL, due_at BIGINT, created_at BIGINT NOT NULL, sent_at BIGINT);
      CREATE INDEX notify_deliveries_alarm ON notify_deliveries (alarm_id, created_at);
      CREATE INDEX notify_deliveries_due ON notify_deliveries (status, due_at);
    `,
  ),
  both(
    4,
    'duty-roster',
    `
      CREATE TABLE duty_shifts (
        id TEXT PRIMARY KEY, site_id TEXT NOT NULL, name TEXT NOT NULL, start_min INTEGER NOT NULL, end_min INTEGER NOT NULL,
        days TEXT NOT NULL, utc_offset_min INTEGER NOT NULL, members_json TEXT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE INDEX duty_shifts_site ON duty_shifts (site_id);
      CREATE TABLE notify_contacts (
        username TEXT PRIMARY KEY, wecom_user_id TEXT, dingtalk_user_id TEXT, updated_at BIGINT NOT NULL);
    `,
  ),
  both(5, 'inbox', INBOX_SQL),
];

export async function migrateNotify(db: SqlDb): Promise<void> {
  await migrate(db, 'notify', NOTIFY_MIGRATIONS);
}
