/**
 * The gateway's store-and-forward journal: SQLite (better-sqlite3) in WAL mode with synchronous=FULL.
 * Writers: appendTelemetry (or stageTelemetry + commitTelemetry: the group commit) / appendAlarmEvents (one IMMEDIATE transaction per call; ids are ULIDs, seq is
 * per stream, contiguous, never reused). Telemetry is stored as one row per batch (telemetry-batches.ts).
 * Reader: the uplink peeks rows after a seq and releases them with ack(stream, upToSeq) once the cloud
 * says it committed them. Opening (durability settings, migrations): open-durable.ts.
 */
import { statSync } from 'node:fs';
import type { Database as Db, Statement, Transaction } from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { BatchIdGenerator, SafeLoopError, errorMessage, rateLimited, systemClock } from '@safeloop/contract';
import type { Clock, Logger, Reading, Stream } from '@safeloop/contract';
import type { JournalConfig } from './config.ts';
import { alarmBody, type NewAlarmStreamEvent } from './alarm-bodies.ts';
import { openDurable } from './open-durable.ts';
import { PendingAcks, type TakenAcks } from './pending-acks.ts';
import { classifyDiskError, journalWriteError } from './disk-errors.ts';
import type { JournalEntry } from './entry.ts';
import type { DiskBudget } from './disk-budget.ts';
import { TelemetryBatches, type TelemetrySlice } from './telemetry-batches.ts';
import { TelemetryStaging } from './telemetry-staging.ts';

export type JournalHealth = 'ok' | 'degraded' | 'failing';

export interface JournalStats {
  /** Rows not yet acknowledged by the cloud, per stream. */
  backlog: { alarm: number; telemetry: number };
  /** Next seq to be assigned, per stream. */
  nextSeq: { alarm: number; telemetry: number };
  /** Highest seq the cloud acknowledged, per stream. */
  ackedSeq: { alarm: number; telemetry: number };
  /** Telemetry seqs ≤ this that were not acknowledged have been discarded by the disk budget. */
  discardedThrough: number;
  /** Telemetry rows discarded by the disk-budget policy since the journal was created. */
  discardedTelemetry: number;
  /** Readings refused at append because they failed the wire schema. */
  rejectedReadings: number;
  health: JournalHealth;
  healthDetail?: string;
  /** Database file plus WAL, bytes. */
  dbBytes: number;
  /** Generated once when this journal file was created (or first upgraded); announced in births. */
  journalId: string;
}

export interface PeekOptions {
  /** Return rows with seq > afterSeq (default: after the acknowledged / discarded point). */
  afterSeq?: number;
  /** Return rows with seq ≤ throughSeq. */
  throughSeq?: number;
  /** Stop before the summed body length exceeds this (at least one row is returned). */
  maxBytes?: number;
}

/** An accepted ack is written within this long when no journal write carries it sooner. */
const ACK_WRITE_MS = 250;

export interface JournalDeps {
  config: JournalConfig;
  logger: Logger;
  clock?: Clock;
}


interface StreamRow {
  next_seq: number;
  acked_seq: number;
  discarded_count: number;
  discarded_through: number;
}

export class Journal {
  private readonly db: Db;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly nextId = monotonicFactory();
  private readonly batchIds = new BatchIdGenerator();
  private readonly telemetry: TelemetryBatches;
  private readonly budget: DiskBudget;
  private readonly timer: NodeJS.Timeout;
  private readonly warnRate = rateLimited(60_000);
  private readonly stmt: {
    state: Statement<[string], StreamRow>;
    setNext: Statement<[number, string]>;
    insAlarm: Statement<[number, string, number, string]>;
    ack: Statement<[number, string]>;
    mark: Statement<[string, number, number]>;
    peekAlarm: Statement<[number, number, number], { seq: number; id: string; gateway_time: number; body: string }>;
  };
  /**
   * One transaction wrapper for every write, built once (better-sqlite3 builds four closures per
   * db.transaction() call): called with the work as its argument; nested, it is a savepoint.
   */
  private readonly runInTx: Transaction<(fn: () => void) => void>;
  /** Telemetry checked and encoded, waiting for commitTelemetry (telemetry-staging.ts). */
  private readonly staging: TelemetryStaging;
  private identity: string | undefined;
  private writeFailure: { code: string; message: string } | undefined;
  private closed = false;
  private readonly acks = new PendingAcks();
  /**
   * stream_state rows as last read outside a transaction. The uplink asks where a stream stands several
   * times per journal write (each a statement, and a read transaction on the WAL); only this connection's
   * transactions change the rows, and each one drops what is kept here, before and after.
   */
  private states: Partial<Record<Stream, StreamRow>> = {};
  private ackTimer: NodeJS.Timeout | undefined;

