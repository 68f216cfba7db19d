/** Scenario curves: exact values at known times, validation errors, deterministic noise. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CurveSchema, createManualClock, createScenarioClock, evaluateCurve, type Curve } from '@safeloop/test-rigs/scenario/index';

void test('constant, ramp (holds its end), sine', () => {
  assert.equal(evaluateCurve({ kind: 'constant', value: 4.2 }, 99), 4.2);
  const ramp: Curve = { kind: 'ramp', from: 10, to: 20, durationSec: 10 };
  assert.equal(evaluateCurve(ramp, 0), 10);
  assert.equal(evaluateCurve(ramp, 2.5), 12.5);
  assert.equal(evaluateCurve(ramp, 60), 20);
  const sine: Curve = { kind: 'sine', mean: 5, amplitude: 2, periodSec: 40 };
  assert.equal(evaluateCurve(sine, 0), 5);
  assert.ok(Math.abs(evaluateCurve(sine, 10) - 7) < 1e-9);
  assert.ok(Math.abs(evaluateCurve(sine, 30) - 3) < 1e-9);
});

void test('keyframes interpolate linearly, step at repeated times, hold or loop after the last', () => {
  const k: Curve = { kind: 'keyframes', points: [{ t: 0, value: 3 }, { t: 20, value: 27 }, { t: 20, value: 100 }, { t: 30, value: 0 }] };
  assert.equal(evaluateCurve(k, 10), 15);
  assert.equal(evaluateCurve(k, 25), 50);
  assert.equal(evaluateCurve(k, 45), 0, 'holds the last value');
  const loop: Curve = { kind: 'keyframes', loop: true, points: [{ t: 0, value: 0 }, { t: 10, value: 10 }] };
  assert.equal(evaluateCurve(loop, 15), 5);
  assert.equal(evaluateCurve(loop, 27), 7);
});

void test('noise is bounded and deterministic per seed and time', () => {
  const c: Curve = { kind: 'sine', mean: 50, amplitude: 0, periodSec: 10, noise: 0.5 };
  const values = Array.from({ length: 200 }, (_, i) => evaluateCurve(c, i * 0.1, 7));
  assert.ok(values.every((v) => v >= 49.5 && v <= 50.5));
  assert.ok(new Set(values).size > 100, 'it does vary');
  assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => evaluateCurve(c, i * 0.1, 7)));
  assert.notDeepEqual(values, Array.from({ length: 200 }, (_, i) => evaluateCurve(c, i * 0.1, 8)));
});

void test('the schema names what is wrong', () => {
  const bad = CurveSchema.safeParse({ kind: 'keyframes', points: [{ t: 5, value: 1 }, { t: 2, value: 2 }] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ['points', 1, 't']);
  assert.equal(CurveSchema.safeParse({ kind: 'sine', mean: 1, amplitude: 1, periodSec: 0 }).success, false);
  assert.equal(CurveSchema.safeParse({ kind: 'wobble' }).success, false);
  assert.equal(CurveSchema.safeParse({ kind: 'keyframes', loop: true, points: [{ t: 0, value: 1 }] }).success, false);
});

void test('the scenario clock counts from its start on the injected clock, and restarts', () => {
  const clock = createManualClock(5000);
  const scenario = createScenarioClock(clock);
  clock.advance(2500);
  assert.equal(scenario.elapsedSec(), 2.5);
  scenario.restart();
  assert.equal(scenario.elapsedSec(), 0);
});
