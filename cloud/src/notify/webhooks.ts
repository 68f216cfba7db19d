/**
 * Webhooks: subscriptions scoped like users (all / region / enterprise) and filtered by event, a
 * persisted outbox, delivery with HMAC-SHA256 signatures and exponential backoff. Subscriptions from
 * the config are upserted by their unique name, so restarts and several workers keep exactly one
 * row each (and one delivery per event); config subscriptions no longer listed are deactivated. Rows are claimed with a lease (PostgreSQL
 * `FOR UPDATE SKIP LOCKED`), so several workers deliver each event once in the normal case
 * (at-least-once: receivers dedupe by the X-SafeLoop-Delivery id).
 *
 * Signature: X-SafeLoop-Signature = "sha256=" + hex(HMAC-SHA256(secret, `${timestamp}.${body}`)),
 * X-SafeLoop-Timestamp = epoch ms. Receivers reject stale timestamps (replay) and compare in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { backoffDelay, errorMessage, type Clock, type Logger } from '@safeloop/contract';
import { ulid } from 'ulid';
import type { SqlDb } from '../db/index.ts';
import { scopeAllows, type Scope } from '../tenancy/scope.ts';
import { migrateNotify } from './migrations.ts';

export { NOTIFY_MIGRATIONS } from './migrations.ts';

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
  return backoffDelay(Math.max(1, attempts), { initialMs: 5_000, maxMs: 3_600_000 });
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
    await migrateNotify(this.deps.db);
  }

  /** An unnamed subscription added by code (tests, embedders); config ones go through syncConfigSubscriptions. */
  async addSubscription(s: { url: string; secret: string; enterpriseId?: string; regionCode?: string; events?: readonly string[] }): Promise<string> {
    const id = ulid();
    await this.deps.db.exec(
      "INSERT INTO webhook_subscriptions (id, url, secret, enterprise_id, region_code, active, created_at, events_json, origin) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, 'api')",
      [id, s.url, s.secret, s.enterpriseId ?? null, s.regionCode ?? null, this.deps.clock.now(), s.events ? JSON.stringify(s.events) : null],
    );
    return id;
  }

  /**
   * Make the config's subscriptions the active config-origin rows: upsert each by name (atomic on the
   * unique name, so concurrent workers agree) and deactivate config rows not listed — including the
   * unnamed duplicates older versions inserted on every start.
   */
  async syncConfigSubscriptions(list: readonly { name: string; url: string; secret: string; enterpriseId?: string | undefined; regionCode?: string | undefined; events?: readonly string[] | undefined }[]): Promise<void> {
    const now = this.deps.clock.now();
    for (const w of list) {
      await this.deps.db.exec(
        `INSERT INTO webhook_subscriptions (id, name, url, secret, enterprise_id, region_code, events_json, active, origin, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'config', $8)
         ON CONFLICT (name) DO UPDATE SET url = $3, secret = $4, enterprise_id = $5, region_code = $6, events_json = $7, active = 1, origin = 'config'`,
        [ulid(), w.name, w.url, w.secret, w.enterpriseId ?? null, w.regionCode ?? null, w.events ? JSON.stringify(w.events) : null, now],
      );
    }
    const names = list.map((w) => w.name);
    const notListed = names.length > 0 ? `name NOT IN (${names.map((_n, i) => `$${i + 1}`).join(', ')})` : '1 = 1';
    await this.deps.db.exec(`UPDATE webhook_subscriptions SET active = 0 WHERE origin = 'config' AND active = 1 AND (name IS NULL OR ${notListed})`, names);
  }

  /** Queue an event for every active subscription whose scope holds the owner and whose events include it. */
  async enqueue(event: string, owner: { enterpriseId: string; regionCode: string }, payload: unknown): Promise<number> {
    const subs = await this.deps.db.query<{ id: string; enterprise_id: string | null; region_code: string | null; events_json: string | null }>(
      'SELECT id, enterprise_id, region_code, events_json FROM webhook_subscriptions WHERE active = 1',
    );
    const now = this.deps.clock.now();
    let n = 0;
    for (const s of subs) {
      if (s.events_json !== null && !(JSON.parse(s.events_json) as string[]).includes(event)) continue;
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
