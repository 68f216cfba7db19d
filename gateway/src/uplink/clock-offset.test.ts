import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClockOffset } from './clock-offset.ts';

void test('clock offset: gateway minus cloud, the median of the recent acks, one slow ack does not move it', () => {
  const c = new ClockOffset(5);
  assert.equal(c.offsetMs, undefined, 'nothing before the first ack');
  const cloud = 1_800_000_000_000;
  for (const lag of [12, 9, 11, 2500, 10]) c.add(cloud, cloud + 3 * 60_000 + lag); // gateway 3 min ahead
  assert.equal(c.offsetMs, 180_011);
  for (let i = 0; i < 5; i++) c.add(cloud, cloud - 8 * 3_600_000); // reset to 8 h behind: only recent samples count
  assert.equal(c.offsetMs, -28_800_000);
});
