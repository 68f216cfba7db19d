/**
 * Accepted acks whose write fails (pending-acks.ts): the timer's write, a journal write carrying them,
 * close(). Faults are real SQLite errors on a real file: another connection holding the write lock
 * (SQLITE_BUSY), a trigger that makes writing an ack need more pages than `hardLimitBytes` leaves
 * (SQLITE_FULL), and a file size limit on this process (prlimit) under which a commit cannot write
 * its WAL frames (SQLITE_IOERR_WRITE). Also: a disk-budget trim in a write that is rolled back.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { SafeLoopError, type Logger } from '@safeloop/contract';
import { JournalConfigSchema } from './config.ts';
import type { JournalConfigInput } from './config.ts';
import { entryEvent } from './entry.ts';
import { Journal } from './journal.ts';
import { alarm, reading } from './test-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-ack-failures-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

interface Logged {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function capturingLogger(): Logger & { records: Logged[] } {
  const records: Logged[] = [];
  const at =
    (level: Logged['level']) =>
    (obj: object, msg?: string): void => {
      records.push({ level, obj: obj as Record<string, unknown>, msg });
    };
  const logger: Logger & { records: Logged[] } = {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

function open(cfg: Partial<JournalConfigInput> = {}, path = join(dir, `j${++n}.db`)): { j: Journal; path: string; log: Logger & { records: Logged[] } } {
  const log = capturingLogger();
  const j = Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600, ...cfg }), logger: log });
  return { j, path, log };
}

/** What a process crashing now would leave: the committed state, read by another connection. */
function onDisk(path: string): { acked: { alarm: number; telemetry: number }; telemetry: [number, number] | undefined; alarms: number[]; discarded: number } {
  const db = new Database(path, { readonly: true });
  try {
    const state = db.prepare<[], { stream: 'alarm' | 'telemetry'; acked_seq: number; discarded_count: number }>('SELECT stream, acked_seq, discarded_count FROM stream_state').all();
    const t = db.prepare<[], { lo: number | null; hi: number | null }>('SELECT MIN(first_seq) AS lo, MAX(last_seq) AS hi FROM telemetry_batches').get();
    return {
      acked: { alarm: state.find((s) => s.stream === 'alarm')!.acked_seq, telemetry: state.find((s) => s.stream === 'telemetry')!.acked_seq },
      telemetry: t?.lo == null || t.hi == null ? undefined : [t.lo, t.hi],
      alarms: db.prepare<[], { seq: number }>('SELECT seq FROM alarm_events ORDER BY seq').all().map((r) => r.seq),
      discarded: state.find((s) => s.stream === 'telemetry')!.discarded_count,
    };
  } finally {
    db.close();
  }
}

const failures = (log: { records: Logged[] }, code: string): Logged[] =>
  log.records.filter((r) => r.level === 'error' && r.msg === 'journal write failed' && r.obj['code'] === code);

const isCode = (code: string) => (err: unknown) => err instanceof SafeLoopError && err.code === code;

let noisyI = 0;
/** Readings that do not deflate to nothing (random details). */
const noisy = (count: number): ReturnType<typeof reading>[] =>
  Array.from({ length: count }, () => reading(++noisyI, { detail: randomBytes(95).toString('hex') }));

/**
 * Run fn while no file this process writes may grow past `bytes` (RLIMIT_FSIZE, set with prlimit on
 * this very process; node ignores SIGXFSZ, so the write fails with EFBIG and SQLite reports
 * SQLITE_IOERR_WRITE). Synchronous on purpose: nothing else of this process writes a file meanwhile.
 */
