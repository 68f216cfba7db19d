/**
 * Persisted alarm timers (escalation steps, shelve expiry, re-alarm). Rows in `alarm_timers` with a
 * due time survive restarts; each fires once across workers: PostgreSQL claims due rows with
 * `FOR UPDATE SKIP LOCKED`, SQLite serialises through its single writer.
 */
import { errorMessage, type Clock, type Logger } from '@safeloop/contract';
import { ulid } from 'ulid';
import type { SqlDb } from '../db/index.ts';
import type { Registry } from '../tenancy/registry.ts';
import type { SiteType } from '../tenancy/seed.ts';
import type { AlarmNotifier } from '../notify/types.ts';
import { appendAudit } from './alarm-rows.ts';
import type { AlarmQueries } from './alarm-queries.ts';
import { endCalmFloods } from './grouping.ts';
import type { AlarmMetrics } from './metrics.ts';
import { TARGETS, TARGET_LEVEL, sitePolicy, type EscalationPolicy, type SitePolicy, type Target } from './policy.ts';
import { summarize } from './summary.ts';
import { SYSTEM_ACTOR, type Alarm } from './types.ts';

export type Effect = () => Promise<void>;
export type TimerKind = 'escalate' | 'shelve_expiry' | 'realarm';

interface TimerRow {
  id: string;
  alarm_id: string;
  kind: string;
  step: number;
  due_at: number;
}

const TIMER_ACTOR = { ...SYSTEM_ACTOR, username: 'escalation' };

export class TimerRunner {
  constructor(
    private readonly deps: {
      db: SqlDb;
      registry: Registry;
      notifier: AlarmNotifier;
      logger: Logger;
      clock: Clock;
      policy: EscalationPolicy;
      queries: AlarmQueries;
      metrics: AlarmMetrics;
    },
  ) {}

  async policyFor(a: Alarm, db: SqlDb = this.deps.db): Promise<SitePolicy> {
    return sitePolicy(this.deps.policy, await siteTypeOf(db, a.siteId));
  }

  async schedule(tx: SqlDb, alarmId: string, kind: TimerKind, step: number, dueAt: number): Promise<void> {
    await tx.exec('INSERT INTO alarm_timers (id, alarm_id, kind, step, due_at) VALUES ($1, $2, $3, $4, $5)', [ulid(), alarmId, kind, step, dueAt]);
  }

  /** Insert the escalation steps above `aboveLevel`, due relative to `from`. True when a step is due at once. */
  async scheduleLadder(tx: SqlDb, a: Alarm, siteType: SiteType | undefined, from: number, aboveLevel: number): Promise<boolean> {
    const policy = sitePolicy(this.deps.policy, siteType);
    let immediate = false;
    for (const step of policy.ladders[a.severity]) {
      const level = TARGET_LEVEL[step.target];
      if (level <= aboveLevel) continue;
      await this.schedule(tx, a.id, 'escalate', level, from + step.afterMin * 60_000);
      if (step.afterMin === 0) immediate = true;
    }
    return immediate;
  }

  async processDue(now: number, limit: number): Promise<{ fired: number; effects: Effect[] }> {
    const effects: Effect[] = [];
    const fired = await this.deps.db.transaction(async (tx) => {
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
      const due = await tx.query<TimerRow>(
        `SELECT id, alarm_id, kind, step, due_at FROM alarm_timers WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at, step, id LIMIT ${Math.trunc(limit)}${lock}`,
        [now],
      );
      for (const t of due) {
        let outcome: string;
        try {
          outcome = await this.fire(tx, t, now, effects);
        } catch (err) {
          outcome = `error: ${errorMessage(err)}`.slice(0, 500);
          this.deps.logger.error({ err: errorMessage(err), timer: t.id }, 'alarm timer failed');
        }
        await tx.exec('UPDATE alarm_timers SET fired_at = $2, outcome = $3 WHERE id = $1', [t.id, now, outcome]);
      }
      await endCalmFloods(tx, now);
      return due.length;
    });
    return { fired, effects };
  }

  private async fire(tx: SqlDb, t: TimerRow, now: number, effects: Effect[]): Promise<string> {
    const a = await this.deps.queries.get(t.alarm_id, { kind: 'all' }, tx);
    if (!a) return 'skipped: no alarm';
    if (a.state === 'closed') return 'skipped: closed';
    switch (t.kind as TimerKind) {
      case 'escalate':
        return this.escalate(tx, a, Number(t.step), now, effects);
      case 'shelve_expiry':
        if (a.shelvedUntil === null || a.shelvedUntil > now) return 'skipped: not shelved';
        return this.unshelveAndReannunciate(tx, a, now, effects, 'shelve_expired');
      case 'realarm':
        return this.realarm(tx, a, now, effects);
      default:
        return `skipped: unknown kind ${t.kind}`;
    }
  }

