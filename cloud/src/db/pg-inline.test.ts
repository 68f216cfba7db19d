import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inlineParams, sqlLiteral } from './pg-inline.ts';
import { createPgSchema, dropPgSchema, PgDb } from './index.ts';
import { pgQueryRecorder } from './pg-query-recorder.ts';

const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Strings an attacker or a broken device could send as a point name, an id or a text value. */
const NASTY = [
  '',
  "it's",
  "'; DROP TABLE t; --",
  "\\'; DROP TABLE t; --",
  'back\\slash',
  '\\x00',
  '$1 $2 $$ $tag$',
  '-- not a comment',
  '/* not a comment */',
  '"quoted"',
  'E\'e\'',
  '泄漏报警 一级 红',
  '🔥 emoji',
  'line\nbreak\ttab\r',
  'NULL',
  '{a,b}',
];

describe('pg-inline: parameters written out as literals', () => {
  test('what cannot be written out safely is refused, not mangled', () => {
    assert.equal(sqlLiteral('nul\0byte'), undefined);
    assert.equal(sqlLiteral(Buffer.from('x')), undefined);
    assert.equal(inlineParams('SELECT $1', ['a\0b']), undefined);
    assert.equal(inlineParams('SELECT $2', ['a']), undefined, 'a placeholder without a value');
    assert.equal(inlineParams('SELECT $$x$$, $1', ['a']), undefined, 'dollar quoting');
    assert.equal(inlineParams("SELECT 'open", ['a']), undefined, 'an unterminated string');
  });

  test('placeholders inside strings, identifiers and comments stay as written', () => {
    assert.equal(inlineParams("SELECT '$1', \"$1\", $1 -- $1\n, $1 /* $1 */", ['x']), "SELECT '$1', \"$1\", 'x' -- $1\n, 'x' /* $1 */");
    assert.equal(inlineParams("SELECT 'it''s $1', $1", ['x']), "SELECT 'it''s $1', 'x'");
    assert.equal(inlineParams("SELECT E'\\' $1', $1", ['x']), "SELECT E'\\' $1', 'x'");
    assert.equal(inlineParams('SELECT a$1, $1', ['x']), "SELECT a$1, 'x'");
    assert.equal(inlineParams('SELECT $10, $1', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']), "SELECT 'j', 'a'");
  });

  test('values of every kind', () => {
    assert.equal(sqlLiteral(null), 'NULL');
    assert.equal(sqlLiteral(12.5), "'12.5'");
    assert.equal(sqlLiteral(NaN), "'NaN'");
    assert.equal(sqlLiteral(-Infinity), "'-Infinity'");
    assert.equal(sqlLiteral(12345678901234567890n), "'12345678901234567890'");
    assert.equal(sqlLiteral(true), "'true'");
    assert.equal(sqlLiteral("o'clock"), "'o''clock'");
    assert.equal(sqlLiteral('a\\b'), " E'a\\\\b'");
  });

  describe('on PostgreSQL, the server reads back exactly what a parameter would carry', () => {
    const client = new pg.Client({ connectionString: PG_URL });
    before(() => client.connect());
    after(() => client.end());

    test('strings', async () => {
      for (const s of NASTY) {
        const text = inlineParams('SELECT $1::text AS v, $1 = $2::text AS same', [s, s])!;
        const r = await client.query<{ v: string; same: boolean }>(text);
        assert.equal(r.rows[0]!.v, s, `round trip of ${JSON.stringify(s)}`);
        assert.equal(r.rows[0]!.same, true);
      }
    });

    test('numbers, typed by their context as a parameter is', async () => {
      await client.query('CREATE TEMP TABLE nums (f float8, b bigint, i int, t text[], n float8[])');
      const values = [0.1, -1e-300, 1.7976931348623157e308, NaN, Infinity, -Infinity, 1_700_000_000_123];
      for (const v of values) {
        await client.query(inlineParams('INSERT INTO nums (f, b, i, t, n) VALUES ($1, $2, $3, $4::text[], $5::float8[])', [v, 1_700_000_000_123, 7, '{"a,b","it\'s"}', `{${v},NaN}`])!);
      }
      const r = await client.query<{ f: number; b: number | string; i: number; t: string[]; n: number[] }>('SELECT f, b, i, t, n FROM nums');
      assert.deepEqual(
        r.rows.map((x) => x.f),
        values,
      );
      assert.deepEqual(r.rows[0]!.t, ['a,b', "it's"]);
      assert.equal(Number(r.rows[0]!.b), 1_700_000_000_123);
      assert.ok(Number.isNaN(r.rows[0]!.n[1]));
    });
  });
});

describe('PgDb transactions: deferred writes travel with the next statement', () => {
  const schema = `t_inline_${randomBytes(4).toString('hex')}`;
  let db: PgDb;
  const recorder = pgQueryRecorder();
  const calls = recorder.sent;
  before(async () => {
    await createPgSchema(PG_URL, schema);
    db = new PgDb({ connectionString: PG_URL, schema, max: 2 });
    await db.execScript('CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL, b BYTEA)');
    recorder.start();
  });
  after(async () => {
    recorder.stop();
    await db.close();
    await dropPgSchema(PG_URL, schema);
  });

  const roundTrips = async <T>(fn: () => Promise<T>): Promise<{ result: T; trips: string[] }> => {
    calls.length = 0;
    const result = await fn();
    return { result, trips: [...calls] };
  };

  test('BEGIN rides on the first statement, deferred writes and COMMIT on one message', async () => {
    const { result, trips } = await roundTrips(() =>
      db.transaction(async (tx) => {
        const [row] = await tx.query<{ n: number }>('INSERT INTO items (id, n) VALUES ($1, $2) RETURNING n', ["o'clock", 1]);
        tx.defer('INSERT INTO items (id, n) VALUES ($1, $2)', ['two', 2]);
        tx.defer('UPDATE items SET n = n + $2 WHERE id = $1', ["o'clock", 10]);
        return row!.n;
      }),
    );
    assert.equal(result, 1);
    assert.equal(trips.length, 2, trips.join(' | '));
    assert.match(trips[0]!, /^BEGIN\n;\nINSERT/);
    assert.match(trips[1]!, /UPDATE items[\s\S]*\n;\nCOMMIT$/);
    assert.deepEqual(await db.query('SELECT id, n FROM items ORDER BY id'), [
      { id: "o'clock", n: 11 },
      { id: 'two', n: 2 },
    ]);
  });

  test('a read after a deferred write sees it, and the read result is the read’s', async () => {
    const n = await db.transaction(async (tx) => {
      tx.defer('UPDATE items SET n = $2 WHERE id = $1', ['two', 22]);
      const count = await tx.exec('UPDATE items SET n = n + 1 WHERE id = ANY($1::text[])', ['{two,missing}']);
      assert.equal(count, 1);
      const [row] = await tx.query<{ n: number }>('SELECT n FROM items WHERE id = $1', ['two']);
      return row!.n;
    });
    assert.equal(n, 23);
  });

  test('a transaction that does nothing sends nothing', async () => {
    const { trips } = await roundTrips(() => db.transaction(() => Promise.resolve(0)));
    assert.deepEqual(trips, []);
  });

  test('a deferred write that fails rolls back the whole transaction, and the error names it', async () => {
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.exec('INSERT INTO items (id, n) VALUES ($1, $2)', ['three', 3]);
        tx.defer('INSERT INTO items (id, n) VALUES ($1, $2)', ['two', 99]); // duplicate key
      }),
      /duplicate key value violates unique constraint "items_pkey"/,
    );
    assert.deepEqual(await db.query('SELECT id FROM items WHERE id = $1', ['three']), [], 'nothing of it committed');
    // the connection is clean for the next transaction
    await db.transaction(async (tx) => void (await tx.exec('INSERT INTO items (id, n) VALUES ($1, $2)', ['four', 4])));
    assert.equal((await db.query('SELECT id FROM items WHERE id = $1', ['four'])).length, 1);
  });

  test('what cannot be written out (bytea, a NUL byte) still goes through, as a parameter, in order', async () => {
    const { trips } = await roundTrips(() =>
      db.transaction(async (tx) => {
        tx.defer('INSERT INTO items (id, n, b) VALUES ($1, $2, $3)', ['bin', 5, Buffer.from([0, 1, 2])]);
        tx.defer('UPDATE items SET n = $2 WHERE id = $1', ['bin', 6]);
      }),
    );
    assert.equal(trips.length, 3, trips.join(' | ')); // BEGIN, the parameterised insert, UPDATE + COMMIT
    const [row] = await db.query<{ n: number; b: Buffer }>('SELECT n, b FROM items WHERE id = $1', ['bin']);
    assert.equal(row!.n, 6);
    assert.deepEqual([...row!.b], [0, 1, 2]);
    await assert.rejects(
      db.transaction(async (tx) => tx.defer('INSERT INTO items (id, n) VALUES ($1, $2)', ['nul\0', 1])),
      /invalid byte sequence|0x00/,
      'PostgreSQL refuses the NUL byte as it would from any parameter',
    );
  });

  test('outside a transaction, defer is refused', () => {
    assert.throws(() => db.defer('SELECT 1'), /needs a transaction/);
  });
});
