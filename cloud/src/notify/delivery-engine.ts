/**
 * Sends delivery rows through the providers and keeps the record: each attempt's outcome lands on
 * its row; a failed or throttled attempt schedules the next one after the channel's backoff (until
 * the attempts run out or the provider says retrying cannot help); a success on a confirming
 * channel tells the alarm side that somebody was reached. A worker pass picks up due rows — retries,
 * the voice call that follows an unacknowledged SMS, rows whose sender died — and skips (cancels)
 * those whose alarm was acknowledged or closed meanwhile. One channel's failure or slowness never
 * holds up another: every attempt runs on its own with its own timeout.
 */
import { errorMessage, type Clock, type Logger } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { DeliveryPolicy } from './notify-config.ts';
import type { DeliveryRow, DeliveryStore } from './delivery-store.ts';
import type { ChatRobot, SendOutcome, SmsProvider, VoiceProvider } from './providers/types.ts';

export interface ProviderSet {
  sms?: SmsProvider | undefined;
  voice?: VoiceProvider | undefined;
  robots: ReadonlyMap<string, ChatRobot>;
}

const UNACKED_STATES = new Set(['raised', 'pushed', 'push_failed']);

export function backoffMs(policy: DeliveryPolicy, attempt: number, throttled: boolean): number {
  const list = policy.backoffSec;
  const base = (list[Math.min(attempt - 1, list.length - 1)] ?? 60) * 1000;
  return throttled ? Math.max(base, policy.throttledBackoffSec * 1000) : base;
}

export class DeliveryEngine {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  /** Told when an alarm's recipient was reached on a confirming channel (the push-state hook). */
  onReached: ((alarmId: string) => Promise<void>) | undefined;

  constructor(
    private readonly deps: { db: SqlDb; store: DeliveryStore; providers: ProviderSet; policy: DeliveryPolicy; clock: Clock; logger: Logger; leaseMs?: number; intervalMs?: number },
  ) {
    this.log = deps.logger.child({ module: 'cloud:deliveries' });
  }

  get leaseMs(): number {
    return this.deps.leaseMs ?? Math.max(60_000, this.deps.policy.timeoutMs * 3);
  }

  private async call(row: DeliveryRow): Promise<SendOutcome> {
    const signal = AbortSignal.timeout(this.deps.policy.timeoutMs);
    const p = this.deps.providers;
    switch (row.channel) {
      case 'sms':
        return p.sms ? p.sms.sendSms(row.address, row.payload.msg, signal) : { ok: false, kind: 'permanent', error: 'no SMS provider configured' };
      case 'voice':
        return p.voice ? p.voice.call(row.address, row.payload.msg, signal) : { ok: false, kind: 'permanent', error: 'no voice provider configured' };
      case 'wecom':
      case 'dingtalk': {
        const robot = p.robots.get(row.address);
        if (!robot) return { ok: false, kind: 'permanent', error: `no robot named ${row.address} configured` };
        return robot.post({ msg: row.payload.msg, mentionMobiles: row.payload.mentionMobiles ?? [], mentionUserIds: row.payload.mentionUserIds ?? [] }, signal);
      }
    }
  }

  /**
   * Attempt a row this process holds (`sending`); record the outcome and schedule what follows.
   * `tellReached` is false for the first attempts made inline by notify(): the alarm service
   * decides pushed / push_failed from their outcome itself.
   */
  async attempt(row: DeliveryRow, tellReached = true): Promise<SendOutcome> {
    let outcome: SendOutcome;
    try {
      outcome = await this.call(row);
    } catch (err) {
      outcome = { ok: false, kind: 'retryable', error: `provider client failed: ${errorMessage(err)}` };
    }
    const now = this.deps.clock.now();
    const { store, policy } = this.deps;
    if (outcome.ok) {
      await store.finish(row.id, 'sent', now, { providerMessageId: outcome.messageId });
      if (tellReached && row.confirming && this.onReached) {
        await this.onReached(row.alarmId).catch((err: unknown) => this.log.error({ err: errorMessage(err), alarmId: row.alarmId }, 'push-state hook failed'));
      }
      return outcome;
    }
    const throttled = outcome.kind === 'throttled';
    await store.finish(row.id, throttled ? 'throttled' : 'failed', now, { error: outcome.error });
    const retry = outcome.kind !== 'permanent' && row.attempt < policy.maxAttempts;
    this.log.warn({ alarmId: row.alarmId, channel: row.channel, provider: row.provider, recipient: row.recipientName, attempt: row.attempt, error: outcome.error, retry }, 'delivery attempt failed');
    if (retry) {
      const { id: _id, status: _s, providerMessageId: _m, error: _e, dueAt: _d, createdAt: _c, sentAt: _t, ...rest } = row;
      await store.insert({ ...rest, attempt: row.attempt + 1 }, now, { dueAt: now + backoffMs(policy, row.attempt, throttled) });
    }
    return outcome;
  }

  private async alarmState(alarmId: string): Promise<string | undefined> {
    const rows = await this.deps.db.query<{ state: string }>('SELECT state FROM alarms WHERE id = $1', [alarmId]);
    return rows[0]?.state;
  }

  /** One worker pass: due retries and follow-up calls. Returns how many rows were taken. */
  async processDue(limit = 50): Promise<number> {
    const now = this.deps.clock.now();
    const rows = await this.deps.store.claimDue(now, this.leaseMs, limit);
    await Promise.all(
      rows.map(async (row) => {
        try {
          const state = await this.alarmState(row.alarmId);
          if (state !== undefined && !UNACKED_STATES.has(state)) {
            await this.deps.store.finish(row.id, 'cancelled', now, { error: `not sent: the alarm was ${state} before this attempt` });
            return;
          }
          await this.attempt(row);
        } catch (err) {
          this.log.error({ err: errorMessage(err), delivery: row.id }, 'delivery attempt could not be recorded; the lease will expire and it is retried');
        }
      }),
    );
    return rows.length;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.processDue().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'delivery pass failed'));
    }, this.deps.intervalMs ?? 2_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
