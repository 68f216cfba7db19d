/**
 * Rate-of-change rules: the change of a point over `windowSec`, in units per minute, against
 * maxRisePerMin / maxFallPerMin. Samples of the window live in the rule state. Needs at least
 * half a window of good data; bad data neither raises nor clears.
 */
import { stepRate, type RateState } from '@safeloop/contract';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { matchesAny } from './glob.ts';
import { goodNumber, readingInput, type KindHandler } from './kind-handler.ts';
import type { RateRule } from './schema.ts';

export const rateHandler: KindHandler<RateRule> = {
  keys(rule, _siteId, rel, point) {
    return matchesAny(rule.points, rel) ? [`rate|${rule.id}|${point}`] : [];
  },

  apply(rule, st, r) {
    const v = goodNumber(r);
    if (v === undefined) return [];
    // The window arithmetic is the shared evaluator's (contract/src/rate-of-change.ts), as at the edge.
    const rate: RateState = { samples: (st.data.samples as [number, number][] | undefined) ?? [], lastTime: st.lastTime };
    const verdict = stepRate(rate, r.sourceTime, v, rule);
    if (rate.lastTime !== st.lastTime || rate.samples !== st.data.samples) {
      st.lastTime = rate.lastTime;
      st.data.samples = rate.samples;
      st.dirty = true;
    }
    if (!verdict) return [];
    const { over, perMin, from: first } = verdict;
    const point = st.key.split('|')[2] ?? '';
    const conditionKey = `rate:${rule.id}:${point}`;
    if (over && !st.active) {
      st.active = true;
      const op: OutboxOp = {
        op: 'raise',
        input: {
          conditionKey,
          siteId: st.siteId,
          point,
          origin: 'cloud',
          ruleId: rule.id,
          kind: 'point',
          level: rule.level,
          ...(rule.colour ? { colour: rule.colour } : {}),
          title: `${rule.title ?? 'Rate of change'} ${point}`,
          value: v,
          inputs: { [point]: readingInput(r), ratePerMin: perMin, windowSec: rule.windowSec, from: first, maxRisePerMin: rule.maxRisePerMin ?? null, maxFallPerMin: rule.maxFallPerMin ?? null },
          at: r.sourceTime,
        },
      };
      return [op];
    }
    if (!over && st.active) {
      st.active = false;
      return [{ op: 'clear', input: { conditionKey, at: r.sourceTime, value: v, reason: `rate ${perMin.toFixed(3)}/min back within limit` } }];
    }
    return [];
  },

  due(_rule, st) {
    st.dueAt = null;
    st.dirty = true;
    return Promise.resolve([]);
  },
};
