/**
 * The alarm lifecycle: the AlarmSink the rules engine and ingest call, and the actions people take
 * (acknowledge → handle → feedback → review → close, shelve/suppress). Every action is a conditional
 * UPDATE on the row's version, so concurrent actions yield exactly one transition and a 409 for the
 * rest; every attempt is appended to the audit trail. What a raise or a clear writes lives in
 * raise-condition.ts and clear-condition.ts; this class runs their transactions and, after commit, their effects.
 */
import { SafeLoopError, errorMessage, type Clock, type Logger } from '@safeloop/contract';
import type { Registry as PromRegistry } from 'prom-client';
import { migrate, type SqlDb, type SqlParam } from '../db/index.ts';
import { roleMay, type Action } from '../auth/roles.ts';
import type { Registry } from '../tenancy/registry.ts';
import type { AlarmNotifier } from '../notify/types.ts';
import type { AlarmClearInput, AlarmConditionInput, AlarmSink } from './alarm-sink.ts';
import { appendAudit } from './alarm-rows.ts';
import { AlarmQueries } from './alarm-queries.ts';
import { clearInTransaction } from './clear-condition.ts';
import { alarmMetrics, type AlarmMetrics } from './metrics.ts';
import { ALARM_MIGRATIONS } from './migrations.ts';
import { DEFAULT_ESCALATION_POLICY, sitePolicy, type EscalationPolicy, type SitePolicy } from './policy.ts';
import { recordPushOutcome } from './push-outcome.ts';
import { raiseInTransaction, type RaiseDeps } from './raise-condition.ts';
import { summarize } from './summary.ts';
import { TimerRunner, type Effect } from './timers.ts';
import type { Plan } from './plan.ts';
import type { Actor, Alarm } from './types.ts';
import { commentPlan, reviewRequestedEffects, urgePlan, type SupervisionCtx } from './supervision.ts';
import { ladderLevelsOf } from './ladder-levels.ts';
import {
  acknowledgePlan,
  closePlan,
  feedbackPlan,
  handoverPlan,
  resetPlan,
  reviewPlan,
  shelvePlan,
  startHandlingPlan,
  unshelvePlan,
  type FeedbackInput,
} from './lifecycle.ts';

export interface AlarmServiceDeps {
  db: SqlDb;
  registry: Registry;
  notifier: AlarmNotifier;
  logger: Logger;
  clock: Clock;
  policy?: EscalationPolicy;
  metricsRegistry?: PromRegistry;
  /** A new alarm's title with the point's human name in place of its path (point-names/); absent: titles as raised. */
  pointTitle?: (title: string, point: string) => Promise<string>;
}

/** What a lifecycle action wants to change, decided from the alarm as it is now. */
export type { Plan } from './plan.ts';

const CONFLICT_CODES = new Set([
  'CLOUD_ERR_ALARM_CONFLICT',
  'CLOUD_ERR_ILLEGAL_TRANSITION',
  'CLOUD_ERR_ALREADY_ACKNOWLEDGED',
  'CLOUD_ERR_ALARM_ACTIVE',
  'CLOUD_ERR_FEEDBACK_REQUIRED',
  'CLOUD_ERR_REVIEW_REQUIRED',
  'CLOUD_ERR_ALARM_CLOSED',
  'CLOUD_ERR_FORBIDDEN',
]);

/** Before/after of the columns an action sets (binary values left out). */
function changedColumns(a: Alarm, set: Record<string, SqlParam>): Record<string, { from: unknown; to: unknown }> {
  const row = a as unknown as Record<string, unknown>;
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [col, to] of Object.entries(set)) {
    if (Buffer.isBuffer(to) || col === 'updated_at') continue;
    const key = col.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    out[key] = { from: row[key] ?? null, to: typeof to === 'bigint' ? Number(to) : to };
  }
  return out;
}

/**
 * A raise transaction worth running again at once: two workers opened the same condition (unique key), or
 * PostgreSQL aborted it as a deadlock (e.g. with an escalation timer, which locks its timer row before the
 * alarm row) or a serialisation failure. Retried here instead of waiting for the outbox's backoff.
 */
