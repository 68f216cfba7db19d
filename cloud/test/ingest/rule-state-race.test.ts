/**
 * Rule state on PostgreSQL is read without row locks and locked only where a batch writes (issue 20:
 * the FOR UPDATE on every state row a batch touched wrote a lock into each row and a WAL record per
 * row, although the steady state changes nothing). What that must not break:
 *  1. A normal reading leaves its state row unlocked (another transaction can lock it at once).
 *  2. A state changed by another transaction between the unlocked read and the write — here the timer
 *     pass raising an on-delay alarm — is evaluated again from the stored row: the reading does not
 *     raise a second time and does not overwrite the timer's state with its stale copy.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger, type TelemetryEvent } from '@safeloop/contract';
import type { SqlDb, SqlParam } from '../../src/db/index.ts';
import { limitConditionKey } from '../../src/ingest/index.ts';
import { RulesEngine, type RuleSetInput } from '../../src/rules/index.ts';
import { createTelemetryStore, type OutboxOp, type TelemetryStore } from '../../src/store/index.ts';
import { openDb, reading, type TestDb } from './helpers.ts';

const T0 = Date.UTC(2026, 11, 4, 9, 0, 0);
const S = 1000;
const RULES: RuleSetInput = {
  version: 1,
  rules: [{ id: 'lvl', kind: 'limit', points: ['TK-*/level'], limits: [{ level: 'HH', direction: 'high', value: 18, onDelaySec: 10 }] }],
};

/** The transaction, with a hook that runs once right after the first unlocked (or, `locked`, locking) read of rule_state. */
function withHook(tx: SqlDb, hook: () => Promise<void>, locked = false): SqlDb {
  let fired = false;
  return {
    dialect: tx.dialect,
    async query<T extends object>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
      const rows = await tx.query<T>(sql, params);
      if (!fired && sql.includes('FROM rule_state') && sql.includes('FOR UPDATE') === locked) {
        fired = true;
        await hook();
      }
      return rows;
    },
    exec: (sql, params) => tx.exec(sql, params),
    defer: (sql, params) => tx.defer(sql, params),
    execScript: (sql) => tx.execScript(sql),
    transaction: (fn) => tx.transaction(fn),
    close: () => tx.close(),
  };
}

const at = (p: string, v: number, time: number): TelemetryEvent => reading(p, 1, v, { sourceTime: time });
const summary = (ops: readonly OutboxOp[]): string[] => ops.map((o) => `${o.op} ${o.input.conditionKey}`);

/**
 * A PostgreSQL database, store and engine for one describe block. `feed` stores and evaluates a batch in one
 * transaction, the engine seeing the transaction through `wrap` when given.
 */
function harness(lockOnReadBelow: number | undefined) {
  const h = {} as { t: TestDb; store: TelemetryStore; engine: RulesEngine };
  before(async () => {
    h.t = await openDb('postgres');
    h.store = createTelemetryStore(h.t.db);
    await h.store.init();
    h.engine = new RulesEngine({ logger: silentLogger, staleScanMs: 0, ...(lockOnReadBelow === undefined ? {} : { lockOnReadBelow }) }, RULES as never);
    await h.engine.init(h.t.db);
  });
  after(() => h.t.close());
  const feed = async (readings: TelemetryEvent[], wrap?: (tx: SqlDb) => SqlDb): Promise<OutboxOp[]> => {
    const now = Math.max(...readings.map((r) => r.sourceTime));
    await h.store.prepare(readings);
    return h.t.db.transaction(async (tx) => {
      const fresh = await h.store.insert(tx, 'gw', readings, now);
      return h.engine.evaluate(wrap ? wrap(tx) : tx, 'gw', fresh, now);
    });
  };
  const timers = async (now: number): Promise<OutboxOp[]> => {
    const out: OutboxOp[] = [];
    await h.engine.runTimers(h.t.db, now, (_tx, ops) => (out.push(...ops), Promise.resolve(ops.length)));
    return out;
  };
  return { h, feed, timers };
}

