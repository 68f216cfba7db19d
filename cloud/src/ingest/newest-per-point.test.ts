import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TelemetryEvent } from '@safeloop/contract';
import { newestPerPoint } from './newest-per-point.ts';

const ev = (point: string, seq: number, value: number): TelemetryEvent => ({ id: `e${seq}`, seq, point, value, quality: 'good', sourceTime: 1000 + seq, gatewayTime: 1000 + seq });

test('the newest reading of each point, by seq, in seq order; a list without repeats is kept as it is', () => {
  const out = newestPerPoint([ev('s/a/x', 3, 30), ev('s/b/x', 1, 10), ev('s/a/x', 2, 20), ev('s/b/x', 4, 40)]);
  assert.deepEqual(out.map((e) => [e.point, e.seq, e.value]), [['s/a/x', 3, 30], ['s/b/x', 4, 40]]);
  const plain = [ev('s/a/x', 1, 1), ev('s/b/x', 2, 2)];
  assert.deepEqual(newestPerPoint(plain), plain);
  assert.deepEqual(newestPerPoint([]), []);
});
