/**
 * Issue 13: `safeloop read --opcua` says where its OPC-UA certificates live and keeps them in the
 * gateway's data folder under the working directory (or `--pki`), never in the home directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/repo-root.ts';

test('read --opcua keeps its PKI under data/gateway/pki here (or --pki), not in HOME, and says so', () => {
  const work = mkdtempSync(join(tmpdir(), 'safeloop-pki-work-'));
  const home = mkdtempSync(join(tmpdir(), 'safeloop-pki-home-'));
  try {
    const run = (extra: string[]) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'cli/bin/safeloop.js'), 'read', '--profile', 'generic-tank-gauging-opcua', '--opcua', 'opc.tcp://127.0.0.1:9/none', '--timeout', '500', ...extra], {
        cwd: work,
        env: { ...process.env, HOME: home },
        encoding: 'utf8',
        timeout: 90_000,
      });
    const r = run([]);
    const expected = join(work, 'data', 'gateway', 'pki', 'opcua-client');
    assert.match(r.stderr, new RegExp(`OPC-UA certificates: ${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), r.stderr);
    assert.ok(existsSync(join(expected, 'own')), `client certificate folder created in ${expected}`);
    assert.deepEqual(readdirSync(home), [], 'nothing written to the home directory');
    const custom = join(work, 'laptop-pki');
    const r2 = run(['--pki', custom]);
    assert.match(r2.stderr, /OPC-UA certificates: .*laptop-pki/);
    assert.ok(existsSync(join(custom, 'own')));
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
});
