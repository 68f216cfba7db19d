/** Numbered, forward-only migrations of the telemetry store (module `telemetry`). */
import type { Migration } from '../db/index.ts';

const RAW_COLUMNS = `
  id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  point TEXT NOT NULL,
  seq BIGINT NOT NULL,
  value_num DOUBLE PRECISION,
  value_json TEXT,
  quality TEXT NOT NULL,
  reason TEXT,
  detail TEXT,
  source_time BIGINT NOT NULL,
  gateway_time BIGINT NOT NULL,
  historical INTEGER NOT NULL,
  received_at BIGINT NOT NULL`;

const LATEST_AND_1M = `
CREATE TABLE telemetry_latest (
  point TEXT PRIMARY KEY,
  site_id TEXT NOT NULL,
  gateway_id TEXT NOT NULL,
  value_num DOUBLE PRECISION,
  value_json TEXT,
  unit TEXT,
  quality TEXT NOT NULL,
  reason TEXT,
  source_time BIGINT NOT NULL,
  gateway_time BIGINT NOT NULL,
  event_id TEXT NOT NULL,
  historical INTEGER NOT NULL,
  stale INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX telemetry_latest_site ON telemetry_latest (site_id);
CREATE INDEX telemetry_latest_gateway ON telemetry_latest (gateway_id);
CREATE TABLE telemetry_1m (
  point TEXT NOT NULL,
  minute BIGINT NOT NULL,
  min DOUBLE PRECISION NOT NULL,
  max DOUBLE PRECISION NOT NULL,
  sum DOUBLE PRECISION NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (point, minute)
);`;

const RAW_EPOCH = `ALTER TABLE telemetry_raw ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS telemetry_raw_gateway_seq;
CREATE INDEX telemetry_raw_gateway_epoch_seq ON telemetry_raw (gateway_id, epoch, seq);`;

export const TELEMETRY_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'raw, latest and per-minute telemetry',
    sqlite: `
CREATE TABLE telemetry_raw (${RAW_COLUMNS}, PRIMARY KEY (id));
CREATE INDEX telemetry_raw_point_time ON telemetry_raw (point, source_time);
CREATE INDEX telemetry_raw_time ON telemetry_raw (source_time);
${LATEST_AND_1M}`,
    // Daily range partitions on source_time; a primary key on a partitioned table must include the
    // partition key, and a replayed event carries the same source time, so (id, source_time) dedupes.
    postgres: `
CREATE TABLE telemetry_raw (${RAW_COLUMNS}, PRIMARY KEY (id, source_time)) PARTITION BY RANGE (source_time);
CREATE INDEX telemetry_raw_point_time ON telemetry_raw (point, source_time);
${LATEST_AND_1M}`,
  },
  {
    id: 2,
    name: 'raw readings by gateway and sequence (in-order rule evaluation after a gap fills)',
    sqlite: 'CREATE INDEX telemetry_raw_gateway_seq ON telemetry_raw (gateway_id, seq)',
    postgres: 'CREATE INDEX telemetry_raw_gateway_seq ON telemetry_raw (gateway_id, seq)',
  },
  {
    id: 3,
    name: 'time of the last good reading per point (stale-data rules)',
    sqlite: 'ALTER TABLE telemetry_latest ADD COLUMN good_at BIGINT NOT NULL DEFAULT 0; CREATE INDEX telemetry_latest_good_at ON telemetry_latest (good_at)',
    postgres: 'ALTER TABLE telemetry_latest ADD COLUMN good_at BIGINT NOT NULL DEFAULT 0; CREATE INDEX telemetry_latest_good_at ON telemetry_latest (good_at)',
  },
  {
    id: 4,
    name: 'latest values updated in place: no index on good_at (stale scans are periodic), PostgreSQL fillfactor for HOT updates',
    sqlite: 'DROP INDEX IF EXISTS telemetry_latest_good_at',
    postgres: 'DROP INDEX IF EXISTS telemetry_latest_good_at; ALTER TABLE telemetry_latest SET (fillfactor = 70)',
  },
  {
    id: 5,
    name: 'latest by arrival: start of the current good run (no flapping of stale/comm-loss), last bad-time reading beside the value',
    sqlite: 'ALTER TABLE telemetry_latest ADD COLUMN good_since BIGINT NOT NULL DEFAULT 0; ALTER TABLE telemetry_latest ADD COLUMN time_suspect TEXT',
    postgres: 'ALTER TABLE telemetry_latest ADD COLUMN good_since BIGINT NOT NULL DEFAULT 0; ALTER TABLE telemetry_latest ADD COLUMN time_suspect TEXT',
  },
  {
    id: 6,
    name: 'raw readings keyed by (gateway, stream epoch, seq): a replaced gateway journal restarts its seqs',
    sqlite: RAW_EPOCH,
    postgres: RAW_EPOCH,
  },
  {
    id: 7,
    // Every batch rewrites the minute rows of its points: with free room on the page PostgreSQL updates
    // them in place (HOT), without a new index entry per update. Pages written from now on keep it.
    name: 'per-minute aggregates updated in place: PostgreSQL fillfactor for HOT updates',
    sqlite: 'SELECT 1',
    postgres: 'ALTER TABLE telemetry_1m SET (fillfactor = 70)',
  },
];
