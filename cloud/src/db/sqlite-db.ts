import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb, SqlParam } from './sql-db.ts';

/**
 * `$1 … $n` → `?` in order of appearance, remembering which parameter each `?` takes,
 * so a parameter may be used twice and the same params array works on both databases.
 */
function toSqlite(sql: string): { text: string; order: number[] } {
  const order: number[] = [];
  const text = sql.replace(/\$(\d+)/g, (_m, n: string) => {
    order.push(Number(n) - 1);
    return '?';
  });
  return { text, order };
}

function bindable(params: readonly SqlParam[], order: readonly number[]): unknown[] {
  return order.map((i) => {
    const p = params[i];
    if (p === undefined) throw new RangeError(`SQL parameter $${i + 1} not given`);
    return typeof p === 'boolean' ? (p ? 1 : 0) : p;
  });
}

/**
 * SQLite through better-sqlite3: WAL, synchronous=FULL, foreign keys on.
 * Transactions are serialised through an in-process queue because one connection is shared.
 */
export class SqliteDb implements SqlDb {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly stmts = new Map<string, { stmt: Database.Statement; order: number[] }>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Set inside a transaction's async context only, so a concurrent caller queues instead of joining it. */
  private readonly txContext = new AsyncLocalStorage<true>();

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  private prepare(sql: string): { stmt: Database.Statement; order: number[] } {
    let s = this.stmts.get(sql);
    if (!s) {
      const { text, order } = toSqlite(sql);
      s = { stmt: this.db.prepare(text), order };
      this.stmts.set(sql, s);
    }
    return s;
  }

  query<T extends object>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    try {
      const { stmt, order } = this.prepare(sql);
      return Promise.resolve(stmt.all(...bindable(params, order)) as T[]);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  exec(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    try {
      const { stmt, order } = this.prepare(sql);
      return Promise.resolve(stmt.run(...bindable(params, order)).changes);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  defer(sql: string, params: readonly SqlParam[] = []): void {
    const { stmt, order } = this.prepare(sql);
    stmt.run(...bindable(params, order));
  }

  execScript(sql: string): Promise<void> {
    try {
      this.db.exec(sql);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.txContext.getStore()) return fn(this); // nested (same async context): join the outer transaction
    const run = (): Promise<T> =>
      this.txContext.run(true, async () => {
        this.db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(this);
          this.db.exec('COMMIT');
          return result;
        } catch (err) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw err;
        }
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** The raw handle, for hot paths that need synchronous batched inserts. */
  get raw(): Database.Database {
    return this.db;
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
