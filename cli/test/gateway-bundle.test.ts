/**
 * The precompiled program (`npm run build:gateway`, scripts/build-gateway.mjs) works as the TypeScript
 * does: built into a scratch folder inside the checkout (third-party packages resolve from node_modules),
 * it finds the profile library, checks a gateway config, and runs a gateway that polls a real Modbus TCP
 * simulator and journals the readings — with no TypeScript loader in the process, and without loading
 * node-opcua for a Modbus-only configuration (≈ 85 MiB of memory a Modbus gateway does not need; a module
 * resolution hook in the gateway process reports every node-opcua package it is asked to load).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { startModbusTcpSimulator } from '@safeloop/test-rigs/modbus/index';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

void test('the bundled safeloop program lists profiles, checks a config and runs a gateway that journals readings', async (t) => {
  const out = join(ROOT, '.tmp', `bundle-test-${process.pid}`);
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build-gateway.mjs'), '--outdir', out], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const bin = join(out, 'cli/safeloop.js');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: out, env: { ...process.env, NODE_OPTIONS: '' } });

  const list = run(['profile', 'list']);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /generic-catalytic-lel\t催化燃烧式可燃气体探测器/);

  const sim = await startModbusTcpSimulator({ devices: [{ unitId: 1, profileId: 'generic-catalytic-lel', points: { gas: { kind: 'constant', value: 12 } } }], refreshMs: 50 });
  t.after(() => sim.stop());
  const dir = join(out, 'run');
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, 'gateway.yaml');
  writeFileSync(
    cfg,
    [
      'gateway: { id: gw-bundle, siteId: bundle-site }',
      `journal: { path: ${join(dir, 'journal.db')} }`,
      // No broker listens there: the journal keeps everything, which is what this test reads.
      'uplink: { transport: mqtt, url: "mqtt://127.0.0.1:9", allowInsecure: true }',
      'devices:',
      `  - { id: gas-1, profile: generic-catalytic-lel, transport: { kind: modbus-tcp, host: 127.0.0.1, port: ${sim.port}, unitId: 1, timeoutMs: 500 }, pollIntervalMs: 200 }`,
    ].join('\n'),
  );
  const check = run(['gateway', '--config', cfg, '--check']);
  assert.equal(check.status, 0, check.stdout + check.stderr);

  writeFileSync(join(out, 'opcua-hook.mjs'), "export async function resolve(s, c, next) { if (s.startsWith('node-opcua')) process.stderr.write(`LOADED ${s}\\n`); return next(s, c); }\n");
  writeFileSync(join(out, 'opcua-hook-register.mjs'), "import { register } from 'node:module';\nregister(new URL('./opcua-hook.mjs', import.meta.url));\n");
  const gw = spawn(process.execPath, ['--import', join(out, 'opcua-hook-register.mjs'), bin, 'gateway', '--config', cfg, '--log-level', 'error'], { cwd: out, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let stderr = '';
  gw.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  gw.stdout.on('data', (c: Buffer) => (stderr += c.toString()));
  t.after(() => gw.kill('SIGKILL'));
  let rows = 0;
  for (let i = 0; i < 100 && rows === 0; i++) {
    await sleep(100);
    try {
      const db = new Database(join(dir, 'journal.db'), { readonly: true, fileMustExist: true });
      try {
        rows = (db.prepare('SELECT count(*) AS n FROM telemetry_batches').get() as { n: number }).n;
      } finally {
        db.close();
      }
    } catch {
      rows = 0; // not created yet
    }
  }
  assert.ok(rows > 0, `the bundled gateway journaled nothing within 10 s; stderr: ${stderr}`);
  gw.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => gw.once('exit', (c) => r(c)));
  assert.equal(code, 0, `gateway exit code; stderr: ${stderr}`);
  assert.doesNotMatch(stderr, /LOADED node-opcua/, 'a Modbus-only gateway loaded node-opcua');
});
