import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const UNIT = new URL('../../deploy/safeloop-gateway.service', import.meta.url);
const PEER = new URL('../../../test-rigs/bench/peers/peer-gateway.sh', import.meta.url);
const BUILD = new URL('../../../scripts/build-gateway.mjs', import.meta.url);

/** key → values of a unit file (keys may repeat, e.g. Environment). */
function parseUnit(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l.startsWith('#') || l.startsWith('[')) continue;
    const eq = l.indexOf('=');
    assert.ok(eq > 0, `not key=value: ${l}`);
    const k = l.slice(0, eq);
    out.set(k, [...(out.get(k) ?? []), l.slice(eq + 1)]);
  }
  return out;
}

test('the gateway unit runs the precompiled program as an unprivileged user and restarts it', () => {
  const unit = parseUnit(readFileSync(UNIT, 'utf8'));
  const exec = unit.get('ExecStart')?.[0] ?? '';
  assert.match(exec, /^\/usr\/bin\/node \/opt\/safeloop\/dist\/cli\/safeloop\.js gateway --config \S+\.yaml$/);
  assert.match(readFileSync(BUILD, 'utf8'), /join\(out, 'cli'\)/, 'the build writes dist/cli/ (what ExecStart names)');
  assert.notEqual(unit.get('User')?.[0] ?? 'root', 'root');
  assert.ok(unit.get('SupplementaryGroups')?.[0]?.includes('dialout'), 'RS-485 adapters need dialout');
  assert.equal(unit.get('Restart')?.[0], 'always');
  for (const kv of unit.get('Environment') ?? []) assert.match(kv, /^[A-Z_][A-Z0-9_]*=\S+$/, `one variable per Environment= line: ${kv}`);
  assert.ok(unit.get('Environment')?.includes('MALLOC_ARENA_MAX=2'));
});

test('the side-by-side bench gives the gateway the environment of the unit', () => {
  assert.match(readFileSync(PEER, 'utf8'), /grep '\^Environment=' gateway\/deploy\/safeloop-gateway\.service/);
});
