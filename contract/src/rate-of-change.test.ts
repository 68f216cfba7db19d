import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRateState, stepRate } from './rate-of-change.ts';

void test('rate of change: needs half a window, judges rise and fall per minute, ignores replays', () => {
  const cfg = { windowSec: 60, maxRisePerMin: 5, maxFallPerMin: 10 };
  const st = newRateState();
  assert.equal(stepRate(st, 0, 100, cfg), undefined, 'one sample is no rate');
  assert.equal(stepRate(st, 20_000, 110, cfg), undefined, 'less than half a window');
  const rise = stepRate(st, 30_000, 103, cfg);
  assert.deepEqual(rise, { over: true, perMin: 6, from: { time: 0, value: 100 } });
  assert.equal(stepRate(st, 10_000, 0, cfg), undefined, 'an older reading (replay) is ignored');
  assert.equal(st.lastTime, 30_000);
  // the window slides: samples before t − 60 s drop out except the newest one before the window
  assert.equal(stepRate(st, 95_000, 103, cfg)?.over, false);
  assert.deepEqual(st.samples.map(([t]) => t), [30_000, 95_000]);
  const fall = stepRate(st, 125_000, 88, cfg);
  assert.equal(fall?.over, false, '-15 over 95 s is -9.47/min: below the fall limit');
  assert.equal(stepRate(st, 130_000, 80, cfg)?.over, true, 'a fall of 23 over 100 s is beyond 10/min');
});
