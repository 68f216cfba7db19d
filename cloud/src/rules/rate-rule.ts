/**
 * Rate-of-change rules: the change of a point over `windowSec`, in units per minute, against
 * maxRisePerMin / maxFallPerMin. Samples of the window live in the rule state. Needs at least
 * half a window of good data; bad data neither raises nor clears.
 */
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
    if (v === undefined || r.sourceTime < st.lastTime) return [];
    st.lastTime = r.sourceTime;
    st.dirty = true;
    const windowMs = rule.windowSec * 1000;
    // Samples inside the window plus the newest one before it, so a slowly reporting point still has a baseline.
    const all = (st.data.samples as [number, number][] | undefined) ?? [];
    const cutoff = r.sourceTime - windowMs;
    const firstInside = all.findIndex(([t]) => t >= cutoff);
    const samples = firstInside === -1 ? all.slice(-1) : all.slice(Math.max(0, firstInside - 1));
    samples.push([r.sourceTime, v]);
    st.data.samples = samples.slice(-500);
    const first = samples[0]!;
    const span = r.sourceTime - first[0];
    if (span < windowMs / 2) return [];
    const perMin = ((v - first[1]) / span) * 60_000;
    const over = (rule.maxRisePerMin !== undefined && perMin >= rule.maxRisePerMin) || (rule.maxFallPerMin !== undefined && -perMin >= rule.maxFallPerMin);
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
          inputs: { [point]: readingInput(r), ratePerMin: perMin, windowSec: rule.windowSec, from: { time: first[0], value: first[1] }, maxRisePerMin: rule.maxRisePerMin ?? null, maxFallPerMin: rule.maxFallPerMin ?? null },
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
