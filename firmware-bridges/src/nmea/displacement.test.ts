import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DisplacementTracker, type Fix } from './displacement.ts';
import { enuToGeodetic } from './geodesy.ts';

const baseline = { lat: 28.6847, lon: 115.8579, h: 52.3 };
const T0 = Date.UTC(2026, 5, 1);
const at = (timeMs: number, eastMm: number, northMm: number, upMm: number, quality: Fix['quality'] = 'good'): Fix => ({
  timeMs,
  position: quality === 'bad' ? undefined : enuToGeodetic({ east: eastMm / 1000, north: northMm / 1000, up: upMm / 1000 }, baseline),
  quality,
  ...(quality === 'bad' ? { reason: 'no_fix' as const, detail: 'GGA fix quality 1' } : {}),
});
const near = (a: number | undefined, b: number, tol: number, msg: string): void => assert.ok(a !== undefined && Math.abs(a - b) <= tol, `${msg}: ${a} vs ${b}`);

void test('without averaging every fix becomes a sample in mm', () => {
  const t = new DisplacementTracker({ baseline, averagingMs: 0, rateWindowMs: 3_600_000, rateUnitMs: 86_400_000 });
  const [s] = t.add(at(T0, 3, 4, -2));
  near(s?.enu?.east, 3, 1e-5, 'east');
  near(s?.enu?.north, 4, 1e-5, 'north');
  near(s?.enu?.up, -2, 1e-5, 'up');
  assert.equal(s?.quality, 'good');
  assert.equal(s?.rateQuality, 'uncertain', 'no rate before history exists');
  const [b] = t.add(at(T0 + 1000, 0, 0, 0, 'bad'));
  assert.equal(b?.quality, 'bad');
  assert.equal(b?.enu, undefined);
  assert.equal(b?.reason, 'no_fix');
});

void test('averaging: a tumbling window emits the mean of its good fixes, ignoring float and no-fix epochs', () => {
  const t = new DisplacementTracker({ baseline, averagingMs: 10_000, rateWindowMs: 3_600_000, rateUnitMs: 86_400_000 });
  const out = [
    ...t.add(at(T0, 1, 1, 1)),
    ...t.add(at(T0 + 2000, 3, 3, 3)),
    ...t.add(at(T0 + 4000, 500, 500, 500, 'uncertain')),
    ...t.add(at(T0 + 6000, 0, 0, 0, 'bad')),
    ...t.add(at(T0 + 8000, 5, 5, 5)),
  ];
  assert.equal(out.length, 0, 'nothing before the window closes');
  const [s] = t.add(at(T0 + 10_000, 100, 100, 100));
  near(s?.enu?.east, 3, 1e-5, 'mean east');
  near(s?.enu?.up, 3, 1e-5, 'mean up');
  assert.equal(s?.quality, 'good');
  assert.equal(s?.timeMs, T0 + 8000);
  assert.match(s?.detail ?? '', /mean of 3 of 5 fixes/);
});

void test('averaging: a window of only float fixes reads uncertain; of no fixes reads bad no_fix', () => {
  const t = new DisplacementTracker({ baseline, averagingMs: 5000, rateWindowMs: 3_600_000, rateUnitMs: 86_400_000 });
  t.add(at(T0, 2, 0, 0, 'uncertain'));
  t.add(at(T0 + 1000, 4, 0, 0, 'uncertain'));
  const [u] = t.add(at(T0 + 5000, 0, 0, 0, 'bad'));
  assert.equal(u?.quality, 'uncertain');
  near(u?.enu?.east, 3, 1e-5, 'uncertain mean');
  const [b] = t.add(at(T0 + 10_000, 0, 0, 0, 'good'));
  assert.equal(b?.quality, 'bad');
  assert.equal(b?.reason, 'no_fix');
  assert.equal(b?.enu, undefined);
});

void test('rate: 10 mm east + 10 mm north over one hour is 339.4 mm/d horizontal; settling 1 mm/h reads −24 mm/d up', () => {
  const t = new DisplacementTracker({ baseline, averagingMs: 0, rateWindowMs: 3_600_000, rateUnitMs: 86_400_000 });
  t.add(at(T0, 0, 0, 0));
  const [half] = t.add(at(T0 + 900_000, 2.5, 2.5, -0.25));
  assert.equal(half?.rateQuality, 'uncertain', 'a quarter window is still filling');
  assert.equal(half?.rateReason, 'stale');
  const [s] = t.add(at(T0 + 3_600_000, 10, 10, -1));
  near(s?.horizontalRate, Math.SQRT2 * 10 * 24, 1e-3, 'horizontal mm/d');
  near(s?.upRate, -24, 1e-3, 'up mm/d');
  assert.equal(s?.rateQuality, 'good');
  // Older history drops out of the window: the next rate uses the fix 15 min in.
  const [n] = t.add(at(T0 + 4_500_000, 10, 10, -1));
  near(n?.horizontalRate, (Math.hypot(7.5, 7.5) * 86_400_000) / 3_600_000, 1e-3, 'sliding reference');
});
