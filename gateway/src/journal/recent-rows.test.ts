/**
 * The journal serves the newest telemetry rows and the stream positions from memory (recent-rows.ts,
 * Journal.streamState): whatever it serves must be what a journal reading the file would serve, after
 * appends, acks that delete rows, disk-budget discards, and writes that fail and roll back.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger, type Reading } from '@safeloop/contract';
import { JournalConfigSchema, type JournalConfigInput } from './config.ts';
import { Journal } from './journal.ts';
import { RECENT_ROWS_MAX, RecentRows } from './recent-rows.ts';
import type { BatchRow } from './telemetry-batches.ts';
import { T0, reading } from './test-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-recent-rows-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function open(cfg: Partial<JournalConfigInput>, path = join(dir, `r${++n}.db`)): { j: Journal; path: string } {
  return { j: Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600, ...cfg }), logger: silentLogger }), path };
}

function row(first: number, last: number): BatchRow {
  return { first_seq: first, last_seq: last, first_id: `id${first}`, gateway_time: T0, bodies: '', columns: `c${first}` };
}

/** A deterministic generator (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

void describe('RecentRows', () => {
  void it('answers like the peek query for a seq at or after its first row, and not before', () => {
    const r = new RecentRows();
    r.remember([row(11, 20), row(21, 25), row(26, 40)]);
    assert.equal(r.from(10, 100, 10), undefined, 'the row holding 10 may be older');
    assert.deepEqual(r.from(11, 100, 10)?.map((x) => x.first_seq), [11, 21, 26]);
    assert.deepEqual(r.from(23, 100, 10)?.map((x) => x.first_seq), [21, 26], 'the row holding 23, then on');
    assert.deepEqual(r.from(23, 25, 10)?.map((x) => x.first_seq), [21], 'first_seq ≤ through');
    assert.deepEqual(r.from(23, 100, 1)?.map((x) => x.first_seq), [21], 'limit');
    assert.deepEqual(r.from(41, 100, 10)?.map((x) => x.first_seq), [26], 'past the end: the last row (the caller skips it)');
  });

  void it('keeps only the newest contiguous rows: a gap starts over, deletes drop from the front, at most RECENT_ROWS_MAX', () => {
    const r = new RecentRows();
    r.remember([row(1, 5), row(6, 9)]);
    r.remember([row(20, 30)]);
    assert.equal(r.from(6, 100, 10), undefined);
    assert.deepEqual(r.from(20, 100, 10)?.map((x) => x.first_seq), [20]);
    r.remember([row(31, 40), row(41, 50)]);
    r.dropThrough(35);
    assert.deepEqual(r.from(31, 100, 10)?.map((x) => x.first_seq), [31, 41], 'a row partly at or below stays, as in the table');
    r.dropThrough(40);
    assert.equal(r.from(31, 100, 10), undefined);
    assert.deepEqual(r.from(41, 100, 10)?.map((x) => x.first_seq), [41]);
    for (let i = 0; i < RECENT_ROWS_MAX * 2; i++) r.remember([row(51 + i, 51 + i)]);
    assert.equal(r.size, RECENT_ROWS_MAX);
    r.clear();
    assert.equal(r.size, 0);
  });
});

void describe('journal: what it serves from memory equals what the file holds', () => {
  /** A journal that has never served anything, on the same file: every read goes to SQLite. */
  function fromFile(path: string, read: (j: Journal) => unknown): unknown {
    const { j } = open({}, path);
    try {
      return read(j);
    } finally {
      j.close();
    }
  }

  function same(j: Journal, path: string, afters: readonly number[]): void {
    for (const afterSeq of afters) {
      const mem = j.peekTelemetrySlices(100_000, { afterSeq });
      const file = fromFile(path, (k) => k.peekTelemetrySlices(100_000, { afterSeq }));
      assert.deepEqual(mem, file, `slices after ${afterSeq}`);
      const v1 = j.peek('telemetry', 50, { afterSeq, maxBytes: 4096 });
      assert.deepEqual(v1, fromFile(path, (k) => k.peek('telemetry', 50, { afterSeq, maxBytes: 4096 })), `v1 rows after ${afterSeq}`);
    }
  }

  void it('through appends, acks that delete rows, disk-budget discards and failed writes', () => {
    const { j, path } = open({ retainAckedSec: 0, busyTimeoutMs: 0, diskBudgetBytes: 1_000_000 });
    const rnd = lcg(20);
    let i = 0;
    const batch = (): Reading[] =>
      Array.from({ length: 1 + Math.floor(rnd() * 900) }, () => {
        i += 1;
        // values that do not repeat, so rows deflate little and the budget has to discard
        const detail = Array.from({ length: 6 }, () => Math.floor(rnd() * 2 ** 31).toString(36)).join('');
        return reading(i, { value: Math.floor(rnd() * 1e9) / 7, detail, gatewayTime: T0 + Math.floor(i / 300) * 1500 });
      });
    let failed = 0;
    for (let step = 0; step < 160; step++) {
      const roll = rnd();
      if (roll < 0.1) {
        // another connection holds the write lock: the append fails and rolls back, its seqs are given again
        const other = new Database(path);
        other.exec('BEGIN IMMEDIATE');
        const before = j.cursor('telemetry').nextSeq;
        assert.throws(() => j.appendTelemetry(batch()));
        other.exec('ROLLBACK');
        other.close();
        assert.equal(j.cursor('telemetry').nextSeq, before);
        i = before - 1; // the readings that failed are polled again
        failed += 1;
      } else if (roll < 0.15) {
        const c = j.cursor('telemetry');
        const base = Math.max(c.ackedSeq, c.discardedThrough);
        if (c.nextSeq - 1 > base) j.ack('telemetry', base + Math.ceil((c.nextSeq - 1 - base) * rnd() * 0.2));
      } else {
        j.appendTelemetry(batch());
      }
      if (step % 10 === 9) {
        const c = j.cursor('telemetry');
        const f = fromFile(path, (k) => k.cursor('telemetry')) as typeof c;
        // an accepted ack is written with the next write (pending-acks.ts): the file may be behind on it
        assert.deepEqual({ ...c, ackedSeq: 0 }, { ...f, ackedSeq: 0 }, 'positions');
        assert.ok(f.ackedSeq <= c.ackedSeq);
        same(j, path, [0, c.discardedThrough, Math.max(c.ackedSeq, c.discardedThrough), c.nextSeq - 2, c.nextSeq - 1]);
      }
    }
    const s = j.stats();
    assert.ok(failed > 0, 'some writes failed');
    assert.ok(s.discardedTelemetry > 0, 'the budget discarded');
    assert.ok(s.ackedSeq.telemetry > 0, 'acks deleted rows');
    j.close();
  });

  void it('a row the journal just wrote is served without reading the file back', () => {
    const { j, path } = open({});
    j.appendTelemetry(Array.from({ length: 300 }, (_, k) => reading(k + 1)));
    const served = j.peekTelemetrySlices(1000);
    // damage the stored row behind the journal's back: what it serves comes from memory
    const db = new Database(path);
    db.prepare('UPDATE telemetry_batches SET columns = ?').run(Buffer.from('not deflate'));
    db.close();
    assert.deepEqual(j.peekTelemetrySlices(1000), served);
    j.close();
  });
});
