/**
 * Delivery records: one row per (alarm, recipient, channel, attempt). A row is born `scheduled`
 * (with a due time: now for first attempts, later for retries and for the voice call that follows
 * an unacknowledged SMS), is claimed as `sending` with a lease (so one worker among several sends
 * it; a crashed worker's lease runs out and another takes it), and ends `sent` (with the
 * provider's message id), `failed` / `throttled` (with the provider's error; a retry row follows
 * while attempts remain) or `cancelled` (the alarm was acknowledged or closed before the attempt).
 */
import { ulid } from 'ulid';
import type { SqlDb } from '../db/index.ts';
import type { AlarmMessage } from './providers/types.ts';

export const CHANNELS = ['sms', 'voice', 'wecom', 'dingtalk'] as const;
export type DeliveryChannel = (typeof CHANNELS)[number];
export type DeliveryStatus = 'scheduled' | 'sending' | 'sent' | 'failed' | 'throttled' | 'cancelled';

/** What a row needs to be (re)sent: the message and, for robots, who to @-mention. */
export interface DeliveryPayload {
  msg: AlarmMessage;
  mentionMobiles?: string[];
  mentionUserIds?: string[];
  /** Usernames a robot post stands for. */
  people?: string[];
}

export interface DeliveryRow {
  id: string;
  alarmId: string;
  notificationId: string;
  reason: string;
  channel: DeliveryChannel;
  provider: string;
  recipientId: string | null;
  recipientName: string;
  address: string;
  attempt: number;
  status: DeliveryStatus;
  providerMessageId: string | null;
  error: string | null;
  confirming: boolean;
  payload: DeliveryPayload;
  dueAt: number | null;
  createdAt: number;
  sentAt: number | null;
}

interface Raw {
  id: string;
  alarm_id: string;
  notification_id: string;
  reason: string;
  channel: string;
  provider: string;
  recipient_id: string | null;
  recipient_name: string;
  address: string;
  attempt: number;
  status: string;
  provider_message_id: string | null;
  error: string | null;
  confirming: number;
  message_json: string;
  due_at: number | string | null;
  created_at: number | string;
  sent_at: number | string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRaw(r: Raw): DeliveryRow {
  return {
    id: r.id,
    alarmId: r.alarm_id,
    notificationId: r.notification_id,
    reason: r.reason,
    channel: r.channel as DeliveryChannel,
    provider: r.provider,
    recipientId: r.recipient_id,
    recipientName: r.recipient_name,
    address: r.address,
    attempt: Number(r.attempt),
    status: r.status as DeliveryStatus,
    providerMessageId: r.provider_message_id,
    error: r.error,
    confirming: Number(r.confirming) === 1,
    payload: JSON.parse(r.message_json) as DeliveryPayload,
    dueAt: num(r.due_at),
    createdAt: Number(r.created_at),
    sentAt: num(r.sent_at),
  };
}

export type NewDelivery = Pick<DeliveryRow, 'alarmId' | 'notificationId' | 'reason' | 'channel' | 'provider' | 'recipientId' | 'recipientName' | 'address' | 'attempt' | 'confirming' | 'payload'>;

export class DeliveryStore {
  constructor(private readonly db: SqlDb) {}

  /** Insert a row; `claimedUntil` set → born `sending` (the caller sends it now), else `scheduled` at dueAt. */
  async insert(d: NewDelivery, at: number, when: { dueAt: number } | { claimedUntil: number }): Promise<DeliveryRow> {
    const id = ulid();
    const status: DeliveryStatus = 'claimedUntil' in when ? 'sending' : 'scheduled';
    const due = 'claimedUntil' in when ? when.claimedUntil : when.dueAt;
    await this.db.exec(
      `INSERT INTO notify_deliveries (id, alarm_id, notification_id, reason, channel, provider, recipient_id, recipient_name, address,
         attempt, status, confirming, message_json, due_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [id, d.alarmId, d.notificationId, d.reason, d.channel, d.provider, d.recipientId, d.recipientName, d.address, d.attempt, status, d.confirming ? 1 : 0, JSON.stringify(d.payload), due, at],
    );
    return { ...d, id, status, providerMessageId: null, error: null, dueAt: due, createdAt: at, sentAt: null };
  }

  /** Claim due rows (scheduled, or sending with an expired lease) for `leaseMs`; one worker wins each row. */
  async claimDue(now: number, leaseMs: number, limit: number): Promise<DeliveryRow[]> {
    return this.db.transaction(async (tx) => {
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
      const rows = await tx.query<Raw>(
        `SELECT * FROM notify_deliveries WHERE status IN ('scheduled', 'sending') AND due_at <= $1 ORDER BY due_at LIMIT ${Math.trunc(limit)}${lock}`,
        [now],
      );
      for (const r of rows) await tx.exec("UPDATE notify_deliveries SET status = 'sending', due_at = $2 WHERE id = $1", [r.id, now + leaseMs]);
      return rows.map((r) => ({ ...fromRaw(r), status: 'sending' as const, dueAt: now + leaseMs }));
    });
  }

  async finish(id: string, status: Exclude<DeliveryStatus, 'scheduled' | 'sending'>, at: number, fields: { providerMessageId?: string | undefined; error?: string | undefined }): Promise<void> {
    await this.db.exec('UPDATE notify_deliveries SET status = $2, sent_at = $3, provider_message_id = $4, error = $5, due_at = NULL WHERE id = $1', [
      id,
      status,
      at,
      fields.providerMessageId ?? null,
      fields.error === undefined ? null : fields.error.slice(0, 500),
    ]);
  }

  async forAlarm(alarmId: string): Promise<DeliveryRow[]> {
    const rows = await this.db.query<Raw>('SELECT * FROM notify_deliveries WHERE alarm_id = $1 ORDER BY created_at, id', [alarmId]);
    return rows.map(fromRaw);
  }

  /** True when some recipient of the alarm was reached on a confirming channel. */
  async reached(alarmId: string): Promise<boolean> {
    const rows = await this.db.query("SELECT 1 AS x FROM notify_deliveries WHERE alarm_id = $1 AND status = 'sent' AND confirming = 1 LIMIT 1", [alarmId]);
    return rows.length > 0;
  }

  async counts(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ status: string; n: number | string }>('SELECT status, COUNT(*) AS n FROM notify_deliveries GROUP BY status');
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }
}