describe('rule state on postgres: unlocked reads, locked writes', () => {
  const { h, feed, timers } = harness(0);
  const hooked = (hook: () => Promise<void>) => (tx: SqlDb) => withHook(tx, hook);

  test('a normal reading leaves its rule state row unlocked', async () => {
    const p = 's1/TK-7/level';
    await feed([at(p, 5, T0)]);
    await feed([at(p, 6, T0 + S)], hooked(async () => undefined));
    let lockedMeanwhile = false;
    await feed(
      [at(p, 7, T0 + 2 * S)],
      hooked(async () => {
        // Another connection locks the row without waiting while the batch's transaction is still open.
        const rows = await h.t.db.transaction((other) => other.query('SELECT state_key FROM rule_state WHERE state_key = $1 FOR UPDATE NOWAIT', [`limit|lvl|${p}`]));
        lockedMeanwhile = rows.length === 1;
      }),
    );
    assert.equal(lockedMeanwhile, true);
  });

  test('a state the timer pass changed after the unlocked read is evaluated again: one raise, the timer’s state kept', async () => {
    const p = 's1/TK-1/level';
    assert.deepEqual(await feed([at(p, 19, T0)]), [], 'pending: on-delay 10 s');
    let timerOps: OutboxOp[] = [];
    // The reading at T0 + 11 s would raise from the copy it read (pending since T0); the timer raises first.
    const ops = await feed(
      [at(p, 19, T0 + 11 * S)],
      hooked(async () => {
        timerOps = await timers(T0 + 10 * S + 1);
      }),
    );
    assert.deepEqual(summary(timerOps), [`raise ${limitConditionKey(p, 'HH')}`], 'the timer pass raised');
    assert.deepEqual(ops, [], 'the reading, evaluated again on the stored row, does not raise a second time');
    const row = (await h.t.db.query<{ active: number }>('SELECT active FROM rule_state WHERE state_key = $1', [`limit|lvl|${p}`]))[0];
    assert.equal(Number(row?.active), 1, 'the stored state is active');
    assert.deepEqual(await feed([at(p, 19, T0 + 12 * S)]), [], 'and stays raised once');
  });
});

describe('rule state on postgres: a small batch locks what it reads', () => {
  const { h, feed, timers } = harness(undefined); // the default: fewer than 16 rows lock on read

  test('the timer pass skips a row a reading holds: one raise, by the reading', async () => {
    const p = 's1/TK-2/level';
    assert.deepEqual(await feed([at(p, 19, T0)]), [], 'pending: on-delay 10 s');
    let timerOps: OutboxOp[] = [];
    let lockedElsewhere = true;
    const ops = await feed([at(p, 19, T0 + 11 * S)], (tx) =>
      withHook(
        tx,
        async () => {
          timerOps = await timers(T0 + 10 * S + 1);
          lockedElsewhere = await h.t.db
            .transaction((other) => other.query('SELECT 1 FROM rule_state WHERE state_key = $1 FOR UPDATE NOWAIT', [`limit|lvl|${p}`]))
            .then(() => false, () => true);
        },
        true,
      ),
    );
    assert.equal(lockedElsewhere, true, 'the row is locked while the reading is evaluated');
    assert.deepEqual(timerOps, [], 'the timer pass skipped the locked row');
    assert.deepEqual(summary(ops), [`raise ${limitConditionKey(p, 'HH')}`], 'the reading raised');
    assert.deepEqual(await timers(T0 + 12 * S), [], 'and nothing raises it a second time');
  });

  test('one read of rule_state, taking the locks, for a reading that crosses', async () => {
    const reads: string[] = [];
    await feed([at('s1/TK-3/level', 19, T0)], (tx) => ({
      ...tx,
      dialect: tx.dialect,
      defer: (q, v) => tx.defer(q, v),
      exec: (q, v) => tx.exec(q, v),
      query: <T extends object>(q: string, v?: readonly SqlParam[]) => (q.includes('FROM rule_state') && reads.push(q), tx.query<T>(q, v)),
    }));
    assert.equal(reads.length, 1, reads.join(' | '));
    assert.match(reads[0]!, /FOR UPDATE/);
  });
});