function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '40P01' || code === '40001';
}

export class AlarmService implements AlarmSink {
  readonly queries: AlarmQueries;
  readonly policy: EscalationPolicy;
  readonly metrics: AlarmMetrics;
  private readonly timers: TimerRunner;
  private readonly log: Logger;
  /** What raise, clear and the push-state hook write with (raise-condition.ts, clear-condition.ts, push-outcome.ts). */
  private readonly sinkDeps: RaiseDeps;

  constructor(private readonly deps: AlarmServiceDeps) {
    this.queries = new AlarmQueries(deps.db);
    this.policy = deps.policy ?? DEFAULT_ESCALATION_POLICY;
    this.metrics = alarmMetrics(deps.metricsRegistry);
    this.log = deps.logger.child({ module: 'cloud:alarms' });
    this.timers = new TimerRunner({ ...deps, policy: this.policy, queries: this.queries, metrics: this.metrics, logger: this.log });
    this.sinkDeps = { db: deps.db, clock: deps.clock, notifier: deps.notifier, logger: this.log, queries: this.queries, timers: this.timers, metrics: this.metrics };
  }

  async migrate(): Promise<void> {
    await migrate(this.deps.db, 'alarms', ALARM_MIGRATIONS);
  }

  // ── AlarmSink ──────────────────────────────────────────────────────────────────────────

  async raise(raised: AlarmConditionInput): Promise<{ alarmId: string; created: boolean }> {
    const input = await this.withPointName(raised);
    for (let attempt = 0; ; attempt++) {
      try {
        const effects: Effect[] = [];
        // Looked up before the transaction: inside it we use only the transaction's connection.
        const site = await this.deps.registry.getSite(input.siteId);
        const result = await this.deps.db.transaction((tx) => raiseInTransaction(this.sinkDeps, tx, input, site, effects));
        await this.runEffects(effects);
        if (result.immediate) await this.processDueTimers(this.deps.clock.now()); // e.g. red: ladder steps due at once
        return { alarmId: result.alarmId, created: result.created };
      } catch (err) {
        // Two workers opening the same condition at once: the loser retries and updates the winner's row.
        if (attempt < 2 && isRetryable(err)) continue;
        throw err;
      }
    }
  }

  /** Naming never stops an alarm: on any failure the title stays as raised. */
  private async withPointName(input: AlarmConditionInput): Promise<AlarmConditionInput> {
    if (!this.deps.pointTitle || input.point === undefined) return input;
    try {
      return { ...input, title: await this.deps.pointTitle(input.title, input.point) };
    } catch (err) {
      this.log.warn({ point: input.point, err: errorMessage(err) }, 'point name lookup failed: alarm titled with the point path');
      return input;
    }
  }

  /**
   * The push-state hook: `pushed` when at least one recipient was reached on a confirming channel,
   * else `push_failed` (still unacknowledged for escalation; the notifier keeps retrying). A later
   * successful delivery calls this again with reached = true and moves push_failed → pushed.
   */
  async recordPushOutcome(alarmId: string, reached: boolean, details: Record<string, unknown>): Promise<void> {
    await recordPushOutcome(this.sinkDeps, alarmId, reached, details);
  }

  async clear(input: AlarmClearInput): Promise<void> {
    const effects: Effect[] = [];
    await this.deps.db.transaction((tx) => clearInTransaction(this.sinkDeps, tx, input, effects));
    await this.runEffects(effects);
  }

  // ── lifecycle actions ──────────────────────────────────────────────────────────────────

