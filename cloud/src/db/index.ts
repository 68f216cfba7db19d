export * from './sql-db.ts';
export { SqliteDb } from './sqlite-db.ts';
export { PgDb, createPgSchema, dropPgSchema } from './pg-db.ts';
export { niceBackend, niceBackends, type BackendNiceOutcome } from './pg-backend-nice.ts';
