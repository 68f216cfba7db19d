import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import type { SqlDb, SqlParam } from './sql-db.ts';

// BIGINT (int8) and NUMERIC as JS numbers: our BIGINTs are epoch ms and counters, all < 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

async function rows<T>(q: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlParam[]): Promise<T[]> {
  const r = await q.query(sql, params as unknown[]);
  return r.rows as T[];
}

async function count(q: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlParam[]): Promise<number> {
  const r = await q.query(sql, params as unknown[]);
  return r.rowCount ?? 0;
}

/** The view of the database inside one transaction: a single pooled connection. */
class PgTransaction implements SqlDb {
  readonly dialect = 'postgres' as const;
  constructor(private readonly client: pg.PoolClient) {}
  query<T extends object>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return rows<T>(this.client, sql, params);
  }
  exec(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return count(this.client, sql, params);
  }
  async execScript(sql: string): Promise<void> {
    await this.client.query(sql);
  }
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    return fn(this); // nested: join the outer transaction
  }
  copyFrom(sql: string, data: string): Promise<number> {
    const stream = this.client.query(copyFromStdin(sql));
    return new Promise<number>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('finish', () => resolve(stream.rowCount));
      stream.end(data);
    });
  }
  close(): Promise<void> {
    return Promise.reject(new Error('close() inside a transaction'));
  }
}

/** PostgreSQL through a pg Pool. `schema` (optional) sets the search_path of every connection. */
export class PgDb implements SqlDb {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;

  /** Run once on each new connection before its first use (e.g. renice its backend); failures are the callee's. */
  private readonly prepare: ((client: pg.PoolClient) => Promise<void>) | undefined;
  private readonly prepared = new WeakSet<pg.PoolClient>();

  constructor(opts: { connectionString: string; schema?: string; max?: number; prepare?: (client: pg.PoolClient) => Promise<void> }) {
    this.prepare = opts.prepare;
    const schema = opts.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
    this.pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.max ?? 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    this.pool.on('error', () => undefined); // idle client errors surface on the next query
  }

  query<T extends object>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return this.prepare ? this.withClient((c) => rows<T>(c, sql, params)) : rows<T>(this.pool, sql, params);
  }
  exec(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.prepare ? this.withClient((c) => count(c, sql, params)) : count(this.pool, sql, params);
  }
  async execScript(sql: string): Promise<void> {
    await (this.prepare ? this.withClient((c) => c.query(sql)) : this.pool.query(sql));
  }

  private async connect(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    if (this.prepare && !this.prepared.has(client)) {
      this.prepared.add(client);
      try {
        await this.prepare(client);
      } catch {
        // the connection is used as it is
      }
    }
    return client;
  }

  private async withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgTransaction(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function adminQuery(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Create a schema (tests: each run gets its own, dropped afterwards). */
export function createPgSchema(connectionString: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return adminQuery(connectionString, `CREATE SCHEMA IF NOT EXISTS ${schema}`);
}

export function dropPgSchema(connectionString: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  return adminQuery(connectionString, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}
