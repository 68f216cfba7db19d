import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, sleep, withTimeout } from './timing.ts';

void test('backoff doubles from the first delay up to the cap; jitter spreads it both ways', () => {
  const p = { initialMs: 500, maxMs: 10_000 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50].map((a) => backoffDelay(a, p)), [0, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.equal(backoffDelay(2, { ...p, jitter: 0.2 }, () => 0), 800);
  assert.equal(backoffDelay(2, { ...p, jitter: 0.2 }, () => 1), 1200);
});

void test('withTimeout settles with the promise or rejects with the given error; sleep ends early on abort', async () => {
  assert.equal(await withTimeout(Promise.resolve(7), 50, () => new Error('late')), 7);
  await assert.rejects(withTimeout(new Promise(() => undefined), 20, () => new Error('no answer within 20 ms')), /no answer within 20 ms/);
  await assert.rejects(withTimeout(Promise.reject(new Error('boom')), 50, () => new Error('late')), /boom/);
  const ac = new AbortController();
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 20);
  await sleep(5000, ac.signal);
  assert.ok(Date.now() - t0 < 1000);
});
