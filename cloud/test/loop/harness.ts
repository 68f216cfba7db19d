/** Test harness: the same suite on SQLite (in memory) and on a fresh PostgreSQL schema per run. */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { silentLogger, type Clock } from '@safeloop/contract';
import { SqliteDb, PgDb, createPgSchema, dropPgSchema, type SqlDb } from '../../src/db/index.ts';
import { Registry, loadSeedFile } from '../../src/tenancy/index.ts';
import { hashPassword } from '../../src/auth/index.ts';

export const PG_URL = process.env.SAFELOOP_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const DEMO_SEED = fileURLToPath(new URL('../../seed/demo.yaml', import.meta.url));

export interface DbHandle {
  db: SqlDb;
  close(): Promise<void>;
}

export type DbKind = 'sqlite' | 'postgres';
export const DB_KINDS: readonly DbKind[] = ['sqlite', 'postgres'];

export async function openDb(kind: DbKind): Promise<DbHandle> {
  if (kind === 'sqlite') {
    const db = new SqliteDb(':memory:');
    return { db, close: () => db.close() };
  }
  const schema = `t_loop_${randomBytes(5).toString('hex')}`;
  await createPgSchema(PG_URL, schema);
  const db = new PgDb({ connectionString: PG_URL, schema, max: 8 });
  return {
    db,
    close: async () => {
      await db.close().catch(() => undefined);
      await dropPgSchema(PG_URL, schema);
    },
  };
}

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 28, 2, 0, 0)) {}
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

/** Real scrypt hashes, memoised per password so that seeding a dozen users per test stays cheap. */
const hashes = new Map<string, Promise<string>>();
function memoHash(password: string): Promise<string> {
  let h = hashes.get(password);
  if (!h) {
    h = hashPassword(password);
    hashes.set(password, h);
  }
  return h;
}

export async function seededRegistry(db: SqlDb, clock: Clock): Promise<Registry> {
  const registry = new Registry({ db, now: () => clock.now(), hashPassword: memoHash });
  await registry.migrate();
  await registry.applySeed(loadSeedFile(DEMO_SEED));
  return registry;
}

export const logger = silentLogger;
