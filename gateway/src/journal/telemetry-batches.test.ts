/**
 * Telemetry journaled as batches (issue 20): ids stay one valid, unique, increasing ULID per
 * reading; seqs stay per reading; a partly acknowledged batch delivers only its rest; the disk
 * budget discards whole batches and counts their readings; a journal written by the previous
 * schema (one row per reading) upgrades without losing an unsent row.
 */
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventIdSchema, TelemetryEventSchema, silentLogger } from '@safeloop/contract';
import { BatchIdGenerator, batchEventId } from '@safeloop/contract';
import { JournalConfigSchema } from './config.ts';
import type { JournalConfigInput } from './config.ts';
import { entryEvent } from './entry.ts';
import { Journal } from './journal.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { reading, T0 } from './test-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'safeloop-batches-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function open(cfg: Partial<JournalConfigInput> = {}, path = join(dir, `b${++n}.db`)): Journal {
  return Journal.open({ config: JournalConfigSchema.parse({ path, housekeepingIntervalSec: 3600, ...cfg }), logger: silentLogger });
}

void describe('batch event ids', () => {
  void it('runs of ids are valid ULIDs, strictly increasing and unique across runs in one millisecond and when the clock steps back', () => {
    const gen = new BatchIdGenerator();
    const ids: string[] = [];
    for (const [now, count] of [[T0, 500], [T0, 3], [T0 + 5, 1000], [T0 + 2, 7], [T0 + 6, 1]] as const) {
      const first = gen.take(now, count);
      for (let i = 0; i < count; i++) ids.push(batchEventId(first, i));
    }
    for (const id of ids) EventIdSchema.parse(id);
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `id ${i} increases: ${ids[i - 1]} < ${ids[i]}`);
  });

  void it('carries from the low half of the random part into the high half', () => {
    const max = Buffer.alloc(10, 0xff);
    const gen = new BatchIdGenerator(() => max);
    const first = gen.take(T0, 3);
    const ids = [0, 1, 2].map((i) => batchEventId(first, i));
    assert.equal(ids[0]!.slice(18), 'ZZZZZZZZ');
    assert.equal(ids[1]!.slice(18), '00000000');
    assert.ok(ids[1]! > ids[0]! && ids[2]! > ids[1]!);
    for (const id of ids) EventIdSchema.parse(id);
  });
});

void describe('Journal telemetry batches', () => {
  void it('one poll of 1000 readings is two rows of 500; peeks split it by limit and bytes; a partly acknowledged batch sends only its rest', () => {
    const path = join(dir, `b${++n}.db`);
    const j = open({ retainAckedSec: 0 }, path);
    j.appendTelemetry(Array.from({ length: 1000 }, (_, i) => reading(i, { gatewayTime: T0 })));
    const db = new Database(path, { readonly: true });
    assert.equal((db.prepare('SELECT COUNT(*) AS c FROM telemetry_batches').get() as { c: number }).c, 2);
    const first = j.peek('telemetry', 300);
    assert.deepEqual([first[0]!.seq, first.at(-1)!.seq, first.length], [1, 300, 300]);
    const small = j.peek('telemetry', 1000, { afterSeq: 300, maxBytes: 2000 });
    assert.ok(small.length > 1 && small.length < 30, `bytes cap ${small.length}`);
    assert.equal(small[0]!.seq, 301);
    for (const e of first) TelemetryEventSchema.parse(entryEvent(e));
    assert.equal(entryEvent(first[41]!)['point'], reading(41).point);
    assert.deepEqual(j.ack('telemetry', 300), { accepted: true, ackedSeq: 300 });
    assert.equal((db.prepare('SELECT COUNT(*) AS c FROM telemetry_batches').get() as { c: number }).c, 2, 'a partly acked batch stays');
    const rest = j.peek('telemetry', 5000);
    assert.deepEqual([rest[0]!.seq, rest.at(-1)!.seq], [301, 1000]);
    assert.deepEqual(rest.map((e) => e.id), j.peek('telemetry', 5000).map((e) => e.id), 'ids are stable between peeks');
    j.ack('telemetry', 1000);
    assert.equal(j.peek('telemetry', 10).length, 0, 'an accepted ack counts at once');
    j.close(); // writes the accepted ack
    assert.equal((db.prepare('SELECT COUNT(*) AS c FROM telemetry_batches').get() as { c: number }).c, 0);
    db.close();
  });

  void it('readings more than a second apart in gateway time go to separate rows, each keeping its own time', () => {
    const j = open();
    j.appendTelemetry([reading(1, { gatewayTime: T0 }), reading(2, { gatewayTime: T0 + 400 }), reading(3, { gatewayTime: T0 + 90_000 })]);
    assert.deepEqual(j.peek('telemetry', 10).map((e) => e.gatewayTime), [T0, T0, T0 + 90_000]);
    j.close();
  });

  void it('the disk budget discards whole batches, oldest first, and counts every reading in them', () => {
    const j = open({ diskBudgetBytes: 1_000_000, trimToRatio: 0.5 });
    // random details: rows are stored deflated, and these must fill the budget
    for (let b = 0; b < 200; b++) j.appendTelemetry(Array.from({ length: 100 }, (_, i) => reading(b * 100 + i, { gatewayTime: T0 + b * 1000, detail: randomBytes(40).toString('hex') })));
    const s = j.stats();
    assert.ok(s.discardedTelemetry > 0, 'something was discarded');
    assert.equal(s.discardedThrough % 100, 0, `discards end on a batch boundary (${s.discardedThrough})`);
    assert.equal(s.discardedTelemetry, s.discardedThrough, 'the count is every reading up to the discard point');
    const next = j.peek('telemetry', 1);
    assert.equal(next[0]!.seq, s.discardedThrough + 1);
    const notice = j.peek('alarm', 10).map(entryEvent).find((e) => e['code'] === 'GW_TELEMETRY_DISCARDED');
    assert.ok(notice, 'the discard is announced');
    j.close();
  });

  void it('a journal of the previous schema (one row per reading) upgrades with its unsent rows, seqs and ids intact', () => {
    const path = join(dir, `b${++n}.db`);
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.filter((m) => m.version <= 2));
    const ids = ['01JD0000000000000000000001', '01JD0000000000000000000002', '01JD0000000000000000000003'];
    const ins = old.prepare('INSERT INTO telemetry_events (seq, id, gateway_time, body) VALUES (?, ?, ?, ?)');
    ids.forEach((id, i) => ins.run(i + 1, id, T0 + i, JSON.stringify(reading(i + 1))));
    old.prepare("UPDATE stream_state SET next_seq = 4, acked_seq = 1 WHERE stream = 'telemetry'").run();
    old.close();
    const j = open({}, path);
    const rows = j.peek('telemetry', 10);
    assert.deepEqual(rows.map((e) => [e.seq, e.id]), [[2, ids[1]], [3, ids[2]]]);
    j.appendTelemetry([reading(4)]);
    assert.deepEqual(j.peek('telemetry', 10).map((e) => e.seq), [2, 3, 4]);
    j.close();
  });
});
