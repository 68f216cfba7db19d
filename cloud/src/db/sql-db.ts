/**
 * One small SQL interface over SQLite (better-sqlite3, the embedded default) and PostgreSQL (pg).
 *
 * Write SQL once with `$1, $2 …` placeholders; the SQLite adapter rewrites them to `?1, ?2 …`.
 * Portable column conventions: times are epoch ms in BIGINT, booleans are INTEGER 0/1,
 * JSON is TEXT. PostgreSQL BIGINT comes back as a JS number (parsed in the adapter).
 * Every module keeps its own numbered migrations and runs them through `migrate()`.
 */
export type Dialect = 'sqlite' | 'postgres';
export type SqlParam = string | number | bigint | boolean | null | Buffer;

export interface SqlDb {
  readonly dialect: Dialect;
  /** Rows of a SELECT (or of `… RETURNING`). */
  query<T extends object = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** Run a statement; returns the number of rows it changed. */
  exec(sql: string, params?: readonly SqlParam[]): Promise<number>;
  /**
   * Inside a transaction: run a statement whose row count nobody reads. PostgreSQL sends it with the
   * transaction's next statement or with its COMMIT, in order, in the same round trip (so every later
   * statement sees its effect; its error surfaces there and rolls the transaction back). SQLite runs it
   * now. Outside a transaction on PostgreSQL it throws.
   */
  defer(sql: string, params?: readonly SqlParam[]): void;
  /** Run several statements (DDL) separated by semicolons, no parameters. */
  execScript(sql: string): Promise<void>;
  /**
   * Run `fn` in one transaction (SQLite: BEGIN IMMEDIATE, serialised in-process;
   * PostgreSQL: a dedicated pooled connection). Commit when it resolves, roll back when it throws.
   */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL inside a transaction only: `COPY … FROM STDIN` (text format) with `data` as its input;
   * returns the number of rows copied. Absent elsewhere: callers fall back to INSERT.
   */
  copyFrom?(sql: string, data: string): Promise<number>;
  close(): Promise<void>;
}

export interface Migration {
  /** Monotonic number within the module: 1, 2, 3 … forward only. */
  id: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** Apply the module's migrations not yet applied, each in its own transaction. */
export async function migrate(db: SqlDb, module: string, migrations: readonly Migration[]): Promise<void> {
  await db.execScript(
    'CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (module, id))',
  );
  const sorted = [...migrations].sort((a, b) => a.id - b.id);
  for (const m of sorted) {
    await db.transaction(async (tx) => {
      // Lock-free check inside the transaction; concurrent workers race on the primary key.
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE module = $1 AND id = $2', [module, m.id]);
      if (done.length > 0) return;
      if (tx.dialect === 'postgres') {
        await tx.exec('SELECT pg_advisory_xact_lock(hashtext($1))', [`migrate:${module}`]);
        const again = await tx.query('SELECT 1 FROM schema_migrations WHERE module = $1 AND id = $2', [module, m.id]);
        if (again.length > 0) return;
      }
      await tx.execScript(tx.dialect === 'sqlite' ? m.sqlite : m.postgres);
      await tx.exec('INSERT INTO schema_migrations (module, id, name, applied_at) VALUES ($1, $2, $3, $4)', [
        module,
        m.id,
        m.name,
        Date.now(),
      ]);
    });
  }
}
