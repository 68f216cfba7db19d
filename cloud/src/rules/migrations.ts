/** Numbered, forward-only migrations of the rules engine (module `rules`). */
import type { Migration } from '../db/index.ts';

const SQL = `
CREATE TABLE rule_sets (
  version INTEGER PRIMARY KEY,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE rule_state (
  state_key TEXT PRIMARY KEY,
  rule_id TEXT NOT NULL,
  site_id TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 0,
  pending_since BIGINT,
  clearing_since BIGINT,
  due_at BIGINT,
  last_time BIGINT NOT NULL DEFAULT 0,
  data TEXT NOT NULL DEFAULT '{}',
  updated_at BIGINT NOT NULL
);
CREATE INDEX rule_state_due ON rule_state (due_at);
CREATE INDEX rule_state_rule ON rule_state (rule_id);`;

export const RULES_MIGRATIONS: readonly Migration[] = [{ id: 1, name: 'rule sets and rule state', sqlite: SQL, postgres: SQL }];
