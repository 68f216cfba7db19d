import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import type pg from 'pg';
import { niceBackend, niceBackends, PgDb, type BackendNiceOutcome } from './index.ts';

const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The nice value of a process, read from /proc (field 19 of stat), not through the API under test. */
function niceOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[16]);
}

function fakeClient(host: string, pid: number): pg.ClientBase {
  return { host, query: () => Promise.resolve({ rows: [{ pid }] }) } as unknown as pg.ClientBase;
}

describe('bulk pool backends at a lower CPU priority', () => {
  test('a pid that is not a postgres process here is never reniced (a server in another pid namespace)', async () => {
    const before = getPriority(process.pid);
    const outcome = await niceBackend(fakeClient('127.0.0.1', process.pid), 7);
    assert.ok('skipped' in outcome && /not a postgres backend/.test(outcome.skipped), JSON.stringify(outcome));
    assert.equal(getPriority(process.pid), before, 'this process kept its priority');
  });

  test('a hook that throws never fails the connection', async () => {
    const db = new PgDb({ connectionString: PG_URL, max: 1, prepare: () => Promise.reject(new Error('no')) });
    try {
      assert.deepEqual(await db.query<{ one: number }>('SELECT 1 AS one'), [{ one: 1 }]);
      assert.equal(await db.transaction((tx) => tx.exec('SELECT 1')), 1);
    } finally {
      await db.close();
    }
  });

  test('a server on another machine is skipped before any pid is looked at', async () => {
    let asked = false;
    const client = { host: 'db.plant.example', query: () => ((asked = true), Promise.resolve({ rows: [{ pid: 1 }] })) } as unknown as pg.ClientBase;
    const outcome = await niceBackend(client, 5);
    assert.deepEqual(outcome, { skipped: 'server db.plant.example is not on this machine' });
    assert.equal(asked, false);
  });

  test('every backend the pool connects is reniced, and the connection works as before', async () => {
    const outcomes: BackendNiceOutcome[] = [];
    const db = new PgDb({ connectionString: PG_URL, max: 3, prepare: niceBackends(5, (o) => outcomes.push(o))! });
    try {
      // Three connections at once: each is a new backend, reniced before its first statement.
      const pids = await Promise.all(
        [0, 1, 2].map(() => db.transaction(async (tx) => {
          const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)');
          return Number(row!.pid);
        })),
      );
      assert.equal(new Set(pids).size, 3);
      assert.equal(outcomes.length, 3, JSON.stringify(outcomes));
      // Reused connections are not reniced again; plain queries go through the same hook.
      const [again] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      assert.ok(pids.includes(Number(again!.pid)));
      assert.equal(outcomes.length, 3);
      for (const pid of pids) {
        const o = outcomes.find((x) => 'pid' in x && x.pid === pid);
        assert.ok(o && 'nice' in o, `backend ${pid} reniced: ${JSON.stringify(outcomes)}`);
        assert.equal(niceOf(pid), o.nice);
        assert.ok(o.nice >= 5);
      }
    } finally {
      await db.close();
    }
  });

  test('nice 0 leaves the pool alone', async () => {
    assert.equal(niceBackends(0, () => undefined), undefined);
    const db = new PgDb({ connectionString: PG_URL, max: 1 });
    try {
      const [row] = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      assert.equal(niceOf(Number(row!.pid)), 0);
    } finally {
      await db.close();
    }
  });
});
