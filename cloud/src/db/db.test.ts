import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { migrate, SqliteDb, PgDb, createPgSchema, dropPgSchema, type SqlDb } from './index.ts';

const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function exercise(db: SqlDb): Promise<void> {
  await migrate(db, 'dbtest', [
    { id: 1, name: 'items', sqlite: 'CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL)', postgres: 'CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL)' },
  ]);
  await migrate(db, 'dbtest', [
    { id: 1, name: 'items', sqlite: 'CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL)', postgres: 'CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL)' },
  ]); // idempotent
  assert.equal(await db.exec('INSERT INTO items (id, n) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', ['a', 1_700_000_000_000]), 1);
  assert.equal(await db.exec('INSERT INTO items (id, n) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', ['a', 5]), 0);
  const rows = await db.query<{ id: string; n: number }>('SELECT id, n FROM items WHERE n = $2 AND id = $1 AND id = $1', ['a', 1_700_000_000_000]);
  assert.deepEqual(rows, [{ id: 'a', n: 1_700_000_000_000 }]);
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.exec('INSERT INTO items (id, n) VALUES ($1, $2)', ['b', 2]);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal((await db.query('SELECT id FROM items WHERE id = $1', ['b'])).length, 0, 'rolled back');
  await db.transaction(async (tx) => {
    await tx.exec('INSERT INTO items (id, n) VALUES ($1, $2)', ['c', 3]);
  });
  assert.equal((await db.query('SELECT id FROM items WHERE id = $1', ['c'])).length, 1, 'committed');
}

describe('SqlDb', () => {
  test('sqlite', async () => {
    const db = new SqliteDb(':memory:');
    await exercise(db);
    await db.close();
  });

  const schema = `t_db_${randomBytes(4).toString('hex')}`;
  after(async () => {
    await dropPgSchema(PG_URL, schema);
  });
  test('postgres', async () => {
    await createPgSchema(PG_URL, schema);
    const db = new PgDb({ connectionString: PG_URL, schema });
    await exercise(db);
    await db.close();
  });
});