  static open(deps: JournalDeps): Journal {
    return new Journal(deps);
  }

  private constructor(private readonly deps: JournalDeps) {
    const { config } = deps;
    this.log = deps.logger.child({ module: 'gateway:journal' });
    this.clock = deps.clock ?? systemClock;
    this.staging = new TelemetryStaging({ log: this.log, warnRate: this.warnRate });
    const opened = openDurable(config, this.log, this.clock);
    this.db = opened.db;
    this.budget = opened.budget;
    this.stmt = {
      state: this.db.prepare('SELECT next_seq, acked_seq, discarded_count, discarded_through FROM stream_state WHERE stream = ?'),
      setNext: this.db.prepare('UPDATE stream_state SET next_seq = ? WHERE stream = ?'),
      insAlarm: this.db.prepare('INSERT INTO alarm_events (seq, id, gateway_time, body) VALUES (?, ?, ?, ?)'),
      ack: this.db.prepare('UPDATE stream_state SET acked_seq = ? WHERE stream = ?'),
      mark: this.db.prepare('INSERT INTO ack_marks (stream, acked_seq, at) VALUES (?, ?, ?)'),
      peekAlarm: this.db.prepare('SELECT seq, id, gateway_time, body FROM alarm_events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?'),
    };
    this.runInTx = this.db.transaction((fn: () => void) => fn());
    this.telemetry = new TelemetryBatches(this.db);
    this.budget.telemetry = this.telemetry;
    this.budget.onDiscard = (d) => this.insertAlarmBodies([d]);
    this.timer = setInterval(() => this.housekeeping(), config.housekeepingIntervalSec * 1000);
    this.timer.unref();
  }

  /** Journal readings as telemetry in one transaction (with anything staged before them). Invalid readings are refused (logged, counted). */
  appendTelemetry(readings: readonly Reading[]): void {
    this.stageTelemetry(readings);
    this.commitTelemetry();
  }

  /**
   * Check and encode readings for the journal (columns text, deflated) without committing them: a group
   * commit (telemetry-buffer.ts) stages each poll as it comes and commits many in one transaction, so
   * what waits in memory is a few compact rows, not reading objects. Staged rows have no seq yet and are
   * invisible to peek, stats and the uplink until commitTelemetry. Invalid readings are refused here.
   */
  stageTelemetry(readings: readonly Reading[]): void {
    this.assertOpen();
    this.staging.stage(readings);
  }

  /** Readings staged and not yet committed. */
  get stagedTelemetry(): number {
    return this.staging.waiting;
  }

  /**
   * Commit every staged row in one transaction: seqs and ids are given here, in staging order. If the
   * journal refuses the write (disk failing), those rows are dropped and the error is thrown.
   */
  commitTelemetry(): void {
    this.assertOpen();
    const rows = this.staging.take();
    if (rows.length === 0) return;
    try {
      this.write('journal telemetry', () => {
        let seq = this.streamState('telemetry').next_seq;
        const now = this.clock.now();
        for (const r of rows) {
          this.telemetry.insert(seq, r.count, this.batchIds.take(now, r.count), r.gatewayTime, r.columns, r.stored);
          seq += r.count;
        }
        this.stmt.setNext.run(seq, 'telemetry');
        this.enforceWithin();
      });
    } catch (err) {
      this.telemetry.abandon();
      throw err;
    }
    this.telemetry.committed();
  }

