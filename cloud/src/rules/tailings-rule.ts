/**
 * Tailings pond aggregation (GB 50863-2013 §5.5.4, DOMAIN.md §3.2): each monitoring point gets a
 * colour from its item's thresholds; an item's colour is the highest of its points', promoted one
 * step by counts (≥ 4 points at blue or above → yellow, ≥ 3 at yellow or above → orange, ≥ 2 at
 * orange or above → red); the pond applies the same promotion across items. The pond colour is a
 * site warning under one condition key; a change of colour re-raises it with the new colour.
 * A point with bad or stale data keeps its last colour: such data never lowers a warning.
 */
import { WARNING_COLOUR_RANK, type WarningColour } from '@safeloop/contract';
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { matchesAny } from './glob.ts';
import { goodNumber, type KindHandler } from './kind-handler.ts';
import type { TailingsAggregateRule } from './schema.ts';

type Item = TailingsAggregateRule['items'][number];
type Promotion = TailingsAggregateRule['promotion'];
const BY_RANK: WarningColour[] = ['blue', 'yellow', 'orange', 'red'];

export function maxColour(colours: readonly (WarningColour | null)[]): WarningColour | null {
  let best: WarningColour | null = null;
  for (const c of colours) if (c && (!best || WARNING_COLOUR_RANK[c] > WARNING_COLOUR_RANK[best])) best = c;
  return best;
}

/** The colour one point's value gives under its item's thresholds, or null (normal). */
export function pointColour(item: Pick<Item, 'direction' | 'thresholds'>, value: number): WarningColour | null {
  let found: WarningColour | null = null;
  for (const c of BY_RANK) {
    const th = item.thresholds[c];
    if (th === undefined) continue;
    if (item.direction === 'high' ? value >= th : value <= th) found = c;
  }
  return found;
}

/** Highest colour, promoted one step when enough members sit at (or above) a colour. */
export function aggregateColours(colours: readonly (WarningColour | null)[], promotion: Promotion): WarningColour | null {
  let result = maxColour(colours);
  const atLeast = (c: WarningColour): number => colours.filter((x) => x && WARNING_COLOUR_RANK[x] >= WARNING_COLOUR_RANK[c]).length;
  const promoted: [WarningColour, number, WarningColour][] = [
    ['blue', promotion.blue, 'yellow'],
    ['yellow', promotion.yellow, 'orange'],
    ['orange', promotion.orange, 'red'],
  ];
  for (const [from, n, to] of promoted) if (atLeast(from) >= n) result = maxColour([result, to]);
  return result;
}

export interface PondEvaluation {
  pond: WarningColour | null;
  items: Record<string, WarningColour | null>;
}

export function evaluatePond(rule: Pick<TailingsAggregateRule, 'items' | 'promotion'>, pointColours: Record<string, WarningColour | null>, itemOfPoint: (rel: string) => string | undefined): PondEvaluation {
  const perItem = new Map<string, (WarningColour | null)[]>();
  for (const [rel, c] of Object.entries(pointColours)) {
    const item = itemOfPoint(rel);
    if (item === undefined) continue;
    const list = perItem.get(item) ?? [];
    list.push(c);
    perItem.set(item, list);
  }
  const items: Record<string, WarningColour | null> = {};
  for (const it of rule.items) items[it.id] = aggregateColours(perItem.get(it.id) ?? [], rule.promotion);
  return { pond: aggregateColours(Object.values(items), rule.promotion), items };
}

/** The rule-state row of one pond under one rule (the site view reads the same row). */
export function tailingsStateKey(ruleId: string, siteId: string): string {
  return `tailings|${ruleId}|${siteId}`;
}

function itemFor(rule: TailingsAggregateRule, rel: string): Item | undefined {
  return rule.items.find((i) => matchesAny(i.points, rel));
}

export const tailingsHandler: KindHandler<TailingsAggregateRule> = {
  keys(rule, siteId, rel) {
    return itemFor(rule, rel) ? [tailingsStateKey(rule.id, siteId)] : [];
  },

  apply(rule, st, r) {
    const rel = r.point.slice(r.point.indexOf('/') + 1);
    const item = itemFor(rule, rel);
    if (!item) return [];
    const v = goodNumber(r);
    const points = (st.data.points as Record<string, { colour: WarningColour | null; value: unknown; quality: string; t: number }> | undefined) ?? {};
    const prev = points[rel];
    if (prev && r.sourceTime < prev.t) return [];
    // Bad or stale data: keep the last colour, record what came.
    points[rel] = { colour: v === undefined ? (prev?.colour ?? null) : pointColour(item, v), value: r.value, quality: r.quality, t: r.sourceTime };
    st.data.points = points;
    st.lastTime = Math.max(st.lastTime, r.sourceTime);
    st.dirty = true;
    const colours = Object.fromEntries(Object.entries(points).map(([k, p]) => [k, p.colour]));
    const ev = evaluatePond(rule, colours, (p) => itemFor(rule, p)?.id);
    const before = (st.data.colour as WarningColour | null | undefined) ?? null;
    if (ev.pond === before) return [];
    st.data.colour = ev.pond;
    const conditionKey = `tailings:${rule.id}:${st.siteId}`;
    if (ev.pond === null) {
      st.active = false;
      return [{ op: 'clear', input: { conditionKey, at: r.sourceTime, reason: 'every monitored item back to normal (good data)' } }];
    }
    st.active = true;
    const op: OutboxOp = {
      op: 'raise',
      input: {
        conditionKey,
        siteId: st.siteId,
        origin: 'cloud',
        ruleId: rule.id,
        kind: 'warning',
        colour: ev.pond,
        title: `${rule.title ?? 'Tailings pond warning'}: ${ev.pond}`,
        inputs: { pond: ev.pond, previous: before, items: ev.items, points: Object.fromEntries(Object.entries(points).map(([k, p]) => [`${st.siteId}/${k}`, p])) },
        at: r.sourceTime,
      },
    };
    return [op];
  },

  due(_rule, st) {
    st.dueAt = null;
    st.dirty = true;
    return Promise.resolve([]);
  },
};
