/**
 * Regression: SqliteDb joined any transaction() called while another was open (a boolean flag), so a
 * concurrent caller's writes became part of someone else's transaction — committed by their success,
 * silently rolled back by their failure while the caller had been told "committed". Two operators
 * acting on alarms at once hit exactly this. Nesting is now tracked per async context.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteDb } from '../../src/db/index.ts';

test('a concurrent transaction queues instead of joining; real nesting still joins', async () => {
  const db = new SqliteDb(':memory:');
  try {
    await db.execScript('CREATE TABLE t (id TEXT)');
    const a = db
      .transaction(async (tx) => {
        await tx.exec("INSERT INTO t VALUES ('a')");
        await new Promise((r) => setTimeout(r, 30));
        throw new Error('A fails');
      })
      .catch((e: unknown) => (e as Error).message);
    await new Promise((r) => setTimeout(r, 5));
    const b = db.transaction(async (tx) => {
      await tx.exec("INSERT INTO t VALUES ('b')");
      return db.transaction(async (inner) => {
        await inner.exec("INSERT INTO t VALUES ('b2')");
        return 'B';
      });
    });
    assert.equal(await a, 'A fails');
    assert.equal(await b, 'B');
    assert.deepEqual(await db.query('SELECT id FROM t ORDER BY id'), [{ id: 'b' }, { id: 'b2' }]);
  } finally {
    await db.close();
  }
});
