/**
 * Compound rules: conditions on several points of one site combined with all/any, held for
 * durationSec → a graded site warning (e.g. pond level above the flood-control level while 24 h
 * rainfall ≥ 50 mm → orange). An input that is missing, bad, uncertain or stale is unknown:
 * unknown never raises an `all` and never clears anything.
 */
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { goodNumber, type KindHandler } from './kind-handler.ts';
import type { CompoundRule } from './schema.ts';
import type { RuleState } from './state.ts';

type Input = { value: unknown; quality: string; sourceTime: number; good: number | null };

function compare(op: CompoundRule['conditions'][number]['op'], a: number, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

/** true / false / undefined (unknown). */
export function evaluateCompound(rule: CompoundRule, inputs: Record<string, Input | undefined>): boolean | undefined {
  const results = rule.conditions.map((c) => {
    const i = inputs[c.point];
    return i && i.good !== null ? compare(c.op, i.good, c.value) : undefined;
  });
  if (rule.mode === 'all') {
    if (results.some((x) => x === false)) return false;
    return results.every((x) => x === true) ? true : undefined;
  }
  if (results.some((x) => x === true)) return true;
  return results.every((x) => x === false) ? false : undefined;
}

function key(rule: CompoundRule, st: RuleState): string {
  return `compound:${rule.id}:${st.siteId}`;
}

function raise(rule: CompoundRule, st: RuleState, at: number): OutboxOp {
  const inputs = (st.data.inputs as Record<string, Input | undefined> | undefined) ?? {};
  return {
    op: 'raise',
    input: {
      conditionKey: key(rule, st),
      siteId: st.siteId,
      origin: 'cloud',
      ruleId: rule.id,
      kind: 'warning',
      colour: rule.colour,
      title: rule.title ?? `Compound rule ${rule.id}`,
      inputs: {
        mode: rule.mode,
        durationSec: rule.durationSec,
        conditions: rule.conditions.map((c) => ({ ...c, point: `${st.siteId}/${c.point}`, actual: inputs[c.point] ?? null })),
      },
      at,
    },
  };
}

export const compoundHandler: KindHandler<CompoundRule> = {
  keys(rule, siteId, rel) {
    return rule.conditions.some((c) => c.point === rel) ? [`compound|${rule.id}|${siteId}`] : [];
  },

  apply(rule, st, r) {
    const rel = r.point.slice(r.point.indexOf('/') + 1);
    const inputs = ((st.data.inputs as Record<string, Input> | undefined) ?? {});
    const prev = inputs[rel];
    if (prev && r.sourceTime < prev.sourceTime) return [];
    const g = goodNumber(r);
    inputs[rel] = { value: r.value, quality: r.quality, sourceTime: r.sourceTime, good: g ?? null };
    st.data.inputs = inputs;
    st.lastTime = Math.max(st.lastTime, r.sourceTime);
    st.dirty = true;
    const result = evaluateCompound(rule, inputs);
    const t = r.sourceTime;
    if (result === undefined) return [];
    if (result) {
      if (st.active) return [];
      st.pendingSince ??= t;
      if (t - st.pendingSince >= rule.durationSec * 1000) {
        const at = st.pendingSince;
        st.active = true;
        st.pendingSince = null;
        st.dueAt = null;
        return [raise(rule, st, at)];
      }
      st.dueAt = st.pendingSince + rule.durationSec * 1000;
      return [];
    }
    st.pendingSince = null;
    st.dueAt = null;
    if (!st.active) return [];
    st.active = false;
    return [{ op: 'clear', input: { conditionKey: key(rule, st), at: t, reason: 'compound condition no longer holds (good data)' } }];
  },

  due(rule, st) {
    st.dirty = true;
    st.dueAt = null;
    if (st.active || st.pendingSince === null) return Promise.resolve([]);
    const at = st.pendingSince;
    st.active = true;
    st.pendingSince = null;
    return Promise.resolve([raise(rule, st, at)]);
  },
};
