/** The siren's rules as data: latch, silence, re-raise after restart, a new alarm after a clear, reset, persistence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SirenState, pointMatches } from './siren-state.ts';

test('latched: sounds until silenced even after the clear; a silenced active alarm re-raised stays silent', () => {
  const s = new SirenState(undefined, true);
  assert.equal(s.raise('a/gd-1/gas', 'GAS_1', ['horn'], 1), true);
  assert.equal(s.raise('a/gd-1/gas', 'GAS_1', ['horn'], 2), false, 'already sounding');
  s.clear('a/gd-1/gas', 'GAS_1');
  assert.deepEqual(s.sounding('horn'), ['a/gd-1/gas|GAS_1'], 'latched after the clear');
  assert.deepEqual(s.silence('a/gd-1/gas'), ['a/gd-1/gas|GAS_1']);
  assert.deepEqual(s.sounding('horn'), []);
  assert.equal(s.raise('a/gd-1/gas', 'GAS_1', ['horn'], 3), true, 'cleared and raised again: a new alarm');
  s.silence();
  assert.equal(s.raise('a/gd-1/gas', 'GAS_1', ['horn'], 4), false, 'still active and silenced: no re-sound');
  assert.deepEqual(s.sounding('horn'), []);
  s.clear('a/gd-1/gas', 'GAS_1');
  assert.deepEqual(Object.keys(s.conditions), [], 'silenced and cleared: forgotten');
});

test('not latched: the clear ends it; silence by point leaves other points sounding; reset forgets', () => {
  const s = new SirenState(undefined, false);
  s.raise('a/gd-1/gas', 'GAS_1', ['horn'], 1);
  s.raise('a/gd-2/gas', 'GAS_2', ['horn', 'beacon'], 1);
  s.clear('a/gd-1/gas', 'GAS_1');
  assert.deepEqual(s.sounding('horn'), ['a/gd-2/gas|GAS_2']);
  s.silence('a/gd-1');
  assert.deepEqual(s.sounding('beacon'), ['a/gd-2/gas|GAS_2'], 'another point is not silenced');
  s.reset('a/gd-2/gas');
  assert.deepEqual(s.sounding('beacon'), []);
  assert.equal(pointMatches('a/gd-1/gas', 'a/gd-1'), true);
  assert.equal(pointMatches('a/gd-10/gas', 'a/gd-1'), false, 'prefixes match whole segments');
});

test('state survives a restart through its file; a damaged file starts silent and says why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'siren-state-'));
  try {
    const file = join(dir, 'siren.json');
    const a = new SirenState(file, true);
    a.raise('a/gd-1/gas', 'GAS_2', ['horn'], 1);
    a.save();
    const b = new SirenState(file, true);
    assert.deepEqual(b.load(), { restored: 1 });
    assert.deepEqual(b.sounding('horn'), ['a/gd-1/gas|GAS_2']);
    writeFileSync(file, '{"v":1,');
    const c = new SirenState(file, true);
    assert.match(c.load().error ?? '', /JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
