export * from './telemetry-store.ts';
export { SqliteTelemetryStore } from './sqlite-telemetry-store.ts';
export { PgTelemetryStore } from './pg-telemetry-store.ts';
export * from './alarm-outbox.ts';
import type { SqlDb } from '../db/index.ts';
import { PgTelemetryStore } from './pg-telemetry-store.ts';
import { SqliteTelemetryStore } from './sqlite-telemetry-store.ts';
import type { TelemetryStore, TelemetryStoreOptions } from './telemetry-store.ts';

/** The store implementation that fits the database. */
export function createTelemetryStore(db: SqlDb, opts: TelemetryStoreOptions = {}): TelemetryStore {
  return db.dialect === 'postgres' ? new PgTelemetryStore(db, opts) : new SqliteTelemetryStore(db, opts);
}
