import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TailingsAggregateRuleSchema } from '../rules/index.ts';
import type { LatestValue } from '../store/telemetry-store.ts';
import { buildTailingsView, tailingsRulesFor } from './tailings-view.ts';

const rule = TailingsAggregateRuleSchema.parse({
  id: 'pond',
  kind: 'tailings-aggregate',
  sites: ['tp'],
  items: [
    { id: 'level', points: ['lv-*/waterLevel'], direction: 'high', thresholds: { blue: 10, yellow: 11, orange: 12, red: 13 } },
    { id: 'beach', points: ['b-*/beachLength'], direction: 'low', thresholds: { blue: 100, yellow: 90, orange: 80, red: 70 } },
    { id: 'any-level', points: ['*/waterLevel'], direction: 'high', thresholds: { red: 0 } },
  ],
});

const latest = (rel: string, value: number, quality: LatestValue['quality'] = 'good'): LatestValue =>
  ({ point: `tp/${rel}`, siteId: 'tp', gatewayId: 'g', value, unit: 'm', quality, reason: null, sourceTime: 1, gatewayTime: 1, eventId: 'x', historical: false, stale: false, goodSince: null }) as LatestValue;

void test('the rule’s own state wins: a point whose data went bad keeps the colour the warning carries', () => {
  const view = buildTailingsView(rule, 'tp', [latest('lv-1/waterLevel', 5, 'bad'), latest('b-1/beachLength', 85)], { 'lv-1/waterLevel': { colour: 'orange' } }, new Map());
  const level = view.items.find((i) => i.id === 'level');
  assert.equal(level?.points[0]?.colour, 'orange');
  assert.equal(level?.points[0]?.colourFrom, 'rule');
  assert.equal(view.items.find((i) => i.id === 'beach')?.colour, 'yellow', '85 m ≤ yellow 90 (low direction), from the latest good value');
  assert.equal(view.colour, 'orange');
});

void test('a point belongs to the first item that selects it, as in the rule', () => {
  const view = buildTailingsView(rule, 'tp', [latest('lv-1/waterLevel', 10.5)], {}, new Map());
  assert.equal(view.items.find((i) => i.id === 'level')?.points.length, 1);
  assert.equal(view.items.find((i) => i.id === 'any-level')?.points.length, 0, 'not graded twice');
});

void test('rules that apply: by site, by site type, disabled ones never', () => {
  const rules = [
    { ...rule },
    { ...rule, id: 'other', sites: ['elsewhere'] },
    { ...rule, id: 'typed', sites: undefined, siteTypes: ['tailings'] },
    { ...rule, id: 'off', enabled: false },
  ];
  assert.deepEqual(tailingsRulesFor(rules, { id: 'tp', type: 'tailings' }).map((r) => r.id), ['pond', 'typed']);
  assert.deepEqual(tailingsRulesFor(rules, { id: 'tp', type: 'hazchem' }).map((r) => r.id), ['pond']);
});
