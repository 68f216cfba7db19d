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

test('read --opcua against a server whose certificate is unknown: refused with the way forward; --trust-server prints the thumbprint, trusts it, reads', async () => {
  const { startOpcuaSimulator } = await import('@safeloop/test-rigs');
  const sim = await startOpcuaSimulator({ port: 0, devices: [{ name: 'tank01', profileId: 'generic-tank-gauging-opcua' }], securityModes: ['SignAndEncrypt'] });
  const work = mkdtempSync(join(tmpdir(), 'safeloop-trust-'));
  try {
    const { spawn } = await import('node:child_process');
    // async spawn: the simulator runs in this process and must keep answering
    const run = (extra: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, [join(REPO_ROOT, 'cli/bin/safeloop.js'), 'read', '--profile', 'generic-tank-gauging-opcua', '--opcua', sim.endpoint, '--timeout', '3000', '--json', ...extra], { cwd: work });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('exit', (code) => resolve({ code, out, err }));
      });
    const refused = await run([]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /not trusted/);
    assert.match(refused.err, /--trust-server/);
    const trusted = await run(['--trust-server']);
    assert.equal(trusted.code, 0, trusted.err);
    assert.match(trusted.err, /SHA-1 thumbprint ([0-9A-F]{2}:){19}[0-9A-F]{2}/);
    const rows = JSON.parse(trusted.out) as { pointId: string; value: unknown; quality: string }[];
    assert.equal(typeof rows.find((r) => r.pointId === 'level')?.value, 'number');
    assert.ok(readdirSync(join(work, 'data', 'gateway', 'pki', 'opcua-client', 'trusted', 'certs')).length >= 1, 'the certificate is filed as trusted');
    const again = await run([]);
    assert.equal(again.code, 0, `trusted for the next run too: ${again.err}`);
  } finally {
    await sim.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
