/**
 * The rules engine: evaluates newly committed readings inside the ingest transaction against the
 * current rule set, with pending state in the database (rule_state), and runs due timers.
 * Decisions go to the AlarmSink through the outbox. Rules can be replaced at runtime
 * (setRules, or publish() which also stores a new version that every worker picks up).
 */
import { errorMessage, evaluationTime, systemClock, type Clock, type Logger, type TelemetryEvent } from '@safeloop/contract';
import { migrate, type SqlDb } from '../db/index.ts';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { compoundHandler } from './compound-rule.ts';
import type { Enqueue, RulesEvaluator } from './evaluator.ts';
import { matchesAny, splitSite } from './glob.ts';
import type { KindHandler } from './kind-handler.ts';
import { limitHandler } from './limit-rule.ts';
import { RULES_MIGRATIONS } from './migrations.ts';
import { rateHandler } from './rate-rule.ts';
import { latestRuleSet, latestRuleSetVersion, parseRuleSet, saveRuleSet } from './repository.ts';
import type { Rule, RuleSet, SiteType } from './schema.ts';
import { fromStateRow, freshState, loadStates, saveStates, type RuleState } from './state.ts';
import { clearFreshStale, raiseStale, staleCandidates, staleHandler } from './stale-rule.ts';
import { tailingsHandler } from './tailings-rule.ts';

export interface SiteDirectory {
  getSite(siteId: string): Promise<{ id: string; type: SiteType } | undefined>;
}

export interface RulesEngineDeps {
  logger: Logger;
  clock?: Clock;
  /** Needed only by rules scoped with `siteTypes`. */
  sites?: SiteDirectory;
  /** How often runTimers() checks the rule_sets table for a newer version. Default 2 s. */
  reloadCheckMs?: number;
  /** How often runTimers() scans latest values for stale-data rules. Default 5 s. */
  staleScanMs?: number;
  /**
   * PostgreSQL: a batch touching fewer rule-state rows than this reads them FOR UPDATE at once — one round
   * trip, on the alarm path, for a few row locks held to the end of a short transaction. Bigger batches read
   * without locks and lock only the rows they write (a second read). Default 16; 0: always the latter.
   */
  lockOnReadBelow?: number;
}

type Evaluable = Exclude<Rule, { kind: 'gateway-offline' }>;
interface Touch {
  rule: Evaluable;
  handler: KindHandler<Evaluable>;
  key: string;
}

function handlerFor(rule: Evaluable): KindHandler<Evaluable> {
  switch (rule.kind) {
    case 'limit':
      return limitHandler as KindHandler<Evaluable>;
    case 'rate':
      return rateHandler as KindHandler<Evaluable>;
    case 'compound':
      return compoundHandler as KindHandler<Evaluable>;
    case 'tailings-aggregate':
      return tailingsHandler as KindHandler<Evaluable>;
    case 'stale':
      return staleHandler as KindHandler<Evaluable>;
  }
}

const SITE_TTL_MS = 60_000;

export class RulesEngine implements RulesEvaluator {
  private set: RuleSet = { version: 0, rules: [] };
  private byId = new Map<string, Rule>();
  private readonly touches = new Map<string, Touch[]>();
  private readonly siteTypes = new Map<string, { at: number; type: SiteType | undefined }>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private lastReloadCheck = -Infinity;
  private lastStaleScan = -Infinity;

  constructor(
    private readonly deps: RulesEngineDeps,
    initial?: RuleSet,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger.child({ module: 'cloud:rules' });
    if (initial) this.setRules(initial);
  }

  static migrate(db: SqlDb): Promise<void> {
    return migrate(db, 'rules', RULES_MIGRATIONS);
  }

  async init(db: SqlDb): Promise<void> {
    await RulesEngine.migrate(db);
    await this.reloadIfNewer(db);
  }

  get ruleSet(): RuleSet {
    return this.set;
  }

  /** Validate and swap in a rule set (in memory; see publish() to persist). */
  setRules(input: unknown, source = 'rules'): RuleSet {
    const set = parseRuleSet(input, source);
    this.set = set;
    this.byId = new Map(set.rules.map((r) => [r.id, r]));
    this.touches.clear();
    this.logger.info({ version: set.version, rules: set.rules.length }, 'rule set loaded');
    return set;
  }

  /** Validate, store as a new version (must be newer) and apply. */
  async publish(db: SqlDb, input: unknown, createdBy: string): Promise<RuleSet> {
    const set = parseRuleSet(input, 'rules');
    await saveRuleSet(db, set, createdBy, this.clock.now());
    return this.setRules(set);
  }

