/** Commissioning report storage on both databases: migrations, insert, newest-first list, get by site. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, PgDb, SqliteDb, createPgSchema, dropPgSchema, type SqlDb } from '@safeloop/cloud/db';
import { COMMISSIONING_MIGRATIONS, CommissioningReportStore } from '@safeloop/cloud/commissioning/index';

const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function exercise(db: SqlDb): Promise<void> {
  await migrate(db, 'commissioning', COMMISSIONING_MIGRATIONS);
  await migrate(db, 'commissioning', COMMISSIONING_MIGRATIONS); // idempotent
  const store = new CommissioningReportStore(db);
  const base = { gatewayId: null, technician: '孙', performedAt: 1_764_000_000_000, uploadedBy: 'tech', markdown: '# r', html: '<p>r</p>' };
  const a = await store.insert({ ...base, siteId: 'tank-farm', uploadedAt: 1_764_000_001_000, passed: false, summary: { passed: false, flagged: [{ kind: 'stuck_zero' }] } });
  const b = await store.insert({ ...base, siteId: 'tank-farm', uploadedAt: 1_764_000_002_000, passed: true, summary: { passed: true } });
  await store.insert({ ...base, siteId: 'other-tanks', uploadedAt: 1_764_000_003_000, passed: true, summary: { passed: true } });
  const list = await store.list('tank-farm', 10);
  assert.deepEqual(list.map((r) => [r.id, r.passed, r.uploadedAt]), [[b, true, 1_764_000_002_000], [a, false, 1_764_000_001_000]]);
  assert.deepEqual(list[1]?.summary, { passed: false, flagged: [{ kind: 'stuck_zero' }] });
  assert.equal((await store.list('tank-farm', 1)).length, 1);
  const one = await store.get('tank-farm', a);
  assert.equal(one?.markdown, '# r');
  assert.equal(one?.technician, '孙');
  assert.equal(await store.get('other-tanks', a), undefined, 'a report is only found under its own site');
}

void describe('commissioning report store', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  void test('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'safeloop-reports-'));
    const db = new SqliteDb(join(dir, 'r.db'));
    cleanups.push(async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await exercise(db);
  });

  void test('PostgreSQL', async () => {
    const schema = `t_commissioning_${process.pid}_${Date.now() % 100000}`;
    await createPgSchema(PG_URL, schema);
    const db = new PgDb({ connectionString: PG_URL, schema, max: 2 });
    cleanups.push(async () => {
      await db.close();
      await dropPgSchema(PG_URL, schema);
    });
    await exercise(db);
  });
});
