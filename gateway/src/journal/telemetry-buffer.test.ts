/** Group commit of telemetry: staged at once, committed within commitMs, early at maxRows, everything on flush, failures reported. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reading } from '@safeloop/contract';
import { TelemetryBuffer } from './telemetry-buffer.ts';
import { reading } from './test-helpers.ts';

function harness(commitMs: number, maxRows: number, fail = false) {
  const commits: Reading[][] = [];
  const errors: unknown[] = [];
  let staged: Reading[] = [];
  const buf = new TelemetryBuffer({
    commitMs,
    maxRows,
    stage: (rs) => {
      staged.push(...rs);
    },
    commit: () => {
      if (fail) throw new Error('disk I/O error');
      commits.push(staged);
      staged = [];
    },
    committed: (err) => {
      if (err !== undefined) errors.push(err);
    },
  });
  return { buf, commits, errors };
}

test('readings of several polls are journaled together within commitMs, in order', async () => {
  const { buf, commits } = harness(50, 1000);
  buf.add([reading(1), reading(2)]);
  buf.add([reading(3)]);
  assert.equal(commits.length, 0, 'nothing journaled before the commit interval');
  assert.equal(buf.waiting, 3);
  await sleep(120);
  assert.deepEqual(commits.map((c) => c.map((r) => r.value)), [[0.5, 1, 1.5]]);
  assert.equal(buf.waiting, 0);
});

test('a full buffer commits at once; flush commits the rest (stop); commitMs 0 commits every batch', () => {
  const a = harness(10_000, 3);
  a.buf.add([reading(1), reading(2)]);
  a.buf.add([reading(3), reading(4)]);
  assert.equal(a.commits.length, 1);
  assert.equal(a.commits[0]!.length, 4);
  a.buf.add([reading(5)]);
  a.buf.flush();
  assert.equal(a.commits.length, 2);
  const b = harness(0, 1000);
  b.buf.add([reading(1)]);
  b.buf.add([reading(2)]);
  assert.equal(b.commits.length, 2);
});

test('a journal that refuses to stage (closed) is reported, not thrown into the poll loop; nothing counts as waiting', () => {
  const errors: unknown[] = [];
  const buf = new TelemetryBuffer({
    commitMs: 50,
    maxRows: 10,
    stage: () => {
      throw new Error('journal is closed');
    },
    commit: () => assert.fail('nothing was staged'),
    committed: (err) => errors.push(err),
  });
  assert.doesNotThrow(() => buf.add([reading(1)]));
  assert.match(String(errors[0]), /journal is closed/);
  assert.equal(buf.waiting, 0);
  buf.flush();
  assert.equal(errors.length, 1);
});

test('a journal failure is reported, not thrown into the poll loop', () => {
  const { buf, errors } = harness(0, 10, true);
  assert.doesNotThrow(() => buf.add([reading(1)]));
  assert.match(String(errors[0]), /disk I\/O error/);
});