  /** Apply the newest stored version, if any. */
  async loadFromDb(db: SqlDb): Promise<RuleSet | undefined> {
    const set = await latestRuleSet(db);
    if (set && set.version !== this.set.version) this.setRules(set, 'rule_sets');
    return set;
  }

  private applies(rule: Rule, siteId: string): boolean {
    if (!rule.enabled) return false;
    if (rule.sites && !rule.sites.includes(siteId)) return false;
    if (rule.siteTypes) {
      const type = this.siteTypes.get(siteId)?.type;
      if (!type || !rule.siteTypes.includes(type)) return false;
    }
    return true;
  }

  private touchesFor(point: string): Touch[] {
    let t = this.touches.get(point);
    if (t) return t;
    const { siteId, rel } = splitSite(point);
    t = [];
    for (const rule of this.set.rules) {
      if (rule.kind === 'gateway-offline' || !this.applies(rule, siteId)) continue;
      const handler = handlerFor(rule);
      for (const key of handler.keys(rule, siteId, rel, point)) t.push({ rule, handler, key });
    }
    if (this.touches.size > 200_000) this.touches.clear();
    this.touches.set(point, t);
    return t;
  }

  async prepare(_gatewayId: string, readings: readonly TelemetryEvent[]): Promise<void> {
    if (!this.set.rules.some((r) => r.siteTypes)) return;
    await this.resolveSites(new Set(readings.map((r) => splitSite(r.point).siteId)));
  }

  /** Site types for rules scoped by `siteTypes`, cached; looked up outside any transaction. */
  private async resolveSites(sites: Set<string>): Promise<void> {
    const now = this.clock.monotonic();
    for (const siteId of sites) {
      const hit = this.siteTypes.get(siteId);
      if (hit && now - hit.at < SITE_TTL_MS) continue;
      let type: SiteType | undefined;
      try {
        type = (await this.deps.sites?.getSite(siteId))?.type;
      } catch (err) {
        this.logger.warn({ err: errorMessage(err), siteId }, 'site lookup failed; keeping the previous site type');
        type = hit?.type;
      }
      if (hit?.type !== type) for (const p of this.touches.keys()) if (p.startsWith(`${siteId}/`)) this.touches.delete(p);
      this.siteTypes.set(siteId, { at: now, type });
    }
  }

  async evaluate(tx: SqlDb, _gatewayId: string, readings: readonly TelemetryEvent[], now: number): Promise<OutboxOp[]> {
    if (this.set.rules.length === 0) return [];
    // A good reading cannot raise a stale rule, and the periodic scan clears those: skip its state.
    const perReading: Touch[][] = readings.map((r) => {
      const all = this.touchesFor(r.point);
      return r.quality === 'good' ? all.filter((t) => t.rule.kind !== 'stale') : all;
    });
    const keys = perReading.flatMap((ts) => ts.map((t) => t.key));
    if (keys.length === 0) return [];
    // In time order; a reading whose device clock is wrong (bad_time) is placed by the gateway's receive time.
    const order = readings.map((r, i) => ({ r, i, t: evaluationTime(r) })).sort((a, b) => a.t - b.t || a.r.seq - b.r.seq);
    // A few rows (a crossing reported by exception, the alarm path): lock them as they are read. Many: read
    // without row locks — the steady state (a normal value, nothing pending) writes nothing and locks nothing.
    const lockedOnRead = tx.dialect === 'postgres' && new Set(keys).size < (this.deps.lockOnReadBelow ?? 16);
    const states = await loadStates(tx, keys, lockedOnRead);
    const decided = this.run(order, perReading, states, now);
    const withOps = new Set(decided.map((d) => d.key));
    const touched = [...states.values()].filter((st) => st.dirty || withOps.has(st.key));
    if (touched.length === 0) return [];
    if (tx.dialect === 'postgres' && !lockedOnRead) {
      // Lock what will be written (key order) and redo any row another transaction changed since the read
      // (the timer pass, or a reading of the same point through another gateway): no lost update.
      const locked = await loadStates(tx, touched.map((st) => st.key), true);
      const changed = new Set(touched.filter((st) => locked.get(st.key)?.stamp !== st.stamp).map((st) => st.key));
      if (changed.size > 0) {
        const redo = new Map([...changed].map((k) => [k, locked.get(k)] as const).filter((e): e is [string, RuleState] => e[1] !== undefined));
        const again = this.run(order, perReading, redo, now, changed);
        for (const k of changed) states.set(k, redo.get(k) ?? states.get(k)!);
        const kept = decided.filter((d) => !changed.has(d.key));
        decided.length = 0;
        decided.push(...[...kept, ...again].sort((x, y) => x.at - y.at));
      }
    }
    await saveStates(tx, states.values(), now);
    return decided.map((d) => d.op);
  }

