/**
 * Issue 18, done-when 4 (the part this branch owns): kill -9 of the cloud or a broker restart during an
 * active alarm — the alarm event published meanwhile is in the cloud within 3 s of the cloud / broker being
 * back. Real Mosquitto, real gateway journal + uplink, real ingest on SQLite. The gateway's ack timeout is
 * set to 20 s (the default) so that a pass cannot come from it.
 *
 * How it went wrong before: the cloud's session was clean, so what was published while it restarted had no
 * subscriber and waited for the gateway's 20 s ack timeout; after broker flaps the gateway's backoff grew
 * to 17–32 s because it reset only after 30 s of stable connection.
 */
import { after, afterEach, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import type { TestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { liveAlarm, liveReading } from './burst.ts';
import { Cloud, journalDrained, startGateway, tempDir, waitUntil } from './harness.ts';

const tmp = tempDir('recovery');
const SLOW_ACK = { ackTimeoutMs: 20_000, statusIntervalSec: 5, reconnectMinMs: 500, reconnectMaxMs: 30_000 };
let broker: TestMosquitto;
let cleanups: (() => Promise<void>)[] = [];
before(async () => {
  broker = await startTestMosquitto();
});
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});
after(async () => {
  await broker?.stop();
  tmp.remove();
});

function storedAlarmIds(dbPath: string): Set<string> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return new Set(db.prepare<[], { id: string }>('SELECT id FROM edge_events').all().map((r) => r.id));
  } catch {
    return new Set();
  } finally {
    db.close();
  }
}

function lastAlarmId(journalPath: string): string {
  const db = new Database(journalPath, { readonly: true });
  try {
    return db.prepare<[], { id: string }>('SELECT id FROM alarm_events ORDER BY seq DESC LIMIT 1').get()!.id;
  } finally {
    db.close();
  }
}

function spawnCloud(dbPath: string, clientId: string): { proc: ChildProcess; started: Promise<number> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'cloud-proc.ts')], {
    env: { ...process.env, URL: broker.url, DB: dbPath, CLIENT_ID: clientId },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('STARTED')) resolve(Date.now());
    });
    proc.once('exit', (code) => reject(new Error(`cloud process exited (${code}) before it started`)));
  });
  started.catch(() => undefined);
  return { proc, started };
}

async function kill9(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

void it('cloud killed with SIGKILL during an active alarm: the alarm published meanwhile is in the cloud within 3 s of its return', async () => {
  const dbPath = join(tmp.dir, 'k9-cloud.db');
  const clientId = `ingest-k9-${process.pid}`;
  let cloud = spawnCloud(dbPath, clientId);
  cleanups.push(() => kill9(cloud.proc));
  await cloud.started;
  const journalPath = join(tmp.dir, 'k9-gw.db');
  const gw = await startGateway({ gatewayId: 'gwk9cloud', url: broker.url, journalPath, delivery: SLOW_ACK });
  cleanups.push(() => gw.stop());
  await waitUntil(() => gw.uplink.connected, 5000, 'gateway connected');
  gw.journal.appendAlarmEvents([liveAlarm(0)]); // 一级 raised
  gw.journal.appendTelemetry([liveReading(1, 1)]);
  gw.uplink.notify();
  await waitUntil(() => journalDrained(journalPath), 10_000, 'first alarm acknowledged');

  await kill9(cloud.proc);
  // Still active, now 二级: journaled and published while the cloud is dead.
  gw.journal.appendAlarmEvents([{ ...liveAlarm(2), level: 'GAS_2', limit: 50, value: 57.5 }]);
  gw.journal.appendTelemetry([liveReading(1, 1)]);
  gw.uplink.notify();
  const wanted = lastAlarmId(journalPath);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!storedAlarmIds(dbPath).has(wanted));

  cloud = spawnCloud(dbPath, clientId);
  const back = await cloud.started;
  await waitUntil(() => storedAlarmIds(dbPath).has(wanted), 15_000, 'alarm stored after the cloud came back');
  const ms = Date.now() - back;
  assert.ok(ms <= 3000, `alarm in the cloud ${ms} ms after the cloud was back (goal ≤ 3000 ms)`);
  await waitUntil(() => journalDrained(journalPath), 10_000, 'journal drained');
  process.stdout.write(`# cloud kill -9: alarm stored ${ms} ms after the cloud was back\n`);
});

void it('broker restarted during an active alarm: the alarm published meanwhile is in the cloud within 3 s of the broker being back', async () => {
  const cloud = new Cloud(broker.url, join(tmp.dir, 'br-cloud.db'), `ingest-br-${process.pid}`);
  await cloud.start();
  cleanups.push(() => cloud.close());
  const journalPath = join(tmp.dir, 'br-gw.db');
  const gw = await startGateway({ gatewayId: 'gwbrokerflap', url: broker.url, journalPath, delivery: SLOW_ACK });
  cleanups.push(() => gw.stop());
  await waitUntil(() => gw.uplink.connected, 5000, 'gateway connected');
  gw.journal.appendAlarmEvents([liveAlarm(0)]);
  gw.uplink.notify();
  await waitUntil(() => journalDrained(journalPath), 10_000, 'first alarm acknowledged');

  // Down 6 s: long enough for an uncapped backoff to grow past 8 s.
  const restart = broker.restart(6000);
  await waitUntil(() => !gw.uplink.connected, 5000, 'gateway saw the broker go');
  gw.journal.appendAlarmEvents([{ ...liveAlarm(2), level: 'GAS_2', limit: 50, value: 57.5 }]);
  gw.uplink.notify();
  const wanted = lastAlarmId(journalPath);
  await restart;
  const back = Date.now();
  await waitUntil(async () => (await cloud.stored('gwbrokerflap', 'alarm')).some((r) => r.id === wanted), 15_000, 'alarm stored after the broker came back');
  const ms = Date.now() - back;
  assert.ok(ms <= 3000, `alarm in the cloud ${ms} ms after the broker was back (goal ≤ 3000 ms)`);
  process.stdout.write(`# broker restart: alarm stored ${ms} ms after the broker was back\n`);
});

void it('the cloud announces a new session: a gateway re-publishes what it has not had acknowledged at once, not after its ack timeout', async () => {
  const journalPath = join(tmp.dir, 'ann-gw.db');
  const gw = await startGateway({ gatewayId: 'gwannounce', url: broker.url, journalPath, delivery: SLOW_ACK });
  cleanups.push(() => gw.stop());
  await waitUntil(() => gw.uplink.connected, 5000, 'gateway connected');
  // No cloud at all (clean sessions only): the alarm goes out to nobody.
  gw.journal.appendAlarmEvents([liveAlarm(0)]);
  gw.uplink.notify();
  await new Promise((r) => setTimeout(r, 300));
  const cloud = new Cloud(broker.url, join(tmp.dir, 'ann-cloud.db'));
  cleanups.push(() => cloud.close());
  const t0 = Date.now();
  await cloud.start();
  await waitUntil(() => journalDrained(journalPath), 10_000, 'drained after the cloud announced itself');
  const ms = Date.now() - t0;
  assert.ok(ms < 5000, `drained ${ms} ms after the cloud started (ack timeout is 20 s)`);
  assert.ok(gw.uplink.metrics().resends >= 1);
});
