/**
 * Log records are JSON a log shipper can read: pino's own keys (level, time, msg, pid, hostname) are
 * never shadowed by a domain field — the alarm's level travels as `alarmLevel` (issue 17).
 * 1. The real path: a gateway agent logging through the CLI's logger raises an edge alarm; every line of
 *    the file parses as JSON with a numeric level, and the edge-alarm line carries the alarm level apart.
 * 2. The source: no log call in any package's src passes one of pino's keys in its object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayAgent, GatewayConfigSchema } from '@safeloop/gateway';
import { startModbusTcpSimulator } from '@safeloop/test-rigs/modbus/index';
import { freePort } from '@safeloop/test-rigs/net/free-port';
import { createLogger } from '../src/logger.ts';
import { REPO_ROOT } from '../src/repo-root.ts';

const PINO_KEYS = ['level', 'time', 'msg', 'pid', 'hostname'];

void test('every log line is JSON with pino’s keys intact; the edge alarm’s level is alarmLevel', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-logkeys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sim = await startModbusTcpSimulator({ devices: [{ unitId: 1, profileId: 'generic-catalytic-lel', points: { gas: { kind: 'constant', value: 60 } } }], refreshMs: 20 });
  t.after(() => sim.stop());
  const file = join(dir, 'gateway.log');
  const logger = createLogger({ file, level: 'info', name: 'gateway', sync: true });
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-logkeys', siteId: 'plant' },
    journal: { path: join(dir, 'journal.db') },
    uplink: { transport: 'mqtt', url: `mqtt://127.0.0.1:${await freePort()}`, allowInsecure: true, delivery: { connectTimeoutMs: 500, reconnectMinMs: 100 } },
    devices: [{ id: 'gas-1', profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 200 }, pollIntervalMs: 100 }],
  });
  const agent = await GatewayAgent.start({ config, logger });
  for (let i = 0; i < 50 && !(await readFile(file, 'utf8')).includes('edge alarm'); i++) await sleep(100);
  await agent.stop();
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
  assert.ok(lines.length > 2);
  for (const line of lines) {
    const rec = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof rec.level, 'number', `level is pino's number: ${line}`);
    assert.equal(typeof rec.time, 'number', line);
    assert.equal(typeof rec.msg, 'string', line);
  }
  const alarm = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'edge alarm');
  assert.ok(alarm, 'the edge alarm was logged');
  assert.equal(alarm.level, 40, 'warn');
  assert.equal(alarm.alarmLevel, 'GAS_1');
});

/** The object literal passed first to a log call, from its opening brace (braces balanced, strings skipped). */
function objectAt(src: string, open: number): string {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "'" || c === '"' || c === '`') {
      const q = c;
      for (i++; i < src.length && src[i] !== q; i++) if (src[i] === '\\') i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return src.slice(open, i + 1);
  }
  return src.slice(open);
}

async function sources(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await sources(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

void test('no log call in a package src passes one of pino’s own keys', async () => {
  const offenders: string[] = [];
  for (const pkg of ['contract', 'device-profiles', 'firmware-bridges', 'gateway', 'cloud', 'cli', 'test-rigs']) {
    for (const file of await sources(join(REPO_ROOT, pkg, 'src'))) {
      const src = await readFile(file, 'utf8');
      for (const m of src.matchAll(/\b(?:log|logger|this\.log|this\.logger|deps\.logger|this\.deps\.logger)\.(?:debug|info|warn|error)\(\{/g)) {
        const obj = objectAt(src, (m.index ?? 0) + m[0].length - 1);
        // top-level keys only: drop nested objects, then look for `key:` or a shorthand `key,`/`key }`
        const flat = obj.slice(1, -1).trim().replace(/\{[^{}]*\}/g, '{}');
        for (const key of PINO_KEYS) {
          if (new RegExp(`(^|,)\\s*${key}\\s*(:|,|$)`).test(flat)) offenders.push(`${file.slice(REPO_ROOT.length + 1)}: ${key} in ${obj.slice(0, 120)}`);
        }
      }
    }
  }
  assert.deepEqual(offenders, []);
});
