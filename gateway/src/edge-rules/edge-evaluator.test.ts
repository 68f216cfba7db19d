import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlarmLimitSchema, type Reading } from '@safeloop/contract';
import { EdgeEvaluator } from './edge-evaluator.ts';
import type { NewAlarmEvent } from '../journal/index.ts';

const alarmsOnly = (events: readonly unknown[]): NewAlarmEvent[] => (events as NewAlarmEvent[]).filter((e) => e.type === 'alarm');

const T0 = 1_750_000_000_000;
const P = 'tank-farm/gas-01/gas';

function reading(value: number, tSec: number, quality: Reading['quality'] = 'good'): Reading {
  return { point: P, value, unit: '%LEL', quality, sourceTime: T0 + tSec * 1000, gatewayTime: T0 + tSec * 1000 };
}

function gasEvaluator(extra: { deadband?: number; onDelaySec?: number; offDelaySec?: number } = {}) {
  const limits = [
    AlarmLimitSchema.parse({ level: 'GAS_1', direction: 'high', value: 25, ...extra }),
    AlarmLimitSchema.parse({ level: 'GAS_2', direction: 'high', value: 50, ...extra }),
  ];
  return new EdgeEvaluator(new Map([[P, { limits, unit: '%LEL' }]]));
}

test('a ramp through 25 and 50 %LEL raises 一级 then 二级, and the fall clears both', () => {
  const ev = gasEvaluator();
  const out = [5, 20, 26, 40, 55, 60, 45, 20, 5].flatMap((v, i) => alarmsOnly(ev.evaluate([reading(v, i)])));
  assert.deepEqual(
    out.map((e) => `${e.kind}:${e.level}@${e.value}`),
    ['raised:GAS_1@26', 'raised:GAS_2@55', 'cleared:GAS_2@45', 'cleared:GAS_1@20'],
  );
  assert.equal(out[0]?.limit, 25);
  assert.equal(out[0]?.unit, '%LEL');
});

test('deadband stops chattering around the limit', () => {
  const ev = gasEvaluator({ deadband: 2 });
  const values = [24, 25.5, 24.5, 25.2, 24.1, 23.9, 22.9];
  const out = values.flatMap((v, i) => alarmsOnly(ev.evaluate([reading(v, i)])));
  assert.deepEqual(out.map((e) => `${e.kind}@${e.value}`), ['raised@25.5', 'cleared@22.9']);
});

test('on-delay: a short spike does not raise; a sustained excursion does', () => {
  const ev = gasEvaluator({ onDelaySec: 3 });
  assert.deepEqual(ev.evaluate([reading(30, 0)]), []);
  assert.deepEqual(ev.evaluate([reading(10, 1)]), [], 'spike over');
  assert.deepEqual(ev.evaluate([reading(30, 2), reading(30, 3), reading(30, 4)]), []);
  const out = ev.evaluate([reading(31, 5)]);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.kind, 'raised');
});

test('off-delay holds the alarm until the value stays back inside', () => {
  const ev = gasEvaluator({ offDelaySec: 2 });
  assert.equal(ev.evaluate([reading(30, 0)]).length, 1);
  assert.deepEqual(ev.evaluate([reading(10, 1)]), []);
  assert.deepEqual(ev.evaluate([reading(30, 2)]), [], 'back beyond: stays active, no new raise');
  assert.deepEqual(ev.evaluate([reading(10, 3), reading(10, 4)]), []);
  assert.deepEqual(ev.evaluate([reading(10, 5)]).map((e) => e.kind), ['cleared']);
});

test('bad or uncertain data never raises and never clears', () => {
  const ev = gasEvaluator();
  assert.deepEqual(ev.evaluate([reading(80, 0, 'bad')]), [], 'bad high value does not raise');
  assert.equal(ev.evaluate([reading(30, 1)]).length, 1);
  assert.deepEqual(ev.evaluate([reading(0, 2, 'bad'), reading(0, 3, 'uncertain')]), [], 'bad zero does not clear');
  assert.deepEqual(ev.activeConditions(), [`${P}|GAS_1`]);
  assert.deepEqual(ev.evaluate([reading(0, 4)]).map((e) => e.kind), ['cleared']);
});

test('low limits (欠氧) mirror high ones', () => {
  const o2 = 'tank-farm/o2-01/o2';
  const ev = new EdgeEvaluator(new Map([[o2, { limits: [AlarmLimitSchema.parse({ level: 'L', direction: 'low', value: 19.5, deadband: 0.2 })] }]]));
  const mk = (v: number, t: number): Reading => ({ point: o2, value: v, quality: 'good', sourceTime: T0 + t, gatewayTime: T0 + t });
  assert.deepEqual(ev.evaluate([mk(20.9, 0), mk(19.5, 1)]).map((e) => e.kind), ['raised']);
  assert.deepEqual(ev.evaluate([mk(19.6, 2)]), [], 'inside deadband');
  assert.deepEqual(ev.evaluate([mk(19.8, 3)]).map((e) => e.kind), ['cleared']);
});

test('poll plans: limits are found per point whatever the batch order, and new limits take effect at once', () => {
  // A device poll of 200 points, only p150 has a limit; the store remembers the poll's layout (issue 20).
  const points = Array.from({ length: 200 }, (_, i) => `site/dev/p${i}`);
  const limit = (value: number) => ({ limits: [AlarmLimitSchema.parse({ level: 'GAS_1', direction: 'high', value })] });
  const ev = new EdgeEvaluator(new Map([['site/dev/p150', limit(25)]]));
  const poll = (t: number, value: (i: number) => number, order = points) =>
    order.map((point) => ({ point, value: value(Number(point.slice(10))), quality: 'good' as const, sourceTime: T0 + t * 1000, gatewayTime: T0 + t * 1000 }));
  assert.deepEqual(alarmsOnly(ev.evaluate(poll(0, () => 10))), []);
  assert.deepEqual(alarmsOnly(ev.evaluate(poll(1, (i) => (i === 150 ? 30 : 10)))).map((e) => `${e.kind}:${e.point}`), ['raised:site/dev/p150']);
  // Same first point, same length, another order: p150 is now elsewhere in the batch.
  const shuffled = [points[0]!, ...points.slice(1).reverse()];
  assert.deepEqual(alarmsOnly(ev.evaluate(poll(2, () => 10, shuffled))).map((e) => `${e.kind}:${e.point}`), ['cleared:site/dev/p150']);
  assert.deepEqual(alarmsOnly(ev.evaluate(poll(3, () => 10))), []);
  // A limit on p7 arrives by remote configuration: the next poll of the same layout evaluates it.
  ev.setLimits(new Map([['site/dev/p150', limit(25)], ['site/dev/p7', limit(5)]]));
  assert.deepEqual(alarmsOnly(ev.evaluate(poll(4, () => 10))).map((e) => `${e.kind}:${e.point}`), ['raised:site/dev/p7']);
  // Bad readings of points without limits still go through the fault path (device-scope comm loss).
  const bad = poll(5, () => 10).map((r) => ({ ...r, value: null, quality: 'bad' as const, reason: 'comm_lost' as const }));
  for (let t = 5; t < 40; t++) ev.evaluate(bad.map((r) => ({ ...r, sourceTime: T0 + t * 1000, gatewayTime: T0 + t * 1000 })));
  assert.deepEqual(ev.activeFaults(), ['site/dev|comm_lost'], 'a silent device raises its comm-loss fault');
});
