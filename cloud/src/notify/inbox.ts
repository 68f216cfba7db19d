/**
 * The notification inbox: every notification addressed to a person (raised, escalated to them,
 * reminder, return to alarm, 督办 received, review requested …) is stored per recipient with a read
 * mark, so nothing depends on being online when it was sent. Written by the dispatcher before the live
 * push; read and marked by the person it was addressed to, and by nobody else.
 */
import type { SqlDb } from '../db/index.ts';
import type { AlarmSummary } from '../alarms/summary.ts';

export interface InboxItem {
  /** The notification (shared by every recipient of one notify call). */
  id: string;
  at: number;
  reason: string;
  level: number;
  targets: string[];
  alarmId: string;
  alarm: AlarmSummary;
  text: string;
  /** Who caused it, when a person did (a 督办's monitor); absent for the system's own. */
  from: { username: string; name: string | null; role: string } | null;
  note: string | null;
  dueAt: number | null;
  readAt: number | null;
}

export interface NewInboxItem {
  id: string;
  at: number;
  reason: string;
  level: number;
  targets: readonly string[];
  alarm: AlarmSummary;
  text: string;
  from?: InboxItem['from'] | undefined;
  note?: string | undefined;
  dueAt?: number | undefined;
}

interface Row {
  notification_id: string;
  at: number;
  reason: string;
  level: number;
  alarm_id: string;
  body_json: string;
  read_at: number | null;
}

export const INBOX_SQL = `
  CREATE TABLE notify_inbox (
    notification_id TEXT NOT NULL, user_id TEXT NOT NULL, at BIGINT NOT NULL, reason TEXT NOT NULL, level INTEGER NOT NULL,
    alarm_id TEXT NOT NULL, body_json TEXT NOT NULL, read_at BIGINT, PRIMARY KEY (notification_id, user_id));
  CREATE INDEX notify_inbox_user ON notify_inbox (user_id, at);
  CREATE INDEX notify_inbox_unread ON notify_inbox (user_id, read_at);
`;

export class InboxStore {
  constructor(private readonly db: SqlDb) {}

  /** One row per recipient (a repeated id for the same person is ignored). */
  async add(userIds: readonly string[], item: NewInboxItem): Promise<void> {
    if (userIds.length === 0) return;
    const body = JSON.stringify({ targets: item.targets, alarm: item.alarm, text: item.text, from: item.from ?? null, note: item.note ?? null, dueAt: item.dueAt ?? null });
    await this.db.transaction(async (tx) => {
      for (const u of new Set(userIds)) {
        await tx.exec(
          `INSERT INTO notify_inbox (notification_id, user_id, at, reason, level, alarm_id, body_json) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (notification_id, user_id) DO NOTHING`,
          [item.id, u, item.at, item.reason, item.level, item.alarm.id, body],
        );
      }
    });
  }

  /** The person's notifications, newest first, and how many are unread. */
  async list(userId: string, opts: { unreadOnly?: boolean; limit?: number; before?: number } = {}): Promise<{ items: InboxItem[]; unread: number }> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    const where = ['user_id = $1'];
    const params: (string | number)[] = [userId];
    if (opts.unreadOnly) where.push('read_at IS NULL');
    if (opts.before !== undefined) {
      params.push(opts.before);
      where.push(`at < $${params.length}`);
    }
    const rows = await this.db.query<Row>(
      `SELECT notification_id, at, reason, level, alarm_id, body_json, read_at FROM notify_inbox WHERE ${where.join(' AND ')} ORDER BY at DESC, notification_id DESC LIMIT ${limit}`,
      params,
    );
    return { items: rows.map(toItem), unread: await this.unreadCount(userId) };
  }

  async unreadCount(userId: string): Promise<number> {
    const r = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM notify_inbox WHERE user_id = $1 AND read_at IS NULL', [userId]);
    return Number(r[0]?.n ?? 0);
  }

  /** Mark the person's own notifications read (all of them when `ids` is absent); returns how many changed. */
  async markRead(userId: string, now: number, ids?: readonly string[]): Promise<number> {
    if (ids === undefined) return await this.db.exec('UPDATE notify_inbox SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL', [userId, now]);
    let n = 0;
    for (const id of new Set(ids)) {
      n += await this.db.exec('UPDATE notify_inbox SET read_at = $3 WHERE user_id = $1 AND notification_id = $2 AND read_at IS NULL', [userId, id, now]);
    }
    return n;
  }
}

function toItem(r: Row): InboxItem {
  const b = JSON.parse(r.body_json) as { targets: string[]; alarm: AlarmSummary; text: string; from: InboxItem['from']; note: string | null; dueAt: number | null };
  return {
    id: r.notification_id,
    at: Number(r.at),
    reason: r.reason,
    level: Number(r.level),
    targets: b.targets,
    alarmId: r.alarm_id,
    alarm: b.alarm,
    text: b.text,
    from: b.from,
    note: b.note,
    dueAt: b.dueAt === null ? null : Number(b.dueAt),
    readAt: r.read_at === null ? null : Number(r.read_at),
  };
}