  /** Journal alarm/system events; committed (synchronous=FULL) before this returns. Throws if they are invalid or the disk fails. */
  appendAlarmEvents(events: readonly NewAlarmStreamEvent[]): void {
    this.assertOpen();
    if (events.length === 0) return;
    const bodies = events.map((e, i) => alarmBody(e, i));
    this.insertAlarmBodies(bodies, true);
  }

  /** Rows after `afterSeq` (default: the acknowledged point) in seq order. */
  peek(stream: Stream, limit: number, opts: PeekOptions = {}): JournalEntry[] {
    this.assertOpen();
    const st = this.streamState(stream);
    const after = opts.afterSeq ?? Math.max(st.acked_seq, stream === 'telemetry' ? st.discarded_through : 0);
    const through = opts.throughSeq ?? Number.MAX_SAFE_INTEGER;
    if (after >= st.next_seq - 1) return []; // nothing written after it (the uplink asks after every write)
    if (stream === 'telemetry') return this.telemetry.peek(after, through, Math.max(1, Math.floor(limit)), opts.maxBytes);
    const out: JournalEntry[] = [];
    let bytes = 0;
    for (const r of this.stmt.peekAlarm.iterate(after, through, Math.max(1, Math.floor(limit)))) {
      bytes += r.body.length + 64;
      if (opts.maxBytes !== undefined && out.length > 0 && bytes > opts.maxBytes) break;
      out.push({ stream, seq: r.seq, id: r.id, gatewayTime: r.gateway_time, body: r.body });
    }
    return out;
  }

  /** Telemetry after `afterSeq` as batch-row slices (the v2 uplink payload's input); same bounds as peek. */
  peekTelemetrySlices(limit: number, opts: PeekOptions = {}): TelemetrySlice[] {
    this.assertOpen();
    const st = this.streamState('telemetry');
    const after = opts.afterSeq ?? Math.max(st.acked_seq, st.discarded_through);
    if (after >= st.next_seq - 1) return [];
    return this.telemetry.peekSlices(after, opts.throughSeq ?? Number.MAX_SAFE_INTEGER, Math.max(1, Math.floor(limit)), opts.maxBytes);
  }

