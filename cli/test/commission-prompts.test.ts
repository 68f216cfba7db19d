/**
 * Issue 13: `safeloop provision commission` without a plan prompts for devices on a terminal. The
 * prompts offer the profiles of --profile-dir beside the library's, accept one of them (or a profile
 * file's path), refuse a typo naming the near id, and the device is read with that profile. Run on a
 * real pseudo-terminal (cli/test/pty-session.py) against the Modbus TCP simulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProfileCatalog } from '@safeloop/device-profiles';
import { startModbusTcpSimulator } from '@safeloop/test-rigs/modbus/tcp-simulator';

const ROOT = new URL('../..', import.meta.url).pathname;
const PTY = new URL('./pty-session.py', import.meta.url).pathname;

const PROFILE = `id: acme-pt9
name: { zh: ACME PT-9 压力变送器, en: ACME PT-9 pressure transmitter }
sector: hazchem
protocol: modbus
points:
  - { id: pressure, name: { zh: 管道压力, en: Line pressure }, table: holding, address: 0, type: uint16, scale: 0.01, unit: MPa, range: { min: 0, max: 4 } }
`;

void test('commission prompts list and accept the profiles of --profile-dir; a typo is refused naming the near id', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-prompts-'));
  mkdirSync(join(dir, 'site-profiles'));
  writeFileSync(join(dir, 'site-profiles', 'acme-pt9.yaml'), PROFILE);
  const profile = ProfileCatalog.load({ dirs: [join(dir, 'site-profiles')] }).get('acme-pt9');
  const sim = await startModbusTcpSimulator({ devices: [{ unitId: 3, profileId: 'acme-pt9', profile }, { unitId: 4, profileId: 'acme-pt9', profile }] });
  t.after(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const steps: [string, string][] = [
    ['Technician name: ', 'Sun Wei'],
    ['Device 1 id \\(empty to finish\\): ', 'pt-01'],
    ['profile: ', 'acme-pt99'],
    ['device skipped[\\s\\S]*Device 1 id \\(empty to finish\\): ', 'pt-01'],
    ['profile: ', 'acme-pt9'],
    ['transport [^\\n]*: ', `tcp:127.0.0.1:${sim.port}:3`],
    ['Device 2 id \\(empty to finish\\): ', 'pt-02'],
    ['profile: ', 'site-profiles/acme-pt9.yaml'],
    ['transport [^\\n]*: ', `tcp:127.0.0.1:${sim.port}:4`],
    ['Device 3 id \\(empty to finish\\): ', ''],
  ];
  // Not spawnSync: the simulator answers from this process's event loop.
  const child = spawn('/usr/bin/python3', [
    PTY,
    JSON.stringify(steps),
    dir,
    process.execPath,
    join(ROOT, 'cli/bin/safeloop.js'),
    'provision',
    'commission',
    '--profile-dir',
    'site-profiles',
    '--reads',
    '1',
    '--config',
    'devices.yaml',
    '--report',
    'report',
  ]);
  let screen = '';
  let errors = '';
  child.stdout.on('data', (b: Buffer) => (screen += b.toString()));
  child.stderr.on('data', (b: Buffer) => (errors += b.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, screen + errors);
  assert.match(screen, /Profiles \(library\): [^\n]*generic-catalytic-lel/);
  assert.match(screen, /Profiles \(--profile-dir\):\r?\n {2}acme-pt9 {2}ACME PT-9 压力变送器 \/ ACME PT-9 pressure transmitter {2}\(site-profiles\/acme-pt9\.yaml\)/);
  assert.match(screen, /no device profile "acme-pt99"; did you mean acme-pt9[^\n]*— device skipped/);
  assert.match(screen, /pt-01: 1 point\(s\), 0 flagged/);
  assert.match(screen, /pt-02: 1 point\(s\), 0 flagged/);
  const devices = readFileSync(join(dir, 'devices.yaml'), 'utf8');
  assert.match(devices, /id: pt-01[\s\S]*profile: acme-pt9/);
  assert.match(devices, /id: pt-02[\s\S]*profile: site-profiles\/acme-pt9\.yaml/);
});
