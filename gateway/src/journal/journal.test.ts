import { after, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AlarmStreamEventSchema, SafeLoopError, TelemetryEventSchema, silentLogger } from '@safeloop/contract';
import { JournalConfigSchema } from './config.ts';
import type { JournalConfigInput } from './config.ts';
import { entryEvent } from './entry.ts';
import { Journal } from './journal.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { alarm, reading } from './test-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function open(cfg: Partial<JournalConfigInput> = {}, path = join(dir, `j${++n}.db`)): Journal {
  return Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600, ...cfg }), logger: silentLogger });
}

void describe('Journal', () => {
  void it('runs WAL with synchronous=FULL (pragma reads 2)', () => {
    const j = open();
    assert.deepEqual(j.durability(), { journalMode: 'wal', synchronous: 2 });
    j.close();
  });

  void it('assigns contiguous per-stream seqs and unique increasing ULIDs; rows match the wire schemas', () => {
    const j = open();
    j.appendTelemetry([reading(1), reading(2)]);
    j.appendTelemetry([reading(3)]);
    j.appendAlarmEvents([alarm(1), alarm(2)]);
    const t = j.peek('telemetry', 10);
    const a = j.peek('alarm', 10);
    assert.deepEqual(t.map((e) => e.seq), [1, 2, 3]);
    assert.deepEqual(a.map((e) => e.seq), [1, 2]);
    const ids = [...t, ...a].map((e) => e.id);
    assert.equal(new Set(ids).size, 5);
    assert.deepEqual([...t.map((e) => e.id)].sort(), t.map((e) => e.id));
    for (const e of t) TelemetryEventSchema.parse(entryEvent(e));
    for (const e of a) AlarmStreamEventSchema.parse(entryEvent(e));
    assert.equal(entryEvent(t[2]!)['value'], 1.5);
    const s = j.stats();
    assert.deepEqual(s.nextSeq, { alarm: 3, telemetry: 4 });
    assert.deepEqual(s.backlog, { alarm: 2, telemetry: 3 });
    assert.equal(s.health, 'ok');
    j.close();
  });

  void it('releases rows only up to the acknowledged seq; refuses acks beyond the journal; ignores stale ones', () => {
    const j = open();
    j.appendTelemetry([1, 2, 3, 4].map((i) => reading(i)));
    assert.deepEqual(j.ack('telemetry', 2), { accepted: true, ackedSeq: 2 });
    assert.deepEqual(j.peek('telemetry', 10).map((e) => e.seq), [3, 4]);
    const beyond = j.ack('telemetry', 99);
    assert.equal(beyond.accepted, false);
    assert.match(beyond.reason ?? '', /beyond the last assigned seq 4/);
    assert.equal(j.ack('telemetry', -1).accepted, false);
    assert.equal(j.ack('telemetry', 1.5).accepted, false);
    assert.deepEqual(j.ack('telemetry', 1), { accepted: true, ackedSeq: 2 });
    assert.equal(j.stats().backlog.telemetry, 2);
    // acknowledged rows are kept for inspection, readable by an explicit range
    assert.deepEqual(j.peek('telemetry', 10, { afterSeq: 0 }).map((e) => e.seq), [1, 2, 3, 4]);
    j.close();
  });

  void it('an accepted ack is written within 250 ms when nothing else is written, and a crash before that means a resend, never a loss', async () => {
    const path = join(dir, 'ack-timer.db');
    const j = Journal.open({ config: JournalConfigSchema.parse({ path, retainAckedSec: 0, housekeepingIntervalSec: 3600 }), logger: silentLogger });
    j.appendTelemetry(Array.from({ length: 10 }, (_, i) => reading(i)));
    j.appendAlarmEvents([alarm(1)]);
    const other = new Database(path, { readonly: true });
    const written = () => other.prepare<[], { stream: string; acked_seq: number }>('SELECT stream, acked_seq FROM stream_state ORDER BY stream').all();
    assert.deepEqual(j.ack('telemetry', 10), { accepted: true, ackedSeq: 10 });
    assert.deepEqual(j.ack('alarm', 1), { accepted: true, ackedSeq: 1 });
    assert.deepEqual(j.stats().backlog, { alarm: 0, telemetry: 0 });
    // what a process crashing now would leave on disk: nothing released, everything resent after restart
    assert.deepEqual(written(), [{ stream: 'alarm', acked_seq: 0 }, { stream: 'telemetry', acked_seq: 0 }]);
    assert.equal(j.ack('telemetry', 11).accepted, false, 'an ack beyond the last seq is still refused');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(written(), [{ stream: 'alarm', acked_seq: 1 }, { stream: 'telemetry', acked_seq: 10 }]);
    assert.equal(other.prepare<[], { c: number }>('SELECT COUNT(*) AS c FROM telemetry_batches').get()?.c, 0);
    other.close();
    j.close();
  });

  void it('deletes acknowledged rows with the next write with retainAckedSec 0, and after retention in housekeeping', () => {
    const j = open({ retainAckedSec: 0 });
    j.appendAlarmEvents([alarm(1), alarm(2)]);
    j.ack('alarm', 1);
    assert.deepEqual(j.peek('alarm', 10).map((e) => e.seq), [2], 'the ack counts at once');
    assert.deepEqual(j.peek('alarm', 10, { afterSeq: 0 }).map((e) => e.seq), [1, 2], 'the row stays until the ack is written');
    j.appendAlarmEvents([alarm(3)]);
    assert.deepEqual(j.peek('alarm', 10, { afterSeq: 0 }).map((e) => e.seq), [2, 3], 'written, and the row deleted, with the next write');
    j.close();
    let now = 2_000_000_000_000;
    const path = join(dir, 'retain.db');
    const k = Journal.open({
      config: JournalConfigSchema.parse({ path, retainAckedSec: 60, housekeepingIntervalSec: 3600 }),
      logger: silentLogger,
      clock: { now: () => now, monotonic: () => now },
    });
    k.appendAlarmEvents([alarm(1), alarm(2)]);
    k.ack('alarm', 2);
    k.housekeeping();
    assert.equal(k.peek('alarm', 10, { afterSeq: 0 }).length, 2);
    now += 61_000;
    k.housekeeping();
    assert.equal(k.peek('alarm', 10, { afterSeq: 0 }).length, 0);
    assert.equal(k.stats().nextSeq.alarm, 3, 'seqs are never reused after a purge');
    k.close();
  });

  void it('survives a reopen: seqs continue, unacked rows remain, bdSeq advances', () => {
    const path = join(dir, 'reopen.db');
    const j = open({}, path);
    j.appendTelemetry([reading(1), reading(2)]);
    j.appendAlarmEvents([alarm(1)]);
    j.ack('telemetry', 1);
    assert.equal(j.nextBirthDeathSeq(), 0);
    assert.equal(j.nextBirthDeathSeq(), 1);
    j.close();
    const k = open({}, path);
    assert.deepEqual(k.peek('telemetry', 10).map((e) => e.seq), [2]);
    k.appendTelemetry([reading(3)]);
    assert.deepEqual(k.peek('telemetry', 10).map((e) => e.seq), [2, 3]);
    assert.equal(k.peek('alarm', 10).length, 1);
    assert.equal(k.nextBirthDeathSeq(), 2);
    k.close();
  });

  void it('staged telemetry is invisible until committed, then takes contiguous seqs in staging order; close commits it', () => {
    const path = join(dir, 'staged.db');
    const j = open({}, path);
    j.appendTelemetry([reading(1)]);
    j.stageTelemetry([reading(2), reading(3)]);
    j.stageTelemetry([reading(4, { point: 'not a path' }), reading(5)]); // the invalid one is refused at staging
    assert.equal(j.stagedTelemetry, 3);
    assert.deepEqual(j.cursor('telemetry').nextSeq, 2, 'no seq is given before the commit');
    assert.deepEqual(j.peek('telemetry', 10).map((e) => e.seq), [1]);
    j.commitTelemetry();
    assert.equal(j.stagedTelemetry, 0);
    assert.deepEqual(
      j.peek('telemetry', 10).map((e) => [e.seq, entryEvent(e)['value']]),
      [[1, 0.5], [2, 1], [3, 1.5], [4, 2.5]],
    );
    assert.equal(j.stats().rejectedReadings, 1);
    j.stageTelemetry([reading(6)]);
    j.close(); // a clean stop journals what was staged
    const k = open({}, path);
    assert.deepEqual(k.peek('telemetry', 10).map((e) => e.seq), [1, 2, 3, 4, 5]);
    k.close();
  });

  void it('a commit the disk refuses drops only the staged rows (error thrown, health failing); later commits continue the seqs', () => {
    const path = join(dir, 'staged-busy.db');
    const j = open({ busyTimeoutMs: 50 }, path);
    j.appendTelemetry([reading(1)]);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    j.stageTelemetry([reading(2), reading(3)]);
    assert.throws(
      () => j.commitTelemetry(),
      (err: unknown) => err instanceof SafeLoopError && err.code === 'GW_ERR_JOURNAL_BUSY',
    );
    assert.equal(j.stagedTelemetry, 0);
    assert.equal(j.stats().health, 'failing');
    other.exec('ROLLBACK');
    other.close();
    j.stageTelemetry([reading(4)]);
    j.commitTelemetry();
    assert.deepEqual(j.peek('telemetry', 10).map((e) => [e.seq, entryEvent(e)['value']]), [[1, 0.5], [2, 2]]);
    assert.equal(j.stats().health, 'ok');
    j.close();
  });

  void it('migrates a fresh file to the latest version and refuses a newer schema', () => {
    const path = join(dir, 'mig.db');
    open({}, path).close();
    const raw = new Database(path);
    assert.equal(raw.pragma('user_version', { simple: true }), MIGRATIONS.at(-1)!.version);
    raw.pragma('user_version = 99');
    raw.close();
    assert.throws(() => open({}, path), (err: unknown) => err instanceof SafeLoopError && err.code === 'GW_ERR_JOURNAL_SCHEMA_NEWER');
  });

  void it('refuses invalid readings (counted) and throws on invalid alarm events', () => {
    const j = open();
    j.appendTelemetry([reading(1), reading(2, { value: Number.NaN }), reading(3, { point: 'bad path' })]);
    assert.equal(j.stats().nextSeq.telemetry, 2);
    assert.equal(j.stats().rejectedReadings, 2);
    assert.throws(
      () => j.appendAlarmEvents([alarm(1, { level: 'NOPE' as 'H' })]),
      (err: unknown) => err instanceof SafeLoopError && err.code === 'GW_ERR_JOURNAL_INVALID_EVENT',
    );
    assert.equal(j.stats().nextSeq.alarm, 1);
    j.close();
  });

  void it('on reaching the disk budget drops the oldest unsent telemetry, keeps every alarm, and announces it', () => {
    const j = open({ diskBudgetBytes: 1_000_000 });
    let i = 0;
    for (let b = 0; b < 60; b++) {
      // random details: rows are stored deflated, and a repeated detail would compress to nothing
      j.appendTelemetry(Array.from({ length: 200 }, () => reading(++i, { detail: randomBytes(95).toString('hex') })));
      j.appendAlarmEvents([alarm(b)]);
    }
    const s = j.stats();
    assert.ok(s.discardedTelemetry > 0, 'some telemetry was discarded');
    assert.equal(s.health, 'degraded');
    assert.match(s.healthDetail ?? '', /telemetry rows discarded/);
    assert.ok(s.dbBytes <= 1_000_000 + 200_000, `usage ${s.dbBytes} near the budget`);
    const alarms = j.peek('alarm', 1000).map(entryEvent);
    assert.equal(alarms.filter((e) => e['type'] === 'alarm').length, 60, 'every alarm kept');
    const notices = alarms.filter((e) => e['code'] === 'GW_TELEMETRY_DISCARDED');
    assert.ok(notices.length > 0);
    const counted = notices.reduce((sum, e) => sum + Number((e['details'] as { count: number }).count), 0);
    assert.equal(counted, s.discardedTelemetry);
    for (const e of alarms) AlarmStreamEventSchema.parse(e);
    const t = j.peek('telemetry', 1);
    assert.equal(t[0]!.seq, s.discardedThrough + 1, 'telemetry resumes right after the discarded range');
    assert.equal(s.backlog.telemetry, 12_000 - s.discardedTelemetry);
    j.close();
  });

  void it('the disk budget never counts rows as discarded whose ack was accepted but not yet written', () => {
    const j = open({ diskBudgetBytes: 1_000_000 });
    let i = 0;
    const noisy = (): ReturnType<typeof reading>[] => Array.from({ length: 200 }, () => reading(++i, { detail: randomBytes(95).toString('hex') }));
    for (let b = 0; b < 20; b++) j.appendTelemetry(noisy());
    const acked = i;
    assert.equal(j.stats().discardedTelemetry, 0);
    j.ack('telemetry', acked); // accepted; written with the next append, before its budget check
    for (let b = 0; b < 60; b++) j.appendTelemetry(noisy());
    const s = j.stats();
    assert.ok(s.discardedTelemetry > 0, 'the budget had to discard');
    assert.ok(s.discardedThrough - s.discardedTelemetry >= acked, `discarded ${s.discardedTelemetry} through ${s.discardedThrough}: none of 1..${acked}`);
    j.close();
  });

  void it('a full disk (SQLITE_FULL) trims telemetry to keep taking alarms', () => {
    const j = open({ hardLimitBytes: 400_000, diskBudgetBytes: 10_000_000 });
    let i = 0;
    while (j.stats().discardedTelemetry === 0) {
      // telemetry writes hitting the hard limit trim older telemetry and succeed
      j.appendTelemetry(Array.from({ length: 50 }, () => reading(++i, { detail: 'y'.repeat(150) })));
      if (i > 100_000) assert.fail('never filled');
    }
    for (let k = 0; k < 20; k++) j.appendTelemetry(Array.from({ length: 50 }, () => reading(++i, { detail: 'y'.repeat(150) })));
    // the file is at its hard limit: an alarm still goes in (telemetry trimmed to make room)
    j.appendAlarmEvents([alarm(1)]);
    assert.equal(j.peek('alarm', 100).filter((e) => entryEvent(e)['type'] === 'alarm').length, 1);
    assert.equal(j.stats().health, 'degraded');
    assert.ok(j.stats().discardedTelemetry > 0);
    j.close();
  });

  void it('alarms filling the disk: clear error, health failing, no crash; recovers once space returns', () => {
    const j = open({ hardLimitBytes: 200_000, diskBudgetBytes: 10_000_000 });
    let failure: unknown;
    let k = 0;
    while (failure === undefined && k < 10_000) {
      try {
        j.appendAlarmEvents([alarm(++k, { unit: 'u'.repeat(32) })]);
      } catch (err) {
        failure = err;
      }
    }
    assert.ok(failure instanceof SafeLoopError, 'a SafeLoopError, not a crash');
    assert.equal(failure.code, 'GW_ERR_JOURNAL_DISK_FULL');
    assert.match(failure.message, /cannot journal alarm events: the disk or the journal size limit is full/);
    const s = j.stats();
    assert.equal(s.health, 'failing');
    assert.match(s.healthDetail ?? '', /DISK|full/i);
    assert.equal(s.backlog.alarm, k - 1, 'every alarm that returned is journaled; none deleted');
    // the cloud acknowledges; acknowledged rows make room
    j.ack('alarm', k - 1);
    j.appendAlarmEvents([alarm(k + 1)]);
    assert.equal(j.stats().health, 'ok');
    j.close();
  });
  void it('runs each migration in its own transaction: a failing one leaves the previous version intact', () => {
    const db = new Database(join(dir, 'mig-fail.db'));
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: '9999_broken', sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);' },
    ];
    assert.throws(() => migrate(db, broken), /no such table/);
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.deepEqual(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'half_done'").get(), { n: 0 });
    db.close();
  });

  void it('another process holding the write lock: BEGIN IMMEDIATE waits busyTimeoutMs, then a clear busy error; no crash', () => {
    const path = join(dir, 'busy.db');
    const j = open({ busyTimeoutMs: 100 }, path);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    assert.throws(
      () => j.appendAlarmEvents([alarm(1)]),
      (err: unknown) => err instanceof SafeLoopError && err.code === 'GW_ERR_JOURNAL_BUSY',
    );
    assert.equal(j.stats().health, 'failing');
    other.exec('ROLLBACK');
    other.close();
    j.appendAlarmEvents([alarm(1)]);
    assert.equal(j.stats().health, 'ok');
    assert.equal(j.stats().backlog.alarm, 1);
    j.close();
  });
});
