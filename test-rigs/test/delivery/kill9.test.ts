/**
 * A3-style: a gateway process is killed with SIGKILL at random moments during a burst, several times in
 * a row, and restarted on the same journal; in the end the journaled set equals the stored set.
 */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import type { TestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { Cloud, journalDrained, journalRows, tempDir, verifyDelivered, waitUntil } from './harness.ts';

const GW = 'gwkill9';
const KILLS = 4;
const tmp = tempDir('kill9');
let broker: TestMosquitto | undefined;
let cloud: Cloud | undefined;
let child: ChildProcess | undefined;
after(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await cloud?.close().catch(() => undefined);
  await broker?.stop();
  tmp.remove();
});

function spawnGateway(journalPath: string, url: string, cycles: number): { proc: ChildProcess; output: () => string } {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'gateway-proc.ts')], {
    env: { ...process.env, GW, URL: url, JOURNAL: journalPath, CYCLES: String(cycles), POINTS: '40' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  return { proc, output: () => out };
}

void it(`gateway killed with SIGKILL ${KILLS}× during a burst: nothing lost, nothing stored twice`, async () => {
  broker = await startTestMosquitto();
  cloud = new Cloud(broker.url, join(tmp.dir, 'cloud.db'));
  await cloud.start();
  const journalPath = join(tmp.dir, 'gw.db');
  const killedAt: number[] = [];
  for (let k = 0; k < KILLS; k++) {
    const g = spawnGateway(journalPath, broker.url, 200);
    child = g.proc;
    await waitUntil(() => g.output().includes('STARTED'), 20_000, 'gateway process started');
    const ms = 100 + Math.floor(Math.random() * 900);
    await new Promise((r) => setTimeout(r, ms));
    g.proc.kill('SIGKILL');
    await new Promise((r) => g.proc.once('exit', r));
    killedAt.push(ms);
  }
  const rowsBefore = journalRows(journalPath);
  assert.ok(rowsBefore.telemetry.length > 0, 'the killed processes journaled something');
  const last = spawnGateway(journalPath, broker.url, 10);
  child = last.proc;
  await waitUntil(() => last.output().includes('DRAINED'), 40_000, `drained (killed after ${killedAt.join(', ')} ms)`);
  last.proc.kill('SIGTERM');
  await new Promise((r) => last.proc.once('exit', r));
  assert.ok(journalDrained(journalPath));
  const counts = await verifyDelivered(cloud, GW, journalPath);
  const rows = journalRows(journalPath);
  assert.equal(counts.telemetry, rows.telemetry.length);
  assert.deepEqual(rows.telemetry.map((r) => r.seq), rows.telemetry.map((_, i) => i + 1), 'telemetry seqs contiguous across restarts');
  assert.deepEqual(rows.alarm.map((r) => r.seq), rows.alarm.map((_, i) => i + 1), 'alarm seqs contiguous across restarts');
});