function withFileSizeLimit<T>(bytes: number, fn: () => T): T {
  const set = (limit: string): void => {
    const r = spawnSync('prlimit', ['--pid', String(process.pid), `--fsize=${limit}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`prlimit failed: ${r.error?.message ?? r.stderr}`);
  };
  set(`${bytes}:unlimited`);
  try {
    return fn();
  } finally {
    set('unlimited:unlimited');
  }
}
const prlimitMissing =
  process.platform !== 'linux' || spawnSync('prlimit', ['--version']).status !== 0 ? 'needs Linux and prlimit (util-linux)' : false;

void describe('Journal: an accepted ack whose write fails', () => {
  void it('database locked when the ack timer writes: no crash, the acks stay pending and count, nothing is released, health failing and logged; the next write carries them', async () => {
    const { j, path, log } = open({ retainAckedSec: 0, busyTimeoutMs: 0 });
    j.appendTelemetry(Array.from({ length: 10 }, (_, i) => reading(i)));
    j.appendAlarmEvents([alarm(1), alarm(2)]);
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    assert.deepEqual(j.ack('telemetry', 10), { accepted: true, ackedSeq: 10 });
    assert.deepEqual(j.ack('alarm', 1), { accepted: true, ackedSeq: 1 });
    await delay(400); // the timer (250 ms) has tried, and failed, to write them
    assert.equal(failures(log, 'GW_ERR_JOURNAL_BUSY').length, 1, 'the timer tried and its failure is logged');
    const s = j.stats();
    assert.equal(s.health, 'failing');
    assert.match(s.healthDetail ?? '', /cannot record an acknowledgement/);
    assert.deepEqual(s.ackedSeq, { alarm: 1, telemetry: 10 }, 'still accepted: the stream position does not go back');
    assert.deepEqual(s.backlog, { alarm: 1, telemetry: 0 });
    assert.deepEqual(j.peek('alarm', 10).map((e) => e.seq), [2]);
    assert.deepEqual(onDisk(path), { acked: { alarm: 0, telemetry: 0 }, telemetry: [1, 10], alarms: [1, 2], discarded: 0 }, 'nothing released');
    // a write while the lock is still held fails too, and forgets nothing
    assert.throws(() => j.appendAlarmEvents([alarm(3)]), isCode('GW_ERR_JOURNAL_BUSY'));
    assert.deepEqual(j.stats().ackedSeq, { alarm: 1, telemetry: 10 });
    assert.equal(j.stats().nextSeq.alarm, 3, 'the failed append journaled nothing (its caller got the error)');
    other.exec('ROLLBACK');
    other.close();
    j.appendAlarmEvents([alarm(3)]);
    assert.equal(j.stats().health, 'ok');
    assert.deepEqual(onDisk(path), { acked: { alarm: 1, telemetry: 10 }, telemetry: undefined, alarms: [2, 3], discarded: 0 }, 'written with the next write');
    j.close();
  });

  void it('when nothing else is written, housekeeping writes acks the timer could not; close() writes them, or (still failing) leaves them to be resent', async () => {
    const { j, path } = open({ retainAckedSec: 0, busyTimeoutMs: 0 });
    for (let i = 1; i <= 10; i++) j.appendTelemetry([reading(i)]); // a batch row each: an ack releases what it covers
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    j.ack('telemetry', 4);
    await delay(400);
    assert.equal(j.stats().health, 'failing');
    j.housekeeping(); // still locked: no throw, nothing released
    assert.deepEqual(onDisk(path).acked.telemetry, 0);
    other.exec('ROLLBACK');
    j.housekeeping();
    assert.deepEqual(onDisk(path), { acked: { alarm: 0, telemetry: 4 }, telemetry: [5, 10], alarms: [], discarded: 0 });
    assert.equal(j.stats().health, 'ok');

    // failed by the timer, written by close()
    other.exec('BEGIN IMMEDIATE');
    j.ack('telemetry', 7);
    await delay(400);
    assert.equal(onDisk(path).acked.telemetry, 4);
    other.exec('ROLLBACK');
    j.close();
    assert.deepEqual(onDisk(path), { acked: { alarm: 0, telemetry: 7 }, telemetry: [8, 10], alarms: [], discarded: 0 });

    // close() cannot write it either: no throw, and the reopened journal sends those rows again
    const k = open({ retainAckedSec: 0, busyTimeoutMs: 0 }, path).j;
    other.exec('BEGIN IMMEDIATE');
    k.ack('telemetry', 9);
    assert.doesNotThrow(() => k.close());
    other.exec('ROLLBACK');
    other.close();
    const r = open({ retainAckedSec: 0 }, path).j;
    assert.deepEqual(r.cursor('telemetry'), { nextSeq: 11, ackedSeq: 7, discardedThrough: 0 });
    assert.deepEqual(r.peek('telemetry', 10).map((e) => e.seq), [8, 9, 10], 'resent, not lost');
    r.close();
  });

  void it('a full disk when writing the ack (SQLITE_FULL, also after the emergency trim): acks pending, no row deleted or discarded, appends carrying them fail loudly; all written once space returns', async () => {
    const { j, path, log } = open({ hardLimitBytes: 400_000, retainAckedSec: 0 });
    for (let b = 0; b < 5; b++) j.appendTelemetry(noisy(20));
    const other = new Database(path);
    // writing an ack now needs ~1 MB more than the 400 kB the file may hold
    other.exec(`CREATE TABLE ballast (b BLOB);
      CREATE TRIGGER ack_needs_room AFTER UPDATE OF acked_seq ON stream_state BEGIN INSERT INTO ballast VALUES (randomblob(1000000)); END;`);
    j.ack('telemetry', 60);
    await delay(400);
    assert.equal(failures(log, 'GW_ERR_JOURNAL_DISK_FULL').length, 1, 'the timer tried and its failure is logged');
    assert.equal(j.stats().health, 'failing');
    assert.equal(j.cursor('telemetry').ackedSeq, 60);
    const untouched = { acked: { alarm: 0, telemetry: 0 }, telemetry: [1, 100], alarms: [], discarded: 0 };
    assert.deepEqual(onDisk(path), untouched, 'the emergency trim was undone with the ack it ran with');

    // a write carrying the acks fails the same way: the caller is told, nothing of it is half-written
    assert.throws(() => j.appendTelemetry(noisy(20)), isCode('GW_ERR_JOURNAL_DISK_FULL'));
    assert.equal(j.stats().nextSeq.telemetry, 101);
    assert.throws(() => j.appendAlarmEvents([alarm(1)]), isCode('GW_ERR_JOURNAL_DISK_FULL'));
    j.housekeeping(); // purge and the disk budget: no throw, nothing discarded without its ack written
    assert.equal(j.cursor('telemetry').ackedSeq, 60);
    assert.deepEqual(onDisk(path), untouched);
    assert.equal(j.stats().discardedTelemetry, 0);

    other.exec('DROP TRIGGER ack_needs_room');
    other.close();
    j.appendTelemetry(noisy(20));
    assert.equal(j.stats().health, 'ok');
    assert.deepEqual(onDisk(path), { acked: { alarm: 0, telemetry: 60 }, telemetry: [61, 120], alarms: [], discarded: 0 });
    j.close();
  });

  void it('while its ack cannot be written, the disk budget discards none of the acknowledged rows; once written, only later rows count as discarded', () => {
    // a journal over its budget (written with a larger one), an accepted ack, and a disk that cannot take the ack
    const path = join(dir, 'budget.db');
    const big = open({ diskBudgetBytes: 10_000_000, retainAckedSec: 0 }, path).j;
    for (let b = 0; b < 60; b++) big.appendTelemetry(noisy(200));
    big.close();
    const { j } = open({ diskBudgetBytes: 1_000_000, retainAckedSec: 0, hardLimitBytes: 3_000_000 }, path);
    const other = new Database(path);
    other.exec(`CREATE TABLE ballast (b BLOB);
      CREATE TRIGGER ack_needs_room AFTER UPDATE OF acked_seq ON stream_state BEGIN INSERT INTO ballast VALUES (randomblob(4000000)); END;`);
    const acked = 3000;
    j.ack('telemetry', acked);
    j.housekeeping();
    assert.throws(() => j.appendTelemetry(noisy(200)), isCode('GW_ERR_JOURNAL_DISK_FULL'));
    assert.equal(j.stats().discardedTelemetry, 0, 'nothing discarded while the ack is unwritten');
    assert.deepEqual(onDisk(path).telemetry, [1, 12_000]);
    other.exec('DROP TRIGGER ack_needs_room');
    other.close();
    j.housekeeping(); // writes the ack, then enforces the budget
    const s = j.stats();
    assert.equal(onDisk(path).acked.telemetry, acked);
    assert.ok(s.discardedTelemetry > 0, 'the budget had to discard');
    assert.equal(s.discardedThrough - s.discardedTelemetry, acked, `discarded ${s.discardedTelemetry} through ${s.discardedThrough}: none of 1..${acked}`);
    const notice = j.peek('alarm', 10).map(entryEvent).find((e) => e['code'] === 'GW_TELEMETRY_DISCARDED');
    assert.equal((notice?.['details'] as { fromSeq?: number } | undefined)?.fromSeq, acked + 1);
    j.close();
  });

  void it('an I/O error committing a write that carries acks (the disk budget trimming in it): the acks stay pending, nothing is released', { skip: prlimitMissing }, () => {
    const { j, path, log } = open({ diskBudgetBytes: 1_000_000, retainAckedSec: 0 });
    j.appendTelemetry(noisy(10));
    j.ack('telemetry', 10);
    // > the budget in one write: its transaction trims (and journals a discard notice) before it commits
    const err = withFileSizeLimit(0, () => {
      try {
        j.appendTelemetry(noisy(8000));
        return undefined;
      } catch (e) {
        return e;
      }
    });
    assert.ok(isCode('GW_ERR_JOURNAL_IO')(err), `an I/O error: ${String(err)}`);
    assert.ok(
      log.records.some((r) => r.msg === 'journal disk budget reached: oldest unsent telemetry discarded'),
      'the failed transaction did trim (and write its notice)',
    );
    assert.equal(failures(log, 'GW_ERR_JOURNAL_IO').length, 1);
    assert.equal(j.stats().health, 'failing');
    assert.deepEqual(j.cursor('telemetry'), { nextSeq: 11, ackedSeq: 10, discardedThrough: 0 }, 'the ack is still pending; the failed readings were not journaled');
    assert.deepEqual(onDisk(path), { acked: { alarm: 0, telemetry: 0 }, telemetry: [1, 10], alarms: [], discarded: 0 });
    j.appendAlarmEvents([alarm(1)]);
    assert.notEqual(j.stats().health, 'failing');
    assert.deepEqual(onDisk(path), { acked: { alarm: 0, telemetry: 10 }, telemetry: undefined, alarms: [1], discarded: 0 });
    j.close();
  });

  void it('at the hard limit, a pending ack whose mark needs a page the file has no room for: the emergency trim still makes room, and alarms still go in', () => {
    const path = join(dir, 'marks.db');
    const setup = open({ retainAckedSec: 3600 }, path).j;
    for (let b = 0; b < 10; b++) setup.appendTelemetry(noisy(50)); // seq 1..500, a batch row per 50
    setup.close();
    // no free page in the file, and the last page of ack_marks so full that the next mark needs a new one
    const raw = new Database(path);
    raw.exec('VACUUM');
    const pages = raw.prepare<[], number>('PRAGMA page_count').pluck();
    const mark = raw.prepare("INSERT INTO ack_marks (stream, acked_seq, at) VALUES ('telemetry', 50, ?)");
    raw.exec('BEGIN');
    for (let grew = false; !grew; ) {
      const before = pages.get()!;
      raw.exec('SAVEPOINT probe');
      mark.run(Date.now());
      grew = pages.get()! > before;
      raw.exec(grew ? 'ROLLBACK TO probe; RELEASE probe' : 'RELEASE probe');
    }
    raw.exec('COMMIT');
    assert.equal(raw.pragma('freelist_count', { simple: true }), 0);
    const full = pages.get()! * (raw.pragma('page_size', { simple: true }) as number);
    raw.close();
    const { j } = open({ retainAckedSec: 3600, hardLimitBytes: full }, path);
    j.ack('telemetry', 50);
    j.appendAlarmEvents([alarm(1)]);
    j.appendAlarmEvents([alarm(2)]);
    assert.equal(j.peek('alarm', 10).filter((e) => entryEvent(e)['type'] === 'alarm').length, 2, 'both alarms journaled');
    assert.equal(onDisk(path).acked.telemetry, 50, 'the ack written');
    const s = j.stats();
    assert.ok(s.discardedTelemetry > 0, 'room made by discarding the oldest unsent telemetry');
    assert.equal(s.discardedThrough - s.discardedTelemetry, 50, `discarded ${s.discardedTelemetry} through ${s.discardedThrough}: none of 1..50`);
    assert.equal(s.health, 'degraded');
    j.close();
  });
});

void describe('Journal: a disk-budget trim in a write that is rolled back', () => {
  /*
   * Regression (defect 1 of the journal review: a discard reported that never happened):
   *  1. A write that takes the journal over its budget trims inside its own transaction: it discards the
   *     oldest unsent telemetry, and the budget remembers that discard in memory, for the health to show
   *     `degraded` ("N telemetry rows discarded") for 15 minutes.
   *  2. The transaction is then rolled back (its commit hits an I/O error, or the trim's savepoint
   *     fails): every row is still there and discarded_count has not moved.
   *  3. The in-memory record stayed, so the gateway reported a discard to the people watching it (and to
   *     the cloud) that did not happen.
   */
  const discardDetail = /telemetry rows discarded/;

  void it('an I/O error at commit: once writes succeed again the health reports no discard; a discard that commits is reported', { skip: prlimitMissing }, () => {
    const { j, path } = open({ diskBudgetBytes: 1_000_000 });
    j.appendTelemetry(noisy(10));
    const err = withFileSizeLimit(0, () => {
      try {
        j.appendTelemetry(noisy(8000)); // > the budget: its transaction trims before it commits
        return undefined;
      } catch (e) {
        return e;
      }
    });
    assert.ok(isCode('GW_ERR_JOURNAL_IO')(err), `an I/O error: ${String(err)}`);
    assert.deepEqual(onDisk(path), { acked: { alarm: 0, telemetry: 0 }, telemetry: [1, 10], alarms: [], discarded: 0 }, 'the trim was rolled back');
    j.appendAlarmEvents([alarm(1)]); // writes succeed again: the health is no longer `failing`
    const s = j.stats();
    assert.equal(s.discardedTelemetry, 0);
    assert.equal(s.health, 'ok', `health ${s.health}: ${s.healthDetail ?? ''}`);

    j.appendTelemetry(noisy(8000));
    const t = j.stats();
    assert.ok(t.discardedTelemetry > 0, 'the budget had to discard');
    assert.equal(t.health, 'degraded');
    assert.match(t.healthDetail ?? '', discardDetail);
    j.close();
  });

  void it('the trim\'s savepoint fails (its discard notice is refused): the write commits without the discard and the health reports none', () => {
    const { j, path } = open({ diskBudgetBytes: 1_000_000 });
    const other = new Database(path);
    other.exec(`CREATE TRIGGER notice_refused BEFORE INSERT ON alarm_events WHEN NEW.body LIKE '%GW_TELEMETRY_DISCARDED%'
      BEGIN SELECT RAISE(ABORT, 'notice refused'); END;`);
    j.appendTelemetry(noisy(8000));
    assert.deepEqual(onDisk(path), { acked: { alarm: 0, telemetry: 0 }, telemetry: [1, 8000], alarms: [], discarded: 0 }, 'the readings, none discarded');
    const s = j.stats();
    assert.equal(s.discardedTelemetry, 0);
    assert.equal(s.health, 'ok', `health ${s.health}: ${s.healthDetail ?? ''}`);

    other.exec('DROP TRIGGER notice_refused');
    other.close();
    j.appendTelemetry(noisy(10));
    const t = j.stats();
    assert.ok(t.discardedTelemetry > 0, 'the budget had to discard');
    assert.equal(t.health, 'degraded');
    assert.match(t.healthDetail ?? '', discardDetail);
    j.close();
  });
});
