/** Numbered, forward-only migrations of ingest bookkeeping (module `ingest`). */
import type { Migration } from '../db/index.ts';

const COMMON = `
CREATE TABLE ingest_streams (
  gateway_id TEXT NOT NULL,
  stream TEXT NOT NULL,
  ack_seq BIGINT NOT NULL DEFAULT 0,
  pending TEXT NOT NULL DEFAULT '[]',
  expected_seq BIGINT NOT NULL DEFAULT 0,
  gap_since BIGINT,
  replay_requested_at BIGINT,
  integrity_alarm INTEGER NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (gateway_id, stream)
);
CREATE INDEX ingest_streams_gap ON ingest_streams (gap_since);
CREATE TABLE edge_events (
  id TEXT PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  type TEXT NOT NULL,
  point TEXT,
  body TEXT NOT NULL,
  received_at BIGINT NOT NULL
);
CREATE INDEX edge_events_gateway ON edge_events (gateway_id, seq);
CREATE TABLE gateway_state (
  gateway_id TEXT PRIMARY KEY,
  site_id TEXT,
  state TEXT NOT NULL,
  bd_seq BIGINT,
  state_at BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  offline_due BIGINT,
  offline_alarm INTEGER NOT NULL DEFAULT 0,
  status TEXT
);`;

/**
 * A replaced gateway journal restarts its seqs at 1: rows are kept per (gateway, stream epoch, seq), the
 * stream remembers the journal id and the highest seq the gateway announced, and counts resends of
 * acknowledged data (a gateway refusing our acks).
 */
const EPOCHS = `
ALTER TABLE ingest_streams ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingest_streams ADD COLUMN journal_id TEXT;
ALTER TABLE ingest_streams ADD COLUMN announced_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE ingest_streams ADD COLUMN stuck_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingest_streams ADD COLUMN stuck_alarm INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingest_streams ADD COLUMN stuck_at BIGINT;
ALTER TABLE edge_events ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS edge_events_gateway;
CREATE INDEX edge_events_gateway_epoch_seq ON edge_events (gateway_id, epoch, seq);`;

/**
 * A gap is never acknowledged past on a timeout any more: the timer pass asks again with backoff (replay_due)
 * and keeps one open integrity alarm per gap (integrity_from..integrity_to) until the ack passes it. The old
 * integrity_alarm flag is no longer written or read.
 */
const INTEGRITY = `
ALTER TABLE ingest_streams ADD COLUMN replay_due BIGINT;
ALTER TABLE ingest_streams ADD COLUMN integrity_from BIGINT;
ALTER TABLE ingest_streams ADD COLUMN integrity_to BIGINT;`;

export const INGEST_MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'streams, edge events, gateway state, rejects',
    sqlite: `${COMMON}
CREATE TABLE ingest_rejects (id INTEGER PRIMARY KEY AUTOINCREMENT, at BIGINT NOT NULL, gateway_id TEXT, topic TEXT NOT NULL,
  reason TEXT NOT NULL, detail TEXT NOT NULL, sample TEXT);`,
    postgres: `${COMMON}
CREATE TABLE ingest_rejects (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, gateway_id TEXT, topic TEXT NOT NULL,
  reason TEXT NOT NULL, detail TEXT NOT NULL, sample TEXT);`,
  },
  {
    id: 2,
    name: 'stream epochs, announced seqs, stuck streams; events keyed by (gateway, epoch, seq)',
    sqlite: EPOCHS,
    postgres: EPOCHS,
  },
  {
    id: 3,
    name: 'planned stops: a gateway that stopped on purpose',
    sqlite: 'ALTER TABLE gateway_state ADD COLUMN planned_stop INTEGER NOT NULL DEFAULT 0;',
    postgres: 'ALTER TABLE gateway_state ADD COLUMN planned_stop INTEGER NOT NULL DEFAULT 0;',
  },
  {
    id: 4,
    name: 'gaps are held, not skipped: when the next replay is due, and the range an open integrity alarm names',
    sqlite: INTEGRITY,
    postgres: INTEGRITY,
  },
];
