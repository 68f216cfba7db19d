/**
 * Numbered, forward-only schema migrations for the journal. Each runs in its own IMMEDIATE
 * transaction together with the `user_version` bump, so a crash leaves either the old or the new schema.
 * Never edit a released migration: add the next number.
 */
import type { Database } from 'better-sqlite3';
import { SafeLoopError } from '@safeloop/contract';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '0001_initial',
    sql: `
      CREATE TABLE stream_state (
        stream TEXT PRIMARY KEY CHECK (stream IN ('alarm', 'telemetry')),
        next_seq INTEGER NOT NULL,
        acked_seq INTEGER NOT NULL,
        discarded_count INTEGER NOT NULL DEFAULT 0,
        discarded_through INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO stream_state (stream, next_seq, acked_seq) VALUES ('alarm', 1, 0), ('telemetry', 1, 0);
      CREATE TABLE alarm_events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        gateway_time INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE TABLE telemetry_events (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        gateway_time INTEGER NOT NULL,
        body TEXT NOT NULL
      );
      CREATE TABLE ack_marks (
        stream TEXT NOT NULL,
        acked_seq INTEGER NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX ack_marks_by_stream ON ack_marks (stream, at);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `,
  },
  {
    // Once per journal file: the cloud tells a replaced journal (seqs restarting at 1) from the old one
    // by this id and opens a new stream epoch for it.
    version: 2,
    name: '0002_journal_identity',
    sql: `
      CREATE TABLE journal_identity (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
      INSERT INTO journal_identity (id, created_at) SELECT lower(hex(randomblob(16))), CAST(unixepoch('subsec') * 1000 AS INTEGER);
    `,
  },
  {
    // Issue 20: telemetry as one row per poll batch (telemetry-batches.ts). Rows of an older journal
    // become batches of one, keeping their seq and id, so nothing unsent is lost by the upgrade.
    version: 3,
    name: '0003_telemetry_batches',
    sql: `
      CREATE TABLE telemetry_batches (
        first_seq INTEGER PRIMARY KEY,
        last_seq INTEGER NOT NULL,
        first_id TEXT NOT NULL,
        gateway_time INTEGER NOT NULL,
        bodies TEXT NOT NULL
      );
      INSERT INTO telemetry_batches (first_seq, last_seq, first_id, gateway_time, bodies)
        SELECT seq, seq, id, gateway_time, body FROM telemetry_events ORDER BY seq;
      DROP TABLE telemetry_events;
    `,
  },
  {
    // Issue 20, round 4: new batch rows hold their readings in columnar form (columns.ts) and an empty
    // `bodies`. Existing rows keep their bodies and are read as they are, so an upgrade copies nothing
    // (a journal at its disk budget may have no room for a copy) and loses no unsent row.
    version: 4,
    name: '0004_telemetry_columns',
    sql: `ALTER TABLE telemetry_batches ADD COLUMN columns TEXT;`,
  },
  {
    // Issue 20, session 6: new rows store their columns deflated (a BLOB in the same column; see
    // telemetry-batches.ts). No data changes; the version is raised so that an older gateway, which
    // would read a deflated row as text, refuses the file instead of sending garbage.
    version: 5,
    name: '0005_deflated_columns',
    sql: `UPDATE meta SET value = value WHERE 0;`,
  },
];

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Bring the database to the newest schema; refuses a database written by a newer gateway. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const from = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new SafeLoopError(
      'GW_ERR_JOURNAL_SCHEMA_NEWER',
      `journal schema version ${from} is newer than this gateway knows (${latest}); refusing to open it`,
      { details: { from, latest } },
    );
  }
  for (const m of migrations) {
    if (m.version <= schemaVersion(db)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: schemaVersion(db) };
}
