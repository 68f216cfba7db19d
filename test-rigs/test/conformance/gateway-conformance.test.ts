/**
 * Path 2 of the alarm conformance table (contract/test/alarm-conformance.ts): the gateway agent end
 * to end — a real Modbus TCP rig serving the catalytic detector profile (0–100 %LEL, channel status
 * codes), the agent polling it, decoding, judging quality, evaluating at the edge and journaling.
 * Each row gets its own unit on the rig; its steps become rig actions (value, status code, silent
 * device) held for at least two polls, and the alarm stream the agent journaled is compared with
 * the row. Row seconds are played as polls (100 ms), and the fault hold is scaled the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { silentLogger } from '@safeloop/contract';
import { GatewayAgent, GatewayConfigSchema } from '@safeloop/gateway';
import { expandBatch, type BatchRow } from '@safeloop/gateway/journal/index';
import { CONFORMANCE, CONFORMANCE_POLICY, describe, expandSteps, type TimedReading } from '../../../contract/test/alarm-conformance.ts';
import { startModbusTcpSimulator } from '../../src/modbus/index.ts';
import { freePort } from '../../src/net/free-port.ts';

const POLL_MS = 100;
const rows = CONFORMANCE.filter((r) => r.paths.includes('gateway'));
const SITE = 'conf-plant';

void test(`alarm conformance, gateway path: ${rows.length} rows on a real Modbus TCP rig`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-gw-conformance-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sim = await startModbusTcpSimulator({ devices: rows.map((_, i) => ({ unitId: i + 1, profileId: 'generic-catalytic-lel', points: { gas: { kind: 'constant', value: 3 } } })), refreshMs: 20 });
  t.after(() => sim.stop());
  for (let i = 0; i < rows.length; i++) sim.setValue(i + 1, 'gas', 3);
  const journalPath = join(dir, 'journal.db');
  const config = GatewayConfigSchema.parse({
    gateway: { id: 'gw-conformance', siteId: SITE },
    journal: { path: journalPath },
    uplink: { transport: 'mqtt', url: `mqtt://127.0.0.1:${await freePort()}`, allowInsecure: true, delivery: { connectTimeoutMs: 1000, reconnectMinMs: 100 } },
    alarms: { faultClearHoldSec: (CONFORMANCE_POLICY.faultClearHoldSec * POLL_MS) / 1000, faultClearReadings: CONFORMANCE_POLICY.faultClearReadings },
    devices: rows.map((row, i) => ({
      id: `det-${row.id}`,
      profile: 'generic-catalytic-lel',
      transport: { kind: 'modbus-tcp', host: '127.0.0.1', port: sim.port, unitId: i + 1, timeoutMs: 60 },
      pollIntervalMs: POLL_MS,
      limits: { gas: row.limits },
    })),
  });
  const agent = await GatewayAgent.start({ config, logger: silentLogger });
  t.after(() => agent.stop());
  const db = new Database(journalPath, { readonly: true, fileMustExist: true });
  t.after(() => db.close());

  // Telemetry read incrementally: readings per point so far.
  const seen = new Map<string, { quality: string; reason?: string }[]>();
  let cursor = 0;
  const nextBatches = db.prepare<[number], BatchRow>('SELECT * FROM telemetry_batches WHERE last_seq > ? ORDER BY first_seq');
  const readingsOf = (point: string): { quality: string; reason?: string }[] => {
    for (const r of nextBatches.all(cursor).flatMap((b) => expandBatch(b, cursor))) {
      cursor = r.seq;
      const b = JSON.parse(r.body) as { point: string; quality: string; reason?: string };
      const list = seen.get(b.point) ?? [];
      list.push(b);
      seen.set(b.point, list);
    }
    return seen.get(point) ?? [];
  };
  const eventsOf = (device: string): string[] =>
    (db.prepare('SELECT body FROM alarm_events ORDER BY seq').all() as { body: string }[])
      .map((r) => JSON.parse(r.body) as Parameters<typeof describe>[0] & { point: string; subject?: string })
      .filter((e) => (e.subject ?? e.point).startsWith(`${SITE}/${device}`))
      .map(describe);

  /** Put the rig's unit in the state of one table reading. */
  function apply(unit: number, s: TimedReading): void {
    const silent = s.reason === 'comm_lost' || s.reason === 'timeout';
    sim.setFault(unit, silent ? { kind: 'silent' } : null);
    if (silent) return;
    const status = s.reason === 'sensor_fault' ? 'fault' : s.reason === 'calibration' ? 'calibration' : 'normal';
    sim.setStatus(unit, 'gasStatus', status);
    if (s.value !== null) sim.setValue(unit, 'gas', s.value);
  }

  // Every device answers before the rows start.
  for (const [i, row] of rows.entries()) {
    const point = `${SITE}/det-${row.id}/gas`;
    for (let k = 0; k < 100 && !readingsOf(point).some((r) => r.quality === 'good'); k++) await sleep(POLL_MS);
    assert.ok(readingsOf(point).some((r) => r.quality === 'good'), `unit ${i + 1} answers`);
  }

  for (const [i, row] of rows.entries()) {
    const unit = i + 1;
    const point = `${SITE}/det-${row.id}/gas`;
    await t.test(`${row.id}: ${row.title} [${row.clause}]`, async () => {
      for (const s of expandSteps(row)) {
        apply(unit, s);
        // Hold the state for at least two polls of this device (one may have been in flight); a silent
        // device is polled with back-off, so hold that state for one reading or four poll periods.
        const before = readingsOf(point).length;
        const silent = s.reason === 'comm_lost' || s.reason === 'timeout';
        const want = silent ? 1 : 2;
        for (let k = 0; k < (silent ? 16 : 200) && readingsOf(point).length < before + want; k++) await sleep(POLL_MS / 4);
      }
      for (let k = 0; k < 40 && eventsOf(`det-${row.id}`).length < row.expect.length; k++) await sleep(POLL_MS);
      await sleep(3 * POLL_MS);
      assert.deepEqual(eventsOf(`det-${row.id}`), row.expect);
    });
  }
});