  /**
   * Apply the readings to the states (missing ones start fresh), in `order`; only `only` keys when given.
   * Each key's state depends only on the readings that touch it, so keys can be redone one by one.
   */
  private run(
    order: readonly { r: TelemetryEvent; i: number }[],
    perReading: readonly Touch[][],
    states: Map<string, RuleState>,
    now: number,
    only?: ReadonlySet<string>,
  ): { key: string; at: number; op: OutboxOp }[] {
    const out: { key: string; at: number; op: OutboxOp }[] = [];
    order.forEach(({ r, i }, at) => {
      for (const touch of perReading[i]!) {
        if (only && !only.has(touch.key)) continue;
        let st = states.get(touch.key);
        if (!st) {
          st = freshState(touch.key, touch.rule.id, splitSite(r.point).siteId);
          states.set(touch.key, st);
        }
        for (const op of touch.handler.apply(touch.rule, st, r, now)) out.push({ key: touch.key, at, op });
      }
    });
    return out;
  }

  /** Apply the newest stored version if it is newer than the one in force (cheap: one version query). */
  async reloadIfNewer(db: SqlDb): Promise<void> {
    if ((await latestRuleSetVersion(db)) > this.set.version) await this.loadFromDb(db);
  }

  async runTimers(db: SqlDb, now: number, enqueue: Enqueue): Promise<number> {
    if (this.clock.monotonic() - this.lastReloadCheck >= (this.deps.reloadCheckMs ?? 2000)) {
      this.lastReloadCheck = this.clock.monotonic();
      await this.reloadIfNewer(db);
    }
    let enqueued = 0;
    if (this.clock.monotonic() - this.lastStaleScan >= (this.deps.staleScanMs ?? 5000)) {
      this.lastStaleScan = this.clock.monotonic();
      enqueued += await this.scanStale(db, now, enqueue);
    }
    enqueued += await db.transaction(async (tx) => {
      const rows = await tx.query<Parameters<typeof fromStateRow>[0]>(
        `SELECT * FROM rule_state WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at LIMIT 200${tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''}`,
        [now],
      );
      if (rows.length === 0) return 0;
      const states: RuleState[] = rows.map(fromStateRow);
      const ops: OutboxOp[] = [];
      for (const st of states) {
        const rule = this.byId.get(st.ruleId);
        if (!rule || rule.kind === 'gateway-offline' || !rule.enabled) {
          st.dueAt = null;
          st.dirty = true;
          continue;
        }
        ops.push(...(await handlerFor(rule).due(rule, st, now, tx)));
      }
      await saveStates(tx, states, now);
      return ops.length > 0 ? enqueue(tx, ops) : 0;
    });
    return enqueued;
  }

  /** Stale-data rules: an indexed scan of telemetry_latest for points without fresh good data. */
  private async scanStale(db: SqlDb, now: number, enqueue: Enqueue): Promise<number> {
    let enqueued = 0;
    for (const rule of this.set.rules) {
      if (rule.kind !== 'stale' || !rule.enabled) continue;
      enqueued += await db.transaction(async (tx) => {
        const { ops, states } = await clearFreshStale(tx, rule, now - rule.maxAgeSec * 1000, now);
        await saveStates(tx, states, now);
        return ops.length > 0 ? enqueue(tx, ops) : 0;
      });
      const candidates = await staleCandidates(db, rule, now - rule.maxAgeSec * 1000);
      if (candidates.length === 0) continue;
      if (rule.siteTypes) await this.resolveSites(new Set(candidates.map((c) => c.siteId)));
      const due = candidates.filter((c) => this.applies(rule, c.siteId) && matchesAny(rule.points, splitSite(c.point).rel));
      if (due.length === 0) continue;
      enqueued += await db.transaction(async (tx) => {
        const { ops, states } = await raiseStale(tx, rule, due, now);
        await saveStates(tx, states, now);
        return ops.length > 0 ? enqueue(tx, ops) : 0;
      });
    }
    return enqueued;
  }

  gatewayOfflineGraceMs(siteIds: readonly string[]): number | undefined {
    let best: number | undefined;
    for (const rule of this.set.rules) {
      if (rule.kind !== 'gateway-offline') continue;
      if (!siteIds.some((s) => this.applies(rule, s))) continue;
      best = Math.min(best ?? Infinity, rule.graceSec * 1000);
    }
    return best;
  }
}
