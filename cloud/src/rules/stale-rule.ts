/**
 * Stale-data and device comm-loss rules: no fresh good reading of a point within maxAgeSec
 * (measured on the cloud's clock at arrival, so a gateway clock offset does not fake staleness),
 * or a reading marked comm_lost → a system alarm on the point. Fresh good data clears it.
 */
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { matchesAny } from './glob.ts';
import { goodNumber, readingInput, type KindHandler } from './kind-handler.ts';
import type { StaleRule } from './schema.ts';
import type { RuleState } from './state.ts';

function pointOf(st: RuleState): string {
  return st.key.split('|')[2] ?? '';
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
      title: `${rule.title ?? 'No fresh data'} ${point}: ${why}`,
      inputs,
      at,
    },
  };
}

export const staleHandler: KindHandler<StaleRule> = {
  keys(rule, _siteId, rel, point) {
    return matchesAny(rule.points, rel) ? [`stale|${rule.id}|${point}`] : [];
  },

  apply(rule, st, r, now) {
    st.dirty = true;
    const good = r.quality === 'good' && (goodNumber(r) !== undefined || typeof r.value !== 'number');
    if (good) {
      st.data.lastGoodAt = now;
      st.dueAt = now + rule.maxAgeSec * 1000;
      if (st.active) {
        st.active = false;
        return [{ op: 'clear', input: { conditionKey: `stale:${pointOf(st)}`, at: r.sourceTime, value: r.value, reason: 'fresh good data' } }];
      }
      return [];
    }
    if (rule.commLoss && r.reason === 'comm_lost' && !st.active) {
      st.active = true;
      return [raise(rule, st, r.sourceTime, 'device communication lost', { [pointOf(st)]: readingInput(r) })];
    }
    return [];
  },

  due(rule, st, now) {
    st.dirty = true;
    st.dueAt = null;
    if (st.active) return Promise.resolve([]);
    st.active = true;
    const lastGoodAt = (st.data.lastGoodAt as number | undefined) ?? null;
    return Promise.resolve([raise(rule, st, now, `no good reading for ${rule.maxAgeSec} s`, { lastGoodAt, maxAgeSec: rule.maxAgeSec })]);
  },
};
