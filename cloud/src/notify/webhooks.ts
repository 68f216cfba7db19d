/**
 * Webhooks: subscriptions scoped like users (all / region / enterprise), a persisted outbox, delivery
 * with HMAC-SHA256 signatures and exponential backoff. Rows are claimed with a lease (PostgreSQL
 * `FOR UPDATE SKIP LOCKED`), so several workers deliver each event once in the normal case
 * (at-least-once: receivers dedupe by the X-SafeLoop-Delivery id).
 *
 * Signature: X-SafeLoop-Signature = "sha256=" + hex(HMAC-SHA256(secret, `${timestamp}.${body}`)),
 * X-SafeLoop-Timestamp = epoch ms. Receivers reject stale timestamps (replay) and compare in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { errorMessage, type Clock, type Logger } from '@safeloop/contract';
import { ulid } from 'ulid';
import { migrate, type Migration, type SqlDb } from '../db/index.ts';
import { scopeAllows, type Scope } from '../tenancy/scope.ts';

const both = (sql: string): { sqlite: string; postgres: string } => ({ sqlite: sql, postgres: sql });
export const NOTIFY_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'webhooks',
    ...both(`
      CREATE TABLE webhook_subscriptions (
        id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, enterprise_id TEXT, region_code TEXT,
        active INTEGER NOT NULL DEFAULT 1, created_at BIGINT NOT NULL);
      CREATE TABLE webhook_outbox (
        id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id), event TEXT NOT NULL,
        payload_json TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL,
        last_error TEXT, created_at BIGINT NOT NULL, delivered_at BIGINT);
      CREATE INDEX webhook_outbox_due ON webhook_outbox (status, next_attempt_at);
    `),
  },
];

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function verifyWebhookSignature(secret: string, timestamp: number, signature: string, body: string, now: number, toleranceMs = 5 * 60_000): boolean {
  if (!Number.isFinite(timestamp) || Math.abs(now - timestamp) > toleranceMs) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

export interface WebhookSubscription {
  id: string;
  url: string;
  enterpriseId?: string;
  regionCode?: string;
}

export const WEBHOOK_MAX_ATTEMPTS = 12;
/** 5 s, 10 s, 20 s … capped at one hour. */
export function webhookBackoffMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

interface OutboxRow {
  id: string;
  subscription_id: string;
  event: string;
  payload_json: string;
  attempts: number;
  url: string;
  secret: string;
}

export class WebhookOutbox {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    private readonly deps: { db: SqlDb; clock: Clock; logger: Logger; timeoutMs?: number; leaseMs?: number; intervalMs?: number },
  ) {
    this.log = deps.logger.child({ module: 'cloud:webhooks' });
  }

  async migrate(): Promise<void> {
    await migrate(this.deps.db, 'notify', NOTIFY_MIGRATIONS);
  }

  async addSubscription(s: { url: string; secret: string; enterpriseId?: string; regionCode?: string }): Promise<string> {
    const id = ulid();
    await this.deps.db.exec(
      'INSERT INTO webhook_subscriptions (id, url, secret, enterprise_id, region_code, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6)',
      [id, s.url, s.secret, s.enterpriseId ?? null, s.regionCode ?? null, this.deps.clock.now()],
    );
    return id;
  }

  /** Queue an event for every active subscription whose scope holds the owner. */
  async enqueue(event: string, owner: { enterpriseId: string; regionCode: string }, payload: unknown): Promise<number> {
    const subs = await this.deps.db.query<{ id: string; enterprise_id: string | null; region_code: string | null }>(
      'SELECT id, enterprise_id, region_code FROM webhook_subscriptions WHERE active = 1',
    );
    const now = this.deps.clock.now();
    let n = 0;
    for (const s of subs) {
      const scope: Scope = s.enterprise_id
        ? { kind: 'enterprise', enterpriseId: s.enterprise_id }
        : s.region_code
          ? { kind: 'region', regionCode: s.region_code }
          : { kind: 'all' };
      if (!scopeAllows(scope, owner)) continue;
      await this.deps.db.exec(
        "INSERT INTO webhook_outbox (id, subscription_id, event, payload_json, status, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
        [ulid(), s.id, event, JSON.stringify(payload), now],
      );
      n++;
    }
    return n;
  }

  /** Claim due rows (lease), deliver them, record the outcome. Returns how many were attempted. */
  async deliverDue(limit = 50): Promise<number> {
    const now = this.deps.clock.now();
    const lease = this.deps.leaseMs ?? 60_000;
    const claimed = await this.deps.db.transaction(async (tx) => {
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE OF o SKIP LOCKED' : '';
      const rows = await tx.query<OutboxRow>(
        `SELECT o.id, o.subscription_id, o.event, o.payload_json, o.attempts, s.url, s.secret
         FROM webhook_outbox o JOIN webhook_subscriptions s ON s.id = o.subscription_id
         WHERE o.status = 'pending' AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at LIMIT ${Math.trunc(limit)}${lock}`,
        [now],
      );
      for (const r of rows) await tx.exec('UPDATE webhook_outbox SET next_attempt_at = $2 WHERE id = $1', [r.id, now + lease]);
      return rows;
    });
    await Promise.all(claimed.map((r) => this.deliverOne(r)));
    return claimed.length;
  }

  private async deliverOne(r: OutboxRow): Promise<void> {
    const ts = this.deps.clock.now();
    const body = r.payload_json;
    let error: string | undefined;
    try {
      const res = await fetch(r.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-safeloop-event': r.event,
          'x-safeloop-delivery': r.id,
          'x-safeloop-timestamp': String(ts),
          'x-safeloop-signature': signWebhook(r.secret, ts, body),
        },
        body,
        signal: AbortSignal.timeout(this.deps.timeoutMs ?? 5_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = errorMessage(err);
    }
    const now = this.deps.clock.now();
    if (error === undefined) {
      await this.deps.db.exec("UPDATE webhook_outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = $2, last_error = NULL WHERE id = $1", [r.id, now]);
      return;
    }
    const attempts = Number(r.attempts) + 1;
    const dead = attempts >= WEBHOOK_MAX_ATTEMPTS;
    if (dead) this.log.error({ delivery: r.id, url: r.url, error }, 'webhook given up after the last attempt');
    await this.deps.db.exec('UPDATE webhook_outbox SET status = $2, attempts = $3, next_attempt_at = $4, last_error = $5 WHERE id = $1', [
      r.id,
      dead ? 'dead' : 'pending',
      attempts,
      now + webhookBackoffMs(attempts),
      error.slice(0, 500),
    ]);
  }

  async status(): Promise<{ status: string; n: number }[]> {
    const rows = await this.deps.db.query<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM webhook_outbox GROUP BY status ORDER BY status');
    return rows.map((r) => ({ status: r.status, n: Number(r.n) }));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.deliverDue().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'webhook delivery pass failed'));
    }, this.deps.intervalMs ?? 2_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
