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

/** The transaction, with a hook that runs once right after the first unlocked read of rule_state. */
function withHook(tx: SqlDb, hook: () => Promise<void>): SqlDb {
  let fired = false;
  return {
    dialect: tx.dialect,
    async query<T extends object>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
      const rows = await tx.query<T>(sql, params);
      if (!fired && sql.includes('FROM rule_state') && !sql.includes('FOR UPDATE')) {
        fired = true;
        await hook();
      }
      return rows;
    },
    exec: (sql, params) => tx.exec(sql, params),
    execScript: (sql) => tx.execScript(sql),
    transaction: (fn) => tx.transaction(fn),
    close: () => tx.close(),
  };
}

describe('rule state on postgres: unlocked reads, locked writes', () => {
  let t: TestDb;
  let store: TelemetryStore;
  let engine: RulesEngine;
  before(async () => {
    t = await openDb('postgres');
    store = createTelemetryStore(t.db);
    await store.init();
    engine = new RulesEngine({ logger: silentLogger, staleScanMs: 0 }, RULES as never);
    await engine.init(t.db);
  });
  after(async () => {
    await t.close();
  });

  const at = (p: string, v: number, time: number): TelemetryEvent => reading(p, 1, v, { sourceTime: time });
  const summary = (ops: readonly OutboxOp[]): string[] => ops.map((o) => `${o.op} ${o.input.conditionKey}`);
  async function feed(readings: TelemetryEvent[], hook?: () => Promise<void>): Promise<OutboxOp[]> {
    const now = Math.max(...readings.map((r) => r.sourceTime));
    await store.prepare(readings);
    return t.db.transaction(async (tx) => {
      const fresh = await store.insert(tx, 'gw', readings, now);
      return engine.evaluate(hook ? withHook(tx, hook) : tx, 'gw', fresh, now);
    });
  }
  async function timers(now: number): Promise<OutboxOp[]> {
    const out: OutboxOp[] = [];
    await engine.runTimers(t.db, now, (_tx, ops) => (out.push(...ops), Promise.resolve(ops.length)));
    return out;
  }

  test('a normal reading leaves its rule state row unlocked', async () => {
    const p = 's1/TK-7/level';
    await feed([at(p, 5, T0)]);
    await feed([at(p, 6, T0 + S)], async () => undefined);
    let lockedMeanwhile = false;
    await feed([at(p, 7, T0 + 2 * S)], async () => {
      // Another connection locks the row without waiting while the batch's transaction is still open.
      const rows = await t.db.transaction((other) => other.query('SELECT state_key FROM rule_state WHERE state_key = $1 FOR UPDATE NOWAIT', [`limit|lvl|${p}`]));
      lockedMeanwhile = rows.length === 1;
    });
    assert.equal(lockedMeanwhile, true);
  });

  test('a state the timer pass changed after the unlocked read is evaluated again: one raise, the timer’s state kept', async () => {
    const p = 's1/TK-1/level';
    assert.deepEqual(await feed([at(p, 19, T0)]), [], 'pending: on-delay 10 s');
    let timerOps: OutboxOp[] = [];
    // The reading at T0 + 11 s would raise from the copy it read (pending since T0); the timer raises first.
    const ops = await feed([at(p, 19, T0 + 11 * S)], async () => {
      timerOps = await timers(T0 + 10 * S + 1);
    });
    assert.deepEqual(summary(timerOps), [`raise ${limitConditionKey(p, 'HH')}`], 'the timer pass raised');
    assert.deepEqual(ops, [], 'the reading, evaluated again on the stored row, does not raise a second time');
    const row = (await t.db.query<{ active: number }>('SELECT active FROM rule_state WHERE state_key = $1', [`limit|lvl|${p}`]))[0];
    assert.equal(Number(row?.active), 1, 'the stored state is active');
    assert.deepEqual(await feed([at(p, 19, T0 + 12 * S)]), [], 'and stays raised once');
  });
});
