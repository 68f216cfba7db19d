/**
 * Stale-data rules: no fresh good live reading of a point within maxAgeSec (measured on the cloud's
 * clock at arrival — `telemetry_latest.good_at` — so a gateway clock offset does not fake staleness)
 * → a system alarm on the point. Bad, uncertain, bad-time and backfilled readings are never fresh.
 * It clears only when the point's newest reading is good and good readings have held for
 * clearHoldSec (`good_since`), so a link that comes and goes does not flap the alarm.
 * A point whose newest reading says why it has no good value (comm lost, sensor fault, calibration …)
 * is left to the fault alarm the evaluator raises for it, with the right title.
 * The hot path neither reads nor writes state for this rule on good data: staleness and its end are
 * found by a periodic scan of telemetry_latest, not by a timer per reading.
 */
import { FAULT_FOR_REASON, type ReasonCode } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { matchesAny } from './glob.ts';
import { readingInput, type KindHandler } from './kind-handler.ts';
import type { StaleRule } from './schema.ts';
import { freshState, loadStates, type RuleState } from './state.ts';
import { bilingualTitle } from '../alarms/title.ts';

function pointOf(st: RuleState): string {
  return st.key.split('|')[2] ?? '';
}

export function staleKey(ruleId: string, point: string): string {
  return `stale|${ruleId}|${point}`;
}

function raise(rule: StaleRule, st: RuleState, at: number, why: string, inputs: Record<string, unknown>): OutboxOp {
  const point = pointOf(st);
  return {
    op: 'raise',
    input: {
      conditionKey: `stale:${point}`,
      siteId: st.siteId,
      point,
      origin: 'cloud',
      ruleId: rule.id,
      kind: 'system',
      title: rule.title ? `${rule.title} ${point}: ${why}` : bilingualTitle(`数据中断 ${point}：${why}`, `No fresh data ${point}: ${why}`),
      inputs,
      at,
    },
  };
}

export const staleHandler: KindHandler<StaleRule> = {
  keys(rule, _siteId, rel, point) {
    return matchesAny(rule.points, rel) ? [staleKey(rule.id, point)] : [];
  },

  apply(rule, st, r) {
    // Good data never clears here: the periodic scan clears once good data has held (no flapping).
    if (rule.commLoss && r.reason === 'comm_lost' && r.historical !== true && !st.active) {
      st.active = true;
      st.dirty = true;
      return [raise(rule, st, r.sourceTime, 'device communication lost', { [pointOf(st)]: readingInput(r) })];
    }
    return [];
  },

  due(_rule, st) {
    st.dueAt = null;
    st.dirty = true;
    return Promise.resolve([]);
  },
};

/** `device/point` glob → a LIKE pattern over full point paths (a superset; matchesAny refines). */
function likePattern(glob: string): string {
  return `%/${glob.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%')}`;
}

/** Reasons that raise a fault alarm of their own (comm_lost, sensor_fault …): not a stale-data matter. */
const FAULT_REASONS = (Object.keys(FAULT_FOR_REASON) as ReasonCode[]).filter((r) => r !== 'bad_time');

/** Candidate points of a stale rule: no good reading since `cutoff`, no active stale alarm of this rule, no fault that explains it. */
export async function staleCandidates(db: SqlDb, rule: StaleRule, cutoff: number, limit = 2000): Promise<{ point: string; siteId: string; goodAt: number }[]> {
  const likes = rule.points.map((_, i) => `l.point LIKE $${i + 3} ESCAPE '\\'`).join(' OR ');
  const faults = FAULT_REASONS.map((r) => `'${r}'`).join(', ');
  const rows = await db.query<{ point: string; site_id: string; good_at: number }>(
    `SELECT l.point, l.site_id, l.good_at FROM telemetry_latest l
     WHERE l.good_at < $1 AND (${likes})
       AND NOT (l.stale = 0 AND l.quality <> 'good' AND l.reason IN (${faults}))
       AND NOT EXISTS (SELECT 1 FROM rule_state s WHERE s.state_key = $2 || l.point AND s.active = 1)
     ORDER BY l.good_at LIMIT ${limit}`,
    [cutoff, `stale|${rule.id}|`, ...rule.points.map(likePattern)],
  );
  return rows.map((r) => ({ point: r.point, siteId: r.site_id, goodAt: Number(r.good_at) }));
}

/** Raise stale alarms for these points (inside a transaction; rows locked so workers agree). */
export async function raiseStale(tx: SqlDb, rule: StaleRule, points: readonly { point: string; siteId: string; goodAt: number }[], now: number): Promise<{ ops: OutboxOp[]; states: RuleState[] }> {
  const keys = points.map((p) => staleKey(rule.id, p.point));
  const existing = await loadStates(tx, keys);
  const ops: OutboxOp[] = [];
  const states: RuleState[] = [];
  for (const p of points) {
    const key = staleKey(rule.id, p.point);
    const st = existing.get(key) ?? freshState(key, rule.id, p.siteId);
    if (st.active) continue;
    st.active = true;
    st.dirty = true;
    states.push(st);
    ops.push(raise(rule, st, now, `no good reading for ${rule.maxAgeSec} s`, { lastGoodAt: p.goodAt > 0 ? p.goodAt : null, maxAgeSec: rule.maxAgeSec }));
  }
  return { ops, states };
}

/**
 * Active stale alarms of this rule whose point's newest reading is good, live and fresh (since `cutoff`)
 * and whose good run began at least clearHoldSec ago: clear them.
 */
export async function clearFreshStale(tx: SqlDb, rule: StaleRule, cutoff: number, now: number): Promise<{ ops: OutboxOp[]; states: RuleState[] }> {
  const prefix = `stale|${rule.id}|`;
  const rows = await tx.query<{ state_key: string; good_at: number }>(
    `SELECT s.state_key, l.good_at FROM rule_state s JOIN telemetry_latest l ON l.point = substr(s.state_key, $3)
     WHERE s.rule_id = $1 AND s.active = 1 AND substr(s.state_key, 1, $4) = $2 AND l.good_at >= $5
       AND l.quality = 'good' AND l.stale = 0 AND l.good_since > 0 AND l.good_since <= $6`,
    [rule.id, prefix, prefix.length + 1, prefix.length, cutoff, now - rule.clearHoldSec * 1000],
  );
  if (rows.length === 0) return { ops: [], states: [] };
  const locked = await loadStates(tx, rows.map((r) => r.state_key));
  const ops: OutboxOp[] = [];
  const states: RuleState[] = [];
  for (const st of locked.values()) {
    if (!st.active) continue;
    st.active = false;
    st.dirty = true;
    states.push(st);
    ops.push({ op: 'clear', input: { conditionKey: `stale:${pointOf(st)}`, at: now, reason: 'fresh good data' } });
  }
  return { ops, states };
}