  /**
   * Apply one action: scoped load (404 outside scope), role check (403), plan (409 on an illegal
   * transition), conditional UPDATE on the version (409 on a lost race, after one re-evaluation).
   */
  async act(alarmId: string, actor: Actor, action: Action, plan: (a: Alarm) => Plan): Promise<Alarm> {
    const effects: Effect[] = [];
    let before: Alarm | undefined;
    // A comment is not acting on the alarm: it must not stop the ladder from reaching the commenter's level.
    const levels = action === 'comment' ? [] : await ladderLevelsOf(actor, this.deps.registry.users);
    try {
      for (let attempt = 0; ; attempt++) {
        const result = await this.deps.db.transaction(async (tx) => {
          const now = this.deps.clock.now();
          const a = await this.queries.require(alarmId, actor.scope, tx);
          before = a;
          if (actor.role !== 'system' && !roleMay(actor.role, action)) {
            throw new SafeLoopError('CLOUD_ERR_FORBIDDEN', `role ${actor.role} may not ${action} alarms`);
          }
          const p = plan(a);
          const set: Record<string, SqlParam> = { ...(p.set ?? {}), updated_at: now };
          if (p.to !== undefined) set.state = p.to;
          const acted = [...new Set([...a.actedLevels, ...levels])].sort((x, y) => x - y);
          if (acted.length !== a.actedLevels.length) set.acted_levels = JSON.stringify(acted);
          const cols = Object.keys(set);
          const sql = `UPDATE alarms SET ${cols.map((c, i) => `${c} = $${i + 3}`).join(', ')}, version = version + 1 WHERE id = $1 AND version = $2`;
          const changed = await tx.exec(sql, [a.id, a.version, ...cols.map((c) => set[c] ?? null)]);
          if (changed === 0) return undefined; // someone else changed it first: re-evaluate
          await appendAudit(tx, {
            alarmId: a.id,
            at: now,
            actor,
            action,
            outcome: 'ok',
            fromState: a.state,
            toState: p.to ?? a.state,
            details: { ...(p.details ?? {}), changed: changedColumns(a, set), version: a.version + 1 },
          });
          if (p.also) await p.also(tx, a);
          const after = await this.queries.require(a.id, { kind: 'all' }, tx);
          effects.push(() => Promise.resolve(this.deps.notifier.alarmChanged(summarize(after))));
          if (p.effects) effects.push(...p.effects(after));
          return after;
        });
        if (result) {
          this.metrics.transitions.inc({ action });
          await this.runEffects(effects);
          return result;
        }
        if (attempt >= 2) {
          throw new SafeLoopError('CLOUD_ERR_ALARM_CONFLICT', `alarm ${alarmId} was changed by someone else at the same time; reload and retry`);
        }
      }
    } catch (err) {
      if (before && err instanceof SafeLoopError && CONFLICT_CODES.has(err.code)) {
        await appendAudit(this.deps.db, {
          alarmId,
          at: this.deps.clock.now(),
          actor,
          action,
          outcome: 'rejected',
          fromState: before.state,
          toState: null,
          details: { code: err.code, message: err.message },
        }).catch((e: unknown) => this.log.error({ err: errorMessage(e), alarmId }, 'could not audit a rejected action'));
      }
      throw err;
    }
  }

