/**
 * Issue 18, done-when 2 and 3, on the real path (real Mosquitto, real gateway journal + uplink, real ingest
 * on SQLite):
 *  - one forged event with seq 999998 on a gateway's topic changes nothing: the journal keeps draining, acks
 *    keep advancing, nothing is asked for or acknowledged beyond what the gateway assigned;
 *  - a gateway killed with SIGKILL whose journal is moved aside (the technician's replacement procedure)
 *    drains its new journal within one ack round: a new stream epoch, old rows kept under the old one,
 *    nothing stored twice under one (epoch, seq).
 *
 * How it went wrong before: the forged seq was counted, the cloud asked to replay 4335–999997, raised a loss
 * for 6960–999997 and from then on acked 999998, which the gateway refused — nothing was released again.
 * A replaced journal got acks for the old high-water mark (refused), and its rows were stored under reused seqs.
 */
import { after, afterEach, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { ulid } from 'ulid';
import { topics } from '@safeloop/contract';
import { startTestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import type { TestMosquitto } from '@safeloop/test-rigs/mosquitto/test-mosquitto';
import { pollFor } from './burst.ts';
import { Cloud, journalDrained, journalRows, SITE, startGateway, tempDir, waitUntil } from './harness.ts';

const tmp = tempDir('seq-poison');
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

interface StreamRow {
  stream: string;
  ack_seq: number;
  expected_seq: number;
  pending: string;
  epoch: number;
  announced_seq: number;
}

async function streams(cloud: Cloud, gatewayId: string): Promise<Record<string, StreamRow>> {
  const rows = await cloud.db.query<StreamRow>('SELECT stream, ack_seq, expected_seq, pending, epoch, announced_seq FROM ingest_streams WHERE gateway_id = $1', [gatewayId]);
  return Object.fromEntries(rows.map((r) => [r.stream, { ...r, ack_seq: Number(r.ack_seq), expected_seq: Number(r.expected_seq), epoch: Number(r.epoch), announced_seq: Number(r.announced_seq) }]));
}

void it('one forged event with seq 999998 on a gateway topic changes nothing: the journal keeps draining, acks keep advancing', async () => {
  const name = 'gwforged';
  const cloud = new Cloud(broker.url, join(tmp.dir, 'forged-cloud.db'));
  await cloud.start();
  cleanups.push(() => cloud.close());
  const journalPath = join(tmp.dir, 'forged.db');
  const gw = await startGateway({ gatewayId: name, url: broker.url, journalPath });
  cleanups.push(() => gw.stop());
  const notify = (): void => gw.uplink.notify();
  await pollFor(gw.journal, { cycles: 10, points: 20, alarmEvery: 3, intervalMs: 30, notify });
  await waitUntil(() => journalDrained(journalPath), 10_000, 'first part acknowledged');

  // The forgery: a well-formed event of the right tenant, seq 999998, on both streams.
  const rogue = await mqtt.connectAsync(broker.url, { clientId: `rogue-${process.pid}`, reconnectPeriod: 0 });
  cleanups.push(() => rogue.endAsync(true));
  const t = Date.now();
  const forgedReading = { id: ulid(), seq: 999_998, point: `${SITE}/dev1/p1`, value: 1, unit: 'ppm', quality: 'good', sourceTime: t, gatewayTime: t };
  const forgedAlarm = { id: ulid(), seq: 999_998, type: 'alarm', point: `${SITE}/gas1/conc`, kind: 'raised', level: 'GAS_2', direction: 'high', limit: 50, value: 99, quality: 'good', sourceTime: t, gatewayTime: t };
  await rogue.publishAsync(topics.up(name, 'telemetry'), JSON.stringify({ v: 1, gatewayId: name, stream: 'telemetry', events: [forgedReading] }), { qos: 1 });
  await rogue.publishAsync(topics.up(name, 'alarm'), JSON.stringify({ v: 1, gatewayId: name, stream: 'alarm', events: [forgedAlarm] }), { qos: 1 });

  // The gateway goes on; its journal keeps draining through several reorder/replay timeouts of the cloud.
  await pollFor(gw.journal, { cycles: 60, points: 20, alarmEvery: 3, intervalMs: 80, notify });
  await waitUntil(() => journalDrained(journalPath), 15_000, 'journal drained after the forgery');
  const s = gw.journal.stats();
  assert.equal(s.ackedSeq.telemetry, s.nextSeq.telemetry - 1, 'telemetry acks advanced to the last assigned seq');
  assert.equal(s.ackedSeq.alarm, s.nextSeq.alarm - 1, 'alarm acks advanced to the last assigned seq');
  assert.equal(gw.uplink.metrics().rejectedAcks, 0, 'the cloud never acked beyond what the gateway assigned');

  const forgedStored = await cloud.db.query<{ n: number }>(
    'SELECT (SELECT COUNT(*) FROM telemetry_raw WHERE id = $1) + (SELECT COUNT(*) FROM edge_events WHERE id = $2) AS n',
    [forgedReading.id, forgedAlarm.id],
  );
  assert.equal(Number(forgedStored[0]?.n), 0, 'the forged events are not stored');
  const st = await streams(cloud, name);
  for (const stream of ['alarm', 'telemetry'] as const) {
    assert.ok(st[stream]!.expected_seq < 999_998, `${stream}: the bookkeeping never saw 999998 (${st[stream]!.expected_seq})`);
    assert.equal(st[stream]!.pending, '[]');
    assert.equal(st[stream]!.ack_seq, stream === 'telemetry' ? s.nextSeq.telemetry - 1 : s.nextSeq.alarm - 1);
  }
  const rejects = await cloud.db.query<{ reason: string; detail: string }>("SELECT reason, detail FROM ingest_rejects WHERE gateway_id = $1 AND reason = 'seq_out_of_window'", [name]);
  assert.equal(rejects.length, 2, 'both forged events rejected, with a reason');
  assert.match(rejects[0]!.detail, /seq 999998 is beyond announced seq/);
});

void it('a gateway killed with SIGKILL whose journal is moved aside drains its new journal within one ack round (new epoch)', async () => {
  const name = 'gwreplaced';
  const cloud = new Cloud(broker.url, join(tmp.dir, 'replaced-cloud.db'));
  await cloud.start();
  cleanups.push(() => cloud.close());
  const journalPath = join(tmp.dir, 'replaced.db');

  // The old gateway: a child process, journaling and uplinking, killed with SIGKILL once acked well past the new journal's seqs.
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'gateway-proc.ts')], {
    env: { ...process.env, GW: name, URL: broker.url, JOURNAL: journalPath, CYCLES: '60', POINTS: '40' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(async () => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  await waitUntil(() => out.includes('DRAINED'), 40_000, 'old journal drained');
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
  const old = journalRows(journalPath);
  const oldAck = (await streams(cloud, name)).telemetry!.ack_seq;
  assert.equal(oldAck, old.telemetry.length);

  // The technician's procedure: the old journal is moved aside, the gateway starts on a new one.
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(journalPath + suffix)) renameSync(journalPath + suffix, `${journalPath}.old${suffix}`);
  const gw = await startGateway({ gatewayId: name, url: broker.url, journalPath, delivery: { ackTimeoutMs: 20_000 } });
  cleanups.push(() => gw.stop());
  const t0 = Date.now();
  await pollFor(gw.journal, { cycles: 10, points: 40, alarmEvery: 2, intervalMs: 30, notify: () => gw.uplink.notify() });
  await waitUntil(() => journalDrained(journalPath), 15_000, 'new journal drained');
  const ms = Date.now() - t0;
  assert.ok(ms < 20_000, `drained in ${ms} ms, within one ack round (ack timeout 20 s)`);
  const m = gw.uplink.metrics();
  assert.equal(m.rejectedAcks, 0, 'no ack for the old high-water mark');
  assert.equal(m.resends, 0, 'no ack timeout needed');

  const st = await streams(cloud, name);
  assert.equal(st.telemetry!.epoch, 1, 'a new telemetry epoch');
  assert.equal(st.alarm!.epoch, 1, 'a new alarm epoch');
  assert.equal(st.telemetry!.ack_seq, 400);
  const fresh = journalRows(journalPath);
  for (const [stream, table] of [['telemetry', 'telemetry_raw'], ['alarm', 'edge_events']] as const) {
    const rows = await cloud.db.query<{ id: string; seq: number; epoch: number }>(`SELECT id, seq, epoch FROM ${table} WHERE gateway_id = $1`, [name]);
    const keys = rows.map((r) => `${r.epoch}:${r.seq}`);
    assert.equal(new Set(keys).size, rows.length, `${stream}: nothing stored twice under one (epoch, seq)`);
    const byId = new Map(rows.map((r) => [r.id, Number(r.epoch)]));
    assert.ok(old[stream].every((r) => byId.get(r.id) === 0), `${stream}: old rows stay under epoch 0`);
    assert.ok(fresh[stream].every((r) => byId.get(r.id) === 1), `${stream}: new rows under epoch 1`);
    assert.equal(rows.length, old[stream].length + fresh[stream].length);
  }
});
