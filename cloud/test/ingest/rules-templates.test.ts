/** Rule templates validate and carry DOMAIN.md numbers; tailings aggregation vectors; schema errors name the path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { WarningColour } from '@safeloop/contract';
import { aggregateColours, evaluateCompound, evaluatePond, loadRuleFile, mergeRuleSets, parseRuleSet, pointColour, type CompoundRule, type LimitRule } from '../../src/rules/index.ts';

const TEMPLATES = new URL('../../rules/templates/', import.meta.url).pathname;
const PROMO = { blue: 4, yellow: 3, orange: 2 };

test('every template validates, ids are unique across templates, and each site type is covered', () => {
  const sets = ['hazchem-tank-farm', 'tailings-pond', 'coal-mine'].map((n) => loadRuleFile(join(TEMPLATES, `${n}.yaml`)));
  const merged = mergeRuleSets(sets);
  assert.equal(merged.rules.length, sets.reduce((n, s) => n + s.rules.length, 0));
  for (const [set, type] of [[sets[0]!, 'hazchem'], [sets[1]!, 'tailings'], [sets[2]!, 'coal']] as const) {
    assert.ok(set.rules.every((r) => r.siteTypes?.includes(type)), `${type} template scoped to its site type`);
    for (const kind of ['limit', 'rate', 'compound', 'stale', 'gateway-offline'] as const) {
      if (type === 'tailings' && kind === 'limit') continue;
      assert.ok(set.rules.some((r) => r.kind === kind), `${type} has a ${kind} rule`);
    }
  }
  assert.ok(sets[1]!.rules.some((r) => r.kind === 'tailings-aggregate'));
});

test('templates use the DOMAIN.md numbers', () => {
  const hz = loadRuleFile(join(TEMPLATES, 'hazchem-tank-farm.yaml'));
  const lel = hz.rules.find((r) => r.id === 'hz-combustible-gas') as LimitRule;
  assert.deepEqual(lel.limits.map((l) => [l.level, l.value]), [['GAS_1', 25], ['GAS_2', 50]]);
  const h2s = hz.rules.find((r) => r.id === 'hz-h2s') as LimitRule;
  assert.deepEqual(h2s.limits.map((l) => l.value), [10, 20]);
  const cm = loadRuleFile(join(TEMPLATES, 'coal-mine.yaml'));
  const face = cm.rules.find((r) => r.id === 'cm-ch4-working-face') as LimitRule;
  assert.deepEqual(face.limits.map((l) => [l.level, l.value, l.value - l.deadband]), [['GAS_1', 1, 1], ['GAS_2', 1.5, 1]]);
  assert.equal((cm.rules.find((r) => r.id === 'cm-co') as LimitRule).limits[0]?.value, 24);
  const tp = loadRuleFile(join(TEMPLATES, 'tailings-pond.yaml'));
  const agg = tp.rules.find((r) => r.kind === 'tailings-aggregate');
  assert.ok(agg && agg.kind === 'tailings-aggregate');
  const phreatic = agg.items.find((i) => i.id === 'phreatic')!;
  assert.ok(Math.abs(phreatic.thresholds.orange! - 1.1 * phreatic.thresholds.red!) < 1e-9, 'orange = 1.1 × red');
  const slide = agg.items.find((i) => i.id === 'landslide')!;
  assert.ok(Math.abs(slide.thresholds.orange! - 0.8 * slide.thresholds.red!) < 1e-9, 'orange = 80 % of red');
  assert.equal(agg.items.find((i) => i.id === 'rainfall')!.thresholds.yellow, 50);
  const flood = tp.rules.find((r) => r.id === 'tp-flood-and-rain') as CompoundRule;
  assert.deepEqual([flood.mode, flood.colour, flood.conditions[1]?.value], ['all', 'orange', 50]);
});

test('a bad rule file fails with the file and the path of the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rules-'));
  try {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'version: 1\nrules:\n  - id: x\n    kind: limit\n    points: ["a/b"]\n    limits: [{ level: GAS_9, direction: high, value: 1 }]\n');
    assert.throws(() => loadRuleFile(f), /bad\.yaml: rules\.0\.limits\.0\.level/);
    writeFileSync(f, 'version: 1\nrules:\n  - { id: x, kind: stale, points: ["a/b"], maxAgeSec: 5 }\n  - { id: x, kind: gateway-offline, graceSec: 5 }\n');
    assert.throws(() => loadRuleFile(f), /bad\.yaml: rules\.1\.id: duplicate rule id x/);
    assert.throws(() => parseRuleSet({ version: 0, rules: [] }), /version/);
    assert.throws(() => parseRuleSet({ version: 1, rules: [{ id: 'r', kind: 'limit', points: ['a/b/c'], limits: [{ level: 'H', direction: 'high', value: 1 }] }] }), /rules\.0\.points\.0: must be device\/point/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tailings vectors: point colour, item promotion (4 blue → yellow, 3 yellow → orange, 2 orange → red), pond promotion', () => {
  const depth = { direction: 'low' as const, thresholds: { blue: 8.5, yellow: 7.5, orange: 6.6, red: 6.0 } };
  assert.equal(pointColour(depth, 9), null);
  assert.equal(pointColour(depth, 8.5), 'blue');
  assert.equal(pointColour(depth, 7), 'yellow');
  assert.equal(pointColour(depth, 6.5), 'orange');
  assert.equal(pointColour(depth, 5.9), 'red');
  assert.equal(pointColour({ direction: 'high', thresholds: { yellow: 50, orange: 100 } }, 49.9), null);
  assert.equal(pointColour({ direction: 'high', thresholds: { yellow: 50, orange: 100 } }, 120), 'orange');
  const vectors: [(WarningColour | null)[], WarningColour | null][] = [
    [[], null],
    [[null, null], null],
    [['blue', 'blue', 'blue'], 'blue'],
    [['blue', 'blue', 'blue', 'blue'], 'yellow'],
    [['blue', 'blue', 'blue', 'blue', null], 'yellow'],
    [['yellow', 'yellow'], 'yellow'],
    [['yellow', 'yellow', 'yellow'], 'orange'],
    [['yellow', 'blue', 'blue', 'blue'], 'yellow'],
    [['orange', 'yellow', 'yellow'], 'orange'],
    [['orange'], 'orange'],
    [['orange', 'orange'], 'red'],
    [['red'], 'red'],
    // No cascade (DOMAIN.md §3.2 [D]): 4 blue + 2 yellow is yellow, not "3 yellow".
    [['blue', null, 'blue', 'blue', 'blue', 'yellow', 'yellow'], 'yellow'],
  ];
  for (const [input, expected] of vectors) assert.equal(aggregateColours(input, PROMO), expected, `${JSON.stringify(input)} → ${expected}`);
  const rule = {
    promotion: PROMO,
    items: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, points: [`${id}-*/v`], direction: 'high' as const, thresholds: { blue: 1 } })),
  };
  const itemOf = (rel: string): string => rel.slice(0, 1);
  // Four items at blue make the pond yellow; three blue items stay blue.
  assert.equal(evaluatePond(rule, { 'a-1/v': 'blue', 'b-1/v': 'blue', 'c-1/v': 'blue' }, itemOf).pond, 'blue');
  assert.deepEqual(evaluatePond(rule, { 'a-1/v': 'blue', 'b-1/v': 'blue', 'c-1/v': 'blue', 'd-1/v': 'blue' }, itemOf).pond, 'yellow');
  // Four blue points inside one item: item yellow → pond yellow.
  const one = evaluatePond(rule, { 'a-1/v': 'blue', 'a-2/v': 'blue', 'a-3/v': 'blue', 'a-4/v': 'blue' }, itemOf);
  assert.deepEqual([one.items.a, one.pond], ['yellow', 'yellow']);
  // Two items at orange → pond red.
  assert.equal(evaluatePond(rule, { 'a-1/v': 'orange', 'b-1/v': 'orange' }, itemOf).pond, 'red');
  // Three items at yellow (one by promotion) → pond orange.
  assert.equal(evaluatePond(rule, { 'a-1/v': 'yellow', 'b-1/v': 'yellow', 'c-1/v': 'blue', 'c-2/v': 'blue', 'c-3/v': 'blue', 'c-4/v': 'blue' }, itemOf).pond, 'orange');
});

test('compound all/any with unknown inputs', () => {
  const base = { id: 'c', kind: 'compound' as const, enabled: true, durationSec: 0, colour: 'orange' as const, conditions: [{ point: 'a/x', op: '>=' as const, value: 1 }, { point: 'b/y', op: '<' as const, value: 5 }] };
  const v = (good: number | null) => ({ value: good, quality: good === null ? 'bad' : 'good', sourceTime: 1, good });
  assert.equal(evaluateCompound({ ...base, mode: 'all' }, { 'a/x': v(2), 'b/y': v(1) }), true);
  assert.equal(evaluateCompound({ ...base, mode: 'all' }, { 'a/x': v(2), 'b/y': v(null) }), undefined);
  assert.equal(evaluateCompound({ ...base, mode: 'all' }, { 'a/x': v(0), 'b/y': v(null) }), false);
  assert.equal(evaluateCompound({ ...base, mode: 'any' }, { 'a/x': v(2) }), true);
  assert.equal(evaluateCompound({ ...base, mode: 'any' }, { 'a/x': v(0) }), undefined);
  assert.equal(evaluateCompound({ ...base, mode: 'any' }, { 'a/x': v(0), 'b/y': v(9) }), false);
});
