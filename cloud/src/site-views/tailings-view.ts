/**
 * The 尾矿库 view of a site: per monitoring item (库水位, 安全超高, 干滩长度, 浸润线, 位移, 降雨 …) its
 * four-colour state, the thresholds it is graded against and its points; the pond's colour from the
 * same point → item → pond aggregation the tailings rule raises its warning with (GB 50863 §5.5.4).
 * Point colours come from the rule's own state where it has one (bad or stale data keeps the last
 * colour there, so the page and the warning never disagree), else from the latest good value.
 */
import type { WarningColour } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';
import { evaluatePond, pointColour, tailingsStateKey, type TailingsAggregateRule } from '../rules/index.ts';
import { matchesAny } from '../rules/glob.ts';
import type { LatestValue } from '../store/telemetry-store.ts';

export interface TailingsPointView {
  path: string;
  name: string | null;
  unit: string | null;
  value: unknown;
  quality: string | null;
  sourceTime: number | null;
  colour: WarningColour | null;
  /** Where the colour comes from: the rule's state, the latest good value, or nothing yet. */
  colourFrom: 'rule' | 'latest' | 'none';
}

export interface TailingsItemView {
  id: string;
  title: string | null;
  direction: 'high' | 'low';
  thresholds: TailingsAggregateRule['items'][number]['thresholds'];
  colour: WarningColour | null;
  points: TailingsPointView[];
}

export interface TailingsView {
  ruleId: string;
  title: string | null;
  colour: WarningColour | null;
  promotion: TailingsAggregateRule['promotion'];
  items: TailingsItemView[];
}

type RuleLike = { kind: string; enabled?: boolean; sites?: string[] | undefined; siteTypes?: string[] | undefined };

/** The tailings-aggregate rules that apply to a site (same selection as the engine: sites, else siteTypes, else all). */
export function tailingsRulesFor(rules: readonly RuleLike[], site: { id: string; type: string }): TailingsAggregateRule[] {
  return rules.filter((r): r is TailingsAggregateRule => {
    if (r.kind !== 'tailings-aggregate' || r.enabled === false) return false;
    if (r.sites && !r.sites.includes(site.id)) return false;
    if (r.siteTypes && !r.siteTypes.includes(site.type)) return false;
    return true;
  });
}

interface RulePointState {
  colour: WarningColour | null;
}

async function ruleStatePoints(db: SqlDb, ruleId: string, siteId: string): Promise<Record<string, RulePointState>> {
  const rows = await db.query<{ data: string }>('SELECT data FROM rule_state WHERE state_key = $1', [tailingsStateKey(ruleId, siteId)]);
  if (!rows[0]) return {};
  const data = JSON.parse(rows[0].data) as { points?: Record<string, RulePointState> };
  return data.points ?? {};
}

export function buildTailingsView(
  rule: TailingsAggregateRule,
  siteId: string,
  latest: readonly LatestValue[],
  fromRule: Record<string, RulePointState>,
  names: ReadonlyMap<string, string>,
): TailingsView {
  const prefix = `${siteId}/`;
  const rels = new Set<string>([...latest.map((l) => l.point.slice(prefix.length)), ...Object.keys(fromRule)]);
  const latestByRel = new Map(latest.map((l) => [l.point.slice(prefix.length), l]));
  const colours: Record<string, WarningColour | null> = {};
  // A point belongs to the first item whose globs select it, as in the rule.
  const itemOf = (rel: string): string | undefined => rule.items.find((i) => matchesAny(i.points, rel))?.id;
  const items: TailingsItemView[] = rule.items.map((item) => {
    const points: TailingsPointView[] = [...rels]
      .filter((rel) => itemOf(rel) === item.id)
      .sort()
      .map((rel) => {
        const l = latestByRel.get(rel);
        const state = fromRule[rel];
        let colour: WarningColour | null = null;
        let colourFrom: TailingsPointView['colourFrom'] = 'none';
        if (state) {
          colour = state.colour ?? null;
          colourFrom = 'rule';
        } else if (l && l.quality === 'good' && typeof l.value === 'number') {
          colour = pointColour(item, l.value);
          colourFrom = 'latest';
        }
        colours[rel] = colour;
        const path = `${prefix}${rel}`;
        return { path, name: names.get(path) ?? null, unit: l?.unit ?? null, value: l?.value ?? null, quality: l?.quality ?? null, sourceTime: l?.sourceTime ?? null, colour, colourFrom };
      });
    return { id: item.id, title: item.title ?? null, direction: item.direction, thresholds: item.thresholds, colour: null, points };
  });
  const ev = evaluatePond(rule, colours, itemOf);
  for (const it of items) it.colour = ev.items[it.id] ?? null;
  return { ruleId: rule.id, title: rule.title ?? null, colour: ev.pond, promotion: rule.promotion, items };
}

export async function tailingsViews(
  db: SqlDb,
  rules: readonly RuleLike[],
  site: { id: string; type: string },
  latest: readonly LatestValue[],
  names: ReadonlyMap<string, string>,
): Promise<TailingsView[]> {
  const out: TailingsView[] = [];
  for (const rule of tailingsRulesFor(rules, site)) out.push(buildTailingsView(rule, site.id, latest, await ruleStatePoints(db, rule.id, site.id), names));
  return out;
}