  private async escalate(tx: SqlDb, a: Alarm, level: number, now: number, effects: Effect[]): Promise<string> {
    if (a.escalationLevel >= level) return 'skipped: already at or above this level';
    if (a.shelveKind !== null) return 'skipped: shelved (re-scheduled at expiry)';
    const unacknowledged = a.state === 'raised' || a.state === 'pushed' || a.state === 'push_failed';
    if (!unacknowledged && a.condition !== 'active') return 'skipped: acknowledged and cleared';
    const target = TARGETS.find((x) => TARGET_LEVEL[x] === level) ?? 'province';
    if (a.actedLevels.includes(level)) return this.retarget(tx, a, target, unacknowledged, now, effects);
    const changed = await tx.exec(
      'UPDATE alarms SET escalation_level = $2, escalated_at = $3, updated_at = $3, version = version + 1 WHERE id = $1 AND version = $4',
      [a.id, level, now, a.version],
    );
    if (changed === 0) return 'skipped: concurrent change';
    const why = unacknowledged ? 'unacknowledged' : 'still active';
    await appendAudit(tx, {
      alarmId: a.id,
      at: now,
      actor: TIMER_ACTOR,
      action: 'escalated',
      outcome: 'ok',
      fromState: a.state,
      toState: a.state,
      details: { escalationLevel: { from: a.escalationLevel, to: level }, target, why },
    });
    this.deps.metrics.escalations.inc({ level: String(level) });
    const after = await this.deps.queries.require(a.id, { kind: 'all' }, tx);
    this.pushEffects(effects, after, 'escalated', level, [target]);
    return `escalated to ${target} (${why})`;
  }

  /**
   * The step's level already acted on this alarm (e.g. the county reviewed it before it returned to
   * alarm): telling them to act as if the level below had failed would be wrong. The ladder does not
   * climb; the reminder goes to whoever must act now — the enterprise on duty, whose acknowledgement
   * (or handling, while still active) is what is missing.
   */
  private async retarget(tx: SqlDb, a: Alarm, skipped: Target, unacknowledged: boolean, now: number, effects: Effect[]): Promise<string> {
    const targets = mustActNow(a);
    const why = unacknowledged ? 'unacknowledged' : 'still active';
    await appendAudit(tx, {
      alarmId: a.id,
      at: now,
      actor: TIMER_ACTOR,
      action: 'escalation_retargeted',
      outcome: 'ok',
      fromState: a.state,
      toState: a.state,
      details: { skipped, reason: `${skipped} already acted on this alarm`, targets, why, escalationLevel: a.escalationLevel },
    });
    this.deps.metrics.retargeted.inc();
    const summary = summarize(a);
    effects.push(async () => {
      const outcome = await this.deps.notifier.notify({ reason: 'reminder', alarm: summary, level: a.escalationLevel, targets });
      await appendAudit(this.deps.db, {
        alarmId: a.id,
        at: this.deps.clock.now(),
        actor: { ...SYSTEM_ACTOR, username: 'notifier' },
        action: 'notified',
        outcome: 'ok',
        details: { reason: 'reminder', level: a.escalationLevel, targets, recipients: outcome.recipients, failures: outcome.failures },
      });
    });
    return `not escalated to ${skipped} (already acted); reminder to ${targets.join(', ')} (${why})`;
  }

  /** Shelve expiry (or manual unshelve): clear the shelve; if still active or unacknowledged, re-annunciate as unacknowledged. */
  async unshelveAndReannunciate(tx: SqlDb, a: Alarm, now: number, effects: Effect[], action: string, actor = TIMER_ACTOR): Promise<string> {
    const reannunciate = a.condition === 'active' || a.state === 'raised' || a.state === 'pushed' || a.state === 'push_failed';
    const backToUnacked = reannunciate && (a.state === 'acknowledged' || a.state === 'raised');
    const changed = await tx.exec(
      `UPDATE alarms SET shelve_kind = NULL, shelve_reason = NULL, shelved_by = NULL, shelved_until = NULL,
         state = $2, acked_at = $3, acked_by = $4, updated_at = $5, version = version + 1 WHERE id = $1 AND version = $6`,
      [a.id, backToUnacked ? 'pushed' : a.state, backToUnacked ? null : a.ackedAt, backToUnacked ? null : a.ackedBy, now, a.version],
    );
    if (changed === 0) return 'skipped: concurrent change';
    await appendAudit(tx, {
      alarmId: a.id,
      at: now,
      actor,
      action,
      outcome: 'ok',
      fromState: a.state,
      toState: backToUnacked ? 'pushed' : a.state,
      details: { shelveKind: a.shelveKind, shelvedUntil: a.shelvedUntil, occurrencesWhileShelved: a.shelvedOccurrences, reannunciated: reannunciate },
    });
    if (!reannunciate) return 'unshelved (cleared, not re-annunciated)';
    const after = await this.deps.queries.require(a.id, { kind: 'all' }, tx);
    await this.scheduleLadder(tx, after, await siteTypeOf(tx, a.siteId), now, after.escalationLevel);
    this.pushEffects(effects, after, 'reannunciated', after.escalationLevel, targetsUpTo(after.escalationLevel));
    return 'unshelved and re-annunciated';
  }

