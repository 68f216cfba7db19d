/**
 * Telemetry group commit on a real gateway agent (rig's Modbus TCP simulator, uplink down): ordinary
 * polls wait up to telemetryCommitMs before they are committed, but the reading that raises an alarm is
 * committed with the alarm event itself — whoever reads the journal sees the alarm and its value
 * together, never the alarm first and its value a commit interval later. A stop commits what waits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '@safeloop/contract';
import { freePort, startModbusTcpSimulator } from '@safeloop/test-rigs';
import { GatewayAgent } from '../../src/agent.ts';
import { GatewayConfigSchema } from '../../src/config.ts';
import { parseColumns } from '../../src/journal/columns.ts';
import { rowColumns, type BatchRow } from '../../src/journal/telemetry-batches.ts';

async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Every committed telemetry reading of one point, as [value, seq] in seq order (a reader of its own). */
function committedValues(db: Database.Database, point: string): number[] {
  const out: number[] = [];
  for (const row of db.prepare('SELECT * FROM telemetry_batches ORDER BY first_seq').all() as BatchRow[]) {
    const c = parseColumns(rowColumns(row) ?? '{"n":0,"paths":[],"val":[]}');
    for (let i = 0; i < c.n; i++) if (c.paths[i] === point) out.push(c.val[i] as number);
  }
  return out;
}

function alarmsRaised(db: Database.Database): { point: string; value: number }[] {
  return (db.prepare('SELECT body FROM alarm_events ORDER BY seq').all() as { body: string }[])
    .map((r) => JSON.parse(r.body) as { type: string; kind?: string; point: string; value: number })
    .filter((e) => e.type === 'alarm' && e.kind === 'raised');
}

test('group commit: polls wait up to telemetryCommitMs, the reading that raised an alarm is committed with the alarm; stop commits the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'safeloop-group-commit-'));
  const sim = await startModbusTcpSimulator({ port: 0, devices: [{ unitId: 1, profileId: 'generic-catalytic-lel' }] });
  sim.setValue(1, 'gas', 3);
  const deadBroker = await freePort(); // nothing listens: the uplink never connects, nothing is acknowledged
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-gc-01', siteId: 'tank-farm' },
    journal: { path: join(dir, 'journal.db'), telemetryCommitMs: 2000 },
    uplink: { transport: 'mqtt', url: `mqtt://127.0.0.1:${deadBroker}`, protocolVersion: 4, allowInsecure: true, delivery: { reconnectMinMs: 200, reconnectMaxMs: 500 } },
    devices: [{ id: 'gas-01', profile: 'generic-catalytic-lel', transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: 1, timeoutMs: 500 }, pollIntervalMs: 100 }],
  });
  const point = 'tank-farm/gas-01/gas';
  let agent: GatewayAgent | undefined;
  let db: Database.Database | undefined;
  try {
    agent = await GatewayAgent.start({ config, logger: silentLogger });
    db = new Database(join(dir, 'journal.db'), { readonly: true });
    const reader = db;
    await until('a first commit of ordinary polls', () => committedValues(reader, point).length > 0);
    const first = committedValues(reader, point);
    assert.ok(first.length >= 5, `many polls in the first commit, not one each (${first.length})`);
    assert.ok(first.every((v) => v === 3));

    // The leak: the very first look at the journal that shows the alarm also shows its value.
    sim.setValue(1, 'gas', 30);
    await until('the alarm journaled', () => alarmsRaised(reader).length > 0);
    const alarm = alarmsRaised(reader)[0]!;
    assert.equal(alarm.point, point);
    assert.equal(alarm.value, 30);
    assert.ok(committedValues(reader, point).includes(30), 'the reading that raised the alarm is committed with it');

    // A stop commits what is still staged: the last value read before the stop is in the journal.
    sim.setValue(1, 'gas', 31);
    const before = committedValues(reader, point).length;
    await new Promise((r) => setTimeout(r, 350)); // ≈ 3 polls, inside the 2 s commit interval
    await agent.stop();
    agent = undefined;
    const after = committedValues(reader, point);
    assert.ok(after.length >= before + 2, `the staged polls were committed on stop (${before} → ${after.length})`);
    assert.equal(after.at(-1), 31);
  } finally {
    db?.close();
    await agent?.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