  /**
   * The cloud committed everything ≤ upToSeq on this stream. Stale acks are ignored; an ack beyond the
   * last assigned seq is refused (it cannot be true) and releases nothing.
   */
  ack(stream: Stream, upToSeq: number): { accepted: boolean; ackedSeq: number; reason?: string } {
    this.assertOpen();
    const st = this.streamState(stream);
    if (!Number.isSafeInteger(upToSeq) || upToSeq < 0) return { accepted: false, ackedSeq: st.acked_seq, reason: 'not a sequence number' };
    if (upToSeq >= st.next_seq) {
      return { accepted: false, ackedSeq: st.acked_seq, reason: `ack ${upToSeq} is beyond the last assigned seq ${st.next_seq - 1}` };
    }
    if (upToSeq <= st.acked_seq) return { accepted: true, ackedSeq: st.acked_seq };
    // Counts at once (stats, cursor, peek); written with the next journal write (pending-acks.ts).
    this.acks.set(stream, upToSeq);
    if (!this.ackTimer) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = undefined;
        this.writeAcks();
      }, ACK_WRITE_MS);
      this.ackTimer.unref();
    }
    return { accepted: true, ackedSeq: upToSeq };
  }

  /** Write the accepted acks now, in a transaction of their own (the timer; close). Failures are logged and kept pending. */
  private writeAcks(): void {
    if (this.closed || !this.acks.any()) return;
    try {
      this.write('record an acknowledgement', () => undefined);
    } catch {
      // noteFailure logged it and set the health; the acks stay pending for the next write
    }
  }

  private applyAcks(taken: TakenAcks): void {
    for (const [stream, seq] of taken) {
      this.stmt.ack.run(seq, stream);
      if (this.deps.config.retainAckedSec === 0) this.deleteThrough(stream, seq);
      else this.stmt.mark.run(stream, seq, this.clock.now());
    }
  }

  /** Where a stream stands: the uplink sends rows after max(ackedSeq, discardedThrough). Cheap (one indexed read). */
  cursor(stream: Stream): { nextSeq: number; ackedSeq: number; discardedThrough: number } {
    this.assertOpen();
    const st = this.streamState(stream);
    return { nextSeq: st.next_seq, ackedSeq: st.acked_seq, discardedThrough: stream === 'telemetry' ? st.discarded_through : 0 };
  }

  /** Birth/death sequence for the uplink: incremented and persisted on every call (every connect). */
  nextBirthDeathSeq(): number {
    this.assertOpen();
    let value = 0;
    this.write('advance bdSeq', () => {
      const row = this.db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'bdSeq'").get();
      value = row === undefined ? 0 : row.value + 1;
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('bdSeq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(value);
    });
    return value;
  }

  stats(): JournalStats {
    this.assertOpen();
    const a = this.streamState('alarm');
    const t = this.streamState('telemetry');
    const { health, detail } = this.healthState();
    return {
      backlog: { alarm: a.next_seq - 1 - a.acked_seq, telemetry: t.next_seq - 1 - Math.max(t.acked_seq, t.discarded_through) },
      nextSeq: { alarm: a.next_seq, telemetry: t.next_seq },
      ackedSeq: { alarm: a.acked_seq, telemetry: t.acked_seq },
      discardedThrough: t.discarded_through,
      discardedTelemetry: t.discarded_count,
      rejectedReadings: this.staging.rejected,
      health,
      ...(detail === undefined ? {} : { healthDetail: detail }),
      dbBytes: this.fileBytes(),
      journalId: this.journalId(),
    };
  }

  /** The identity of this journal file (a replaced journal has another one). */
  journalId(): string {
    this.assertOpen();
    if (this.identity === undefined) {
      this.identity = this.db.prepare<[], { id: string }>('SELECT id FROM journal_identity LIMIT 1').get()?.id ?? '';
    }
    return this.identity;
  }

  /** The durability settings as the connection reports them (synchronous 2 = FULL). */
  durability(): { journalMode: string; synchronous: number } {
    this.assertOpen();
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
    };
  }

  /** Checkpoint, purge acknowledged rows past retention, enforce the budget. Runs on a timer; public for tests/tools. */
  housekeeping(): void {
    if (this.closed) return;
    try {
      const cutoff = this.clock.now() - this.deps.config.retainAckedSec * 1000;
      this.write('purge acknowledged rows', () => {
        for (const s of ['alarm', 'telemetry'] as const) {
          const row = this.db
            .prepare<[string, number], { s: number | null }>('SELECT MAX(acked_seq) AS s FROM ack_marks WHERE stream = ? AND at <= ?')
            .get(s, cutoff);
          if (row?.s != null) {
            this.deleteThrough(s, row.s);
            this.db.prepare('DELETE FROM ack_marks WHERE stream = ? AND at <= ?').run(s, cutoff);
          }
        }
      });
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.enforceBudget();
    } catch (err) {
      this.warnRate('housekeeping', (suppressed) => this.log.warn({ err: errorMessage(err), suppressed }, 'journal housekeeping failed'));
    }
  }

  close(): void {
    if (this.closed) return;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    try {
      this.commitTelemetry(); // staged rows are not left behind
    } catch {
      // noteFailure logged it; the disk refuses writes
    }
    this.writeAcks();
    this.closed = true;
    clearInterval(this.timer);
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // best effort: the WAL is replayed on the next open
    }
    this.db.close();
  }

  private insertAlarmBodies(bodies: readonly { gatewayTime: number; body: string }[], enforce = false): void {
    this.write('journal alarm events', () => {
      const st = this.streamState('alarm');
      let seq = st.next_seq;
      const now = this.clock.now();
      for (const b of bodies) {
        this.stmt.insAlarm.run(seq, this.nextId(now), b.gatewayTime, b.body);
        seq += 1;
      }
      this.stmt.setNext.run(seq, 'alarm');
      if (enforce) this.enforceWithin();
    });
  }

  private deleteThrough(stream: Stream, seq: number): void {
    if (stream === 'telemetry') this.telemetry.deleteThrough(seq);
    else this.db.prepare('DELETE FROM alarm_events WHERE seq <= ?').run(seq);
  }

  /** Budget check inside the caller's write transaction, as a savepoint: a failure undoes only the trim. */
  private enforceWithin(): void {
    try {
      this.transaction(() => this.budget.enforce());
    } catch (err) {
      this.warnRate('budget', (suppressed) => this.log.error({ err: errorMessage(err), suppressed }, 'journal: disk budget check failed'));
    }
  }

  private enforceBudget(): void {
    try {
      this.transaction(() => this.budget.enforce());
    } catch (err) {
      this.noteFailure(journalWriteError('enforce the disk budget', err));
    }
  }

  /** Run fn in an IMMEDIATE transaction; on a full disk trim telemetry and retry once; failures set health and throw. */
  private write(what: string, fn: () => void): void {
    // Accepted acks ride along first, so whatever fn reads (the budget's view of what is unsent) sees them.
    // Nested in another transaction (the budget's discard notice), they are left to the outer one: marked
    // written here, before it commits, they would be forgotten if its commit then failed.
    const taken = this.db.inTransaction ? [] : this.acks.take();
    const work = taken.length === 0 ? fn : (): void => {
      this.applyAcks(taken);
      fn();
    };
    try {
      this.transaction(work);
      this.acks.written(taken);
    } catch (err) {
      if (classifyDiskError(err) === 'full') {
        try {
          this.transaction(() => {
            // Only acked_seq (an update in place) before the trim, which sees it and then deletes every
            // acknowledged row and every mark: a mark written first could need the very page the file
            // lacks, and fail this retry and every later write (all carry the acks) the same way.
            for (const [stream, seq] of taken) this.stmt.ack.run(seq, stream);
            this.budget.emergencyTrim();
          });
          this.acks.written(taken);
          this.transaction(fn);
          this.writeFailure = undefined;
          return;
        } catch (retryErr) {
          throw this.noteFailure(journalWriteError(what, retryErr));
        }
      }
      throw this.noteFailure(journalWriteError(what, err));
    }
    if (this.writeFailure !== undefined) {
      this.log.info({ previous: this.writeFailure.code }, 'journal writes succeed again');
      this.writeFailure = undefined;
    }
  }

  /**
   * Run work in an IMMEDIATE transaction (nested in another: a savepoint). If it rolls back, so does
   * the disk budget's in-memory record of what it trimmed (disk-budget.ts, `transactional`).
   */
  private transaction(work: () => void): void {
    this.states = {};
    try {
      this.budget.transactional(() => this.runInTx.immediate(work));
    } finally {
      this.states = {};
    }
  }

  private noteFailure(err: SafeLoopError): SafeLoopError {
    this.writeFailure = { code: err.code, message: err.message };
    this.warnRate(err.code, (suppressed) => this.log.error({ code: err.code, err: err.message, suppressed }, 'journal write failed'));
    return err;
  }

  private healthState(): { health: JournalHealth; detail?: string } {
    if (this.writeFailure) return { health: 'failing', detail: this.writeFailure.message.slice(0, 500) };
    const degraded = this.budget.degradedReason();
    if (degraded !== undefined) return { health: 'degraded', detail: degraded };
    return { health: 'ok' };
  }

  /** The stream's row, with an accepted ack not yet written counted as written. */
  private streamState(stream: Stream): StreamRow {
    const inTx = this.db.inTransaction;
    const row = (inTx ? undefined : this.states[stream]) ?? this.stmt.state.get(stream);
    if (!row) throw new SafeLoopError('GW_ERR_JOURNAL_CORRUPT', `journal: stream_state row for ${stream} is missing`);
    if (!inTx) this.states[stream] = row;
    const pending = this.acks.get(stream);
    return pending > row.acked_seq ? { ...row, acked_seq: pending } : row;
  }

  private fileBytes(): number {
    let bytes = this.budget.usedBytes();
    try {
      bytes += statSync(`${this.deps.config.path}-wal`).size;
    } catch {
      // no WAL file right now
    }
    return bytes;
  }

  private assertOpen(): void {
    if (this.closed) throw new SafeLoopError('GW_ERR_JOURNAL_CLOSED', 'journal is closed');
  }
}