  async rescheduleAfterReannunciation(tx: SqlDb, a: Alarm, now: number): Promise<void> {
    await this.scheduleLadder(tx, a, await siteTypeOf(tx, a.siteId), now, a.escalationLevel);
  }

  async notifyReannunciated(after: Alarm): Promise<void> {
    const effects: Effect[] = [];
    this.pushEffects(effects, after, 'reannunciated', after.escalationLevel, targetsUpTo(after.escalationLevel));
    for (const e of effects.slice(1)) await e(); // alarmChanged already sent by the action
  }

  /** E10: acknowledged but still active past the re-alarm time → unacknowledged again. */
  private async realarm(tx: SqlDb, a: Alarm, now: number, effects: Effect[]): Promise<string> {
    if (a.state !== 'acknowledged' || a.condition !== 'active') return 'skipped: not acknowledged-and-active';
    if (a.shelveKind !== null) return 'skipped: shelved';
    const changed = await tx.exec(
      "UPDATE alarms SET state = 'pushed', acked_at = NULL, acked_by = NULL, updated_at = $2, version = version + 1 WHERE id = $1 AND version = $3",
      [a.id, now, a.version],
    );
    if (changed === 0) return 'skipped: concurrent change';
    await appendAudit(tx, {
      alarmId: a.id,
      at: now,
      actor: TIMER_ACTOR,
      action: 'realarm',
      outcome: 'ok',
      fromState: 'acknowledged',
      toState: 'pushed',
      details: { ackedAt: a.ackedAt, ackedBy: a.ackedBy },
    });
    const after = await this.deps.queries.require(a.id, { kind: 'all' }, tx);
    this.pushEffects(effects, after, 'realarm', after.escalationLevel, targetsUpTo(after.escalationLevel));
    return 're-alarmed';
  }

  private pushEffects(effects: Effect[], after: Alarm, reason: 'escalated' | 'reannunciated' | 'realarm', level: number, targets: Target[]): void {
    const summary = summarize(after);
    effects.push(() => Promise.resolve(this.deps.notifier.alarmChanged(summary)));
    effects.push(async () => {
      const outcome = await this.deps.notifier.notify({ reason, alarm: summary, level, targets });
      await appendAudit(this.deps.db, {
        alarmId: after.id,
        at: this.deps.clock.now(),
        actor: { ...SYSTEM_ACTOR, username: 'notifier' },
        action: 'notified',
        outcome: 'ok',
        details: { reason, level, targets, recipients: outcome.recipients, failures: outcome.failures },
      });
    });
  }
}

/**
 * A site's type read through the given connection: inside a transaction we never reach for a second
 * pooled connection (N concurrent transactions each waiting for one would deadlock the pool).
 */
export async function siteTypeOf(db: SqlDb, siteId: string): Promise<SiteType | undefined> {
  const rows = await db.query<{ type: string }>('SELECT type FROM sites WHERE id = $1', [siteId]);
  return rows[0]?.type as SiteType | undefined;
}

/**
 * Who must act on an alarm now: the enterprise operator while it is unacknowledged or being handled, plus
 * the enterprise managers the ladder has reached who have not acted themselves.
 */
export function mustActNow(a: Pick<Alarm, 'escalationLevel' | 'actedLevels'>): Target[] {
  const out: Target[] = ['operator'];
  for (const t of ['technical', 'principal'] as const) {
    if (TARGET_LEVEL[t] <= a.escalationLevel && !a.actedLevels.includes(TARGET_LEVEL[t])) out.push(t);
  }
  return out;
}

/** The operator plus whoever the ladder has reached. */
export function targetsUpTo(level: number): Target[] {
  const reached = TARGETS.find((t) => TARGET_LEVEL[t] === level);
  return reached && reached !== 'operator' ? ['operator', reached] : ['operator'];
}
