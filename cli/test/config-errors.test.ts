/**
 * An invalid config file stops the program with a message naming the file, the path inside it
 * and what is wrong — for every command that takes --config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function runCli(args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'cli/src/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'safeloop-cfg-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('gateway: a wrong type names the file and the field path', () => {
  const file = join(dir, 'gateway-bad.yaml');
  writeFileSync(
    file,
    [
      'gateway: { id: gw-1, siteId: site-1 }',
      'uplink: { transport: mqtt, url: "mqtt://127.0.0.1:1", allowInsecure: true }',
      'devices:',
      '  - id: gas-01',
      '    profile: generic-catalytic-lel',
      '    pollIntervalMs: "fast"',
      '    transport: { kind: modbus-tcp, host: 127.0.0.1, port: 502 }',
    ].join('\n'),
  );
  const r = runCli(['gateway', '--config', file, '--check']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: devices\\.0\\.pollIntervalMs: `));
});

test('gateway: a missing required section is named', () => {
  const file = join(dir, 'gateway-missing.yaml');
  writeFileSync(file, 'gateway: { id: gw-1, siteId: site-1 }\n');
  const r = runCli(['gateway', '--config', file, '--check']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /gateway-missing\.yaml: uplink: /);
});

test('gateway: a plain mqtt:// uplink without client certificates is refused', () => {
  const file = join(dir, 'gateway-insecure.yaml');
  writeFileSync(file, 'gateway: { id: gw-1, siteId: site-1 }\nuplink: { transport: mqtt, url: "mqtt://10.0.0.1:1883" }\n');
  const r = runCli(['gateway', '--config', file, '--check']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /gateway-insecure\.yaml: uplink\.tls: client certificates are required/);
});

test('YAML syntax errors name the file and the line', () => {
  const file = join(dir, 'broken-syntax.yaml');
  writeFileSync(file, 'gateway:\n  id: [unclosed\n');
  const r = runCli(['gateway', '--config', file, '--check']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /broken-syntax\.yaml: line \d+/);
});

test('cloud: an invalid store kind is named', () => {
  const file = join(dir, 'cloud-bad.yaml');
  writeFileSync(file, 'store: { kind: mongodb }\nmqtt: { url: "mqtt://127.0.0.1:1883" }\n');
  const r = runCli(['cloud', '--config', file, '--check']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cloud-bad\.yaml: store\.kind: /);
});

test('cloud --check reads profileDirs as start does: a bad profile is named, a good folder counted', () => {
  const profiles = join(dir, 'cloud-profiles');
  mkdirSync(profiles, { recursive: true });
  const profile = (unit: string) =>
    `id: acme-pt9\nname: { zh: 压力变送器, en: Pressure transmitter }\nsector: hazchem\nprotocol: modbus\npoints:\n  - { id: p, name: { zh: 压力, en: Pressure }, table: holding, address: 0, type: uint16, unit: ${unit}, range: { min: 0, max: 4 } }\n`;
  writeFileSync(join(profiles, 'acme-pt9.yaml'), profile('MPa'));
  const file = join(dir, 'cloud-profiles.yaml');
  writeFileSync(file, `mqtt: { url: "mqtt://127.0.0.1:1883" }\nprofileDirs: [${JSON.stringify(profiles)}]\n`);
  const ok = runCli(['cloud', '--config', file, '--check']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /valid \(store sqlite, \d+ device profiles, 1 from profileDirs\)/);
  writeFileSync(join(profiles, 'acme-pt9.yaml'), profile('Mpa'));
  const bad = runCli(['cloud', '--config', file, '--check']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /acme-pt9\.yaml: points\.0\.unit: unknown unit "Mpa"/);
});

test('rig: a missing file is reported with its name', () => {
  const r = runCli(['rig', '--config', join(dir, 'nope.yaml')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /nope\.yaml: \(file\): /);
});

test('the demo example configs are valid', () => {
  const g = runCli(['gateway', '--config', join(root, 'examples/demo-gateway.yaml'), '--check']);
  assert.equal(g.status, 0, g.stderr);
  const c = runCli(['cloud', '--config', join(root, 'examples/demo-cloud.yaml'), '--check']);
  assert.equal(c.status, 0, c.stderr);
  const pg = runCli(['cloud', '--config', join(root, 'examples/cloud-postgres.yaml'), '--check']);
  assert.equal(pg.status, 0, pg.stderr);
  const pond = runCli(['gateway', '--config', join(root, 'examples/demo-gateway-pond.yaml'), '--check']);
  assert.equal(pond.status, 0, pond.stderr);
});
