/** The bulk thread's setup in tests: a pool on the test schema, gateways and rules given as data. */
import type { Logger } from '@safeloop/contract';
import { PgDb, type SqlDb } from '../../src/db/index.ts';
import type { BulkThreadSetup, GatewayInfo } from '../../src/ingest/index.ts';
import { RulesEngine, type RuleSet } from '../../src/rules/index.ts';

export interface TestBulkData {
  url: string;
  schema: string;
  gateways: GatewayInfo[];
  rules?: RuleSet;
  /** Fail the setup (the worker must keep ingesting on its main thread). */
  fail?: boolean;
  /** The thread never finishes this gateway's groups (its directory lookup hangs). */
  hangGateway?: string;
  /** The thread fails this gateway's groups (its directory lookup rejects). */
  failGateway?: string;
  /** The thread ends itself right after it commits this gateway's first group (committed, never reported). */
  dieAfterCommitGateway?: string;
}

export const setupBulkThread: BulkThreadSetup = (data: unknown, logger: Logger) => {
  const d = data as TestBulkData;
  if (d.fail) return Promise.reject(new Error('setup refused for the test'));
  const db = new PgDb({ connectionString: d.url, schema: d.schema, max: 4 });
  const gateways = new Map(d.gateways.map((g) => [g.id, g]));
  let dieAfterNextCommit = false;
  const transaction = db.transaction.bind(db);
  db.transaction = async (fn) => {
    // Only the ingest transaction (it locks the stream row) counts, not the partition set-up before it.
    let ingest = false;
    const r = await transaction((tx) => fn(watchQueries(tx, (sql) => (ingest ||= sql.includes('ingest_streams')))));
    if (dieAfterNextCommit && ingest) process.exit(1); // in a worker thread: ends the thread only
    return r;
  };
  const getGateway = (id: string): Promise<GatewayInfo | undefined> => {
    if (id === d.hangGateway) return new Promise(() => undefined);
    if (id === d.failGateway) return Promise.reject(new Error(`directory lookup of ${id} refused for the test`));
    if (id === d.dieAfterCommitGateway) dieAfterNextCommit = true;
    return Promise.resolve(gateways.get(id));
  };
  return Promise.resolve({
    db,
    directory: { getGateway },
    ...(d.rules ? { rules: new RulesEngine({ logger }, d.rules) } : {}),
    close: () => db.close(),
  });
};

/** The transaction handle, telling `seen` the SQL of every query and exec. */
function watchQueries(tx: SqlDb, seen: (sql: string) => void): SqlDb {
  return new Proxy(tx, {
    get(target, key) {
      const v = Reflect.get(target, key) as unknown;
      if (typeof v !== 'function') return v;
      const f = v as (...a: unknown[]) => unknown;
      if (key !== 'query' && key !== 'exec') return f.bind(target);
      return (sql: string, ...rest: unknown[]) => (seen(sql), f.call(target, sql, ...rest));
    },
  });
}
