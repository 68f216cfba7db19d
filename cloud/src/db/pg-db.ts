import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { inlineParams } from './pg-inline.ts';
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

/** Statements not yet sent: written out as SQL text (travel together), or kept with their parameters. */
type Pending = { text: string } | { sql: string; params: readonly SqlParam[] };

/**
 * The view of the database inside one transaction: a single pooled connection. BEGIN and deferred writes
 * (`defer`) wait and travel with the next statement, and the last of them with COMMIT, as one
 * simple-protocol message (pg-inline.ts): a short transaction on the alarm path takes a round trip per
 * statement whose answer it needs, plus one.
 */
class PgTransaction implements SqlDb {
  readonly dialect = 'postgres' as const;
  private pending: Pending[] = [{ text: 'BEGIN' }];
  /** Something reached the server: the transaction is open there (COMMIT or ROLLBACK needed). */
  private sent = false;
  constructor(private readonly client: pg.PoolClient) {}
  async query<T extends object>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return (await this.run(sql, params)).rows as T[];
  }
  async exec(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return (await this.run(sql, params)).rowCount ?? 0;
  }
  defer(sql: string, params: readonly SqlParam[] = []): void {
    const text = inlineParams(sql, params);
    this.pending.push(text === undefined ? { sql, params } : { text });
  }
  async execScript(sql: string): Promise<void> {
    this.pending.push({ text: sql });
    await this.flush();
  }
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    return fn(this); // nested: join the outer transaction
  }
  async copyFrom(sql: string, data: string): Promise<number> {
    await this.flush();
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

  /** COMMIT with whatever is still pending; a transaction that sent nothing and has nothing pending sends nothing. */
  async commit(): Promise<void> {
    if (!this.sent && this.pending.length === 1) return;
    this.pending.push({ text: 'COMMIT' });
    await this.flush();
  }
  async rollback(): Promise<void> {
    this.pending = [];
    if (this.sent) await this.client.query('ROLLBACK');
  }

  private async run(sql: string, params: readonly SqlParam[]): Promise<pg.QueryResult> {
    if (this.pending.length === 0) return this.client.query(sql, params as unknown[]);
    const text = inlineParams(sql, params);
    this.pending.push(text === undefined ? { sql, params } : { text });
    return (await this.flush())!;
  }

  /** Send what is pending, in order, in as few messages as it allows; the last statement's result. */
  private async flush(): Promise<pg.QueryResult | undefined> {
    const items = this.pending;
    this.pending = [];
    let texts: string[] = [];
    let last: pg.QueryResult | undefined;
    const sendTexts = async (): Promise<void> => {
      if (texts.length === 0) return;
      // A newline before each ';': a statement that ends in a line comment cannot swallow the next one.
      const joined = texts.join('\n;\n');
      texts = [];
      this.sent = true;
      const r = (await this.client.query(joined)) as pg.QueryResult | pg.QueryResult[];
      last = Array.isArray(r) ? r[r.length - 1] : r;
    };
    for (const it of items) {
      if ('text' in it) texts.push(it.text);
      else {
        await sendTexts();
        this.sent = true;
        last = await this.client.query(it.sql, it.params as unknown[]);
      }
    }
    await sendTexts();
    return last;
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
  defer(_sql: string): void {
    throw new Error('defer() needs a transaction: PgDb.transaction(tx => tx.defer(…))');
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
    const tx = new PgTransaction(client);
    try {
      const result = await fn(tx);
      await tx.commit();
      return result;
    } catch (err) {
      await tx.rollback().catch(() => undefined);
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