  private async runEffects(effects: readonly Effect[]): Promise<void> {
    for (const e of effects) {
      try {
        await e();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'alarm side effect failed (lifecycle unaffected)');
      }
    }
  }

  // ── timers ─────────────────────────────────────────────────────────────────────────────

  /** Fire due escalation / shelve-expiry / re-alarm timers (once across workers). Returns how many fired. */
  async processDueTimers(now: number, limit = 100): Promise<number> {
    const { fired, effects } = await this.timers.processDue(now, limit);
    await this.runEffects(effects);
    return fired;
  }

  /** For lifecycle actions that reschedule timers. */
  get timerRunner(): TimerRunner {
    return this.timers;
  }

  // ── the actions people take ────────────────────────────────────────────────────────────

  private async ctx(alarmId: string, actor: Actor): Promise<{ now: number; policy: SitePolicy; timers: TimerRunner; notifier: AlarmNotifier }> {
    const a = await this.queries.get(alarmId, actor.scope);
    const policy = a ? await this.timers.policyFor(a) : sitePolicy(this.policy, undefined);
    return { now: this.deps.clock.now(), policy, timers: this.timers, notifier: this.deps.notifier };
  }

  async acknowledge(alarmId: string, actor: Actor, body: { note?: string | undefined } = {}): Promise<Alarm> {
    const ctx = await this.ctx(alarmId, actor);
    return this.act(alarmId, actor, 'acknowledge', (a) => acknowledgePlan(a, actor, { ...ctx, now: this.deps.clock.now() }, body.note));
  }

  async handover(alarmId: string, actor: Actor, body: { toUserId: string; note?: string | undefined }): Promise<Alarm> {
    const to = await this.deps.registry.users.getById(body.toUserId);
    return this.act(alarmId, actor, 'handover', (a) => {
      if (!to) throw new SafeLoopError('CLOUD_ERR_VALIDATION', `no user ${body.toUserId} to hand over to`);
      return handoverPlan(a, to, body.note);
    });
  }

  async startHandling(alarmId: string, actor: Actor, body: { note?: string | undefined } = {}): Promise<Alarm> {
    return this.act(alarmId, actor, 'start-handling', (a) => startHandlingPlan(a, actor, this.deps.clock.now(), body.note));
  }

  async submitFeedback(alarmId: string, actor: Actor, body: FeedbackInput): Promise<Alarm> {
    return this.act(alarmId, actor, 'feedback', (a) => ({ ...feedbackPlan(a, actor, this.deps.clock.now(), body), effects: (after) => reviewRequestedEffects(after, this.supervisionCtx()) }));
  }

  private supervisionCtx(): SupervisionCtx {
    return { now: this.deps.clock.now(), db: this.deps.db, notifier: this.deps.notifier, logger: this.log };
  }

  /** 督办 by the supervising level: a note and a deadline, sent to the enterprise. */
  async urge(alarmId: string, actor: Actor, body: { note: string; deadlineMin: number }): Promise<Alarm> {
    const me = await this.deps.registry.users.getById(actor.userId).catch(() => undefined);
    return this.act(alarmId, actor, 'urge', (a) => urgePlan(a, actor, this.supervisionCtx(), body, { name: me?.name ?? null }));
  }

  async comment(alarmId: string, actor: Actor, body: { note: string }): Promise<Alarm> {
    return this.act(alarmId, actor, 'comment', (a) => commentPlan(a, body));
  }

  async review(alarmId: string, actor: Actor, body: { approved: boolean; comment: string }): Promise<Alarm> {
    return this.act(alarmId, actor, 'review', (a) => reviewPlan(a, actor, this.deps.clock.now(), body));
  }

  async close(alarmId: string, actor: Actor, body: { note?: string | undefined } = {}): Promise<Alarm> {
    return this.act(alarmId, actor, 'close', (a) => closePlan(a, actor, { now: this.deps.clock.now(), notifier: this.deps.notifier }, body.note));
  }

  async shelve(alarmId: string, actor: Actor, body: { reason: string; minutes: number }): Promise<Alarm> {
    const ctx = await this.ctx(alarmId, actor);
    return this.act(alarmId, actor, 'shelve', (a) => shelvePlan(a, actor, { ...ctx, now: this.deps.clock.now() }, 'shelved', body));
  }

  async suppress(alarmId: string, actor: Actor, body: { reason: string; minutes: number }): Promise<Alarm> {
    const ctx = await this.ctx(alarmId, actor);
    return this.act(alarmId, actor, 'suppress', (a) => shelvePlan(a, actor, { ...ctx, now: this.deps.clock.now() }, 'suppressed', body));
  }

  /** E9: reset a latched alarm whose process value has returned to normal (condition → cleared). */
  async reset(alarmId: string, actor: Actor, body: { note?: string | undefined } = {}): Promise<Alarm> {
    return this.act(alarmId, actor, 'reset', (a) => resetPlan(a, { now: this.deps.clock.now(), notifier: this.deps.notifier }, body.note));
  }

  /** End a shelve/suppression early; re-annunciates as unacknowledged when still active. */
  async unshelve(alarmId: string, actor: Actor): Promise<Alarm> {
    return this.act(alarmId, actor, 'unshelve', (a) => {
      if (a.shelveKind === null) throw new SafeLoopError('CLOUD_ERR_ILLEGAL_TRANSITION', `alarm ${a.id} is not shelved or suppressed`);
      return unshelvePlan(a, this.timers, this.deps.clock.now());
    });
  }
}
