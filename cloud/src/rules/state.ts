/**
 * Pending rule state (on/off delays, durations, last values, colours) lives in the `rule_state`
 * table, one row per (rule, point | site). The ingest transaction loads the rows it touches with
 * FOR UPDATE (in key order, so two workers never deadlock) and writes back the ones it changed;
 * the timer pass takes due rows with FOR UPDATE SKIP LOCKED. Restarts and other workers see the
 * same state.
 */
import type { SqlDb } from '../db/index.ts';

export interface RuleState {
  key: string;
  ruleId: string;
  siteId: string;
  active: boolean;
  pendingSince: number | null;
  clearingSince: number | null;
  dueAt: number | null;
  lastTime: number;
  data: Record<string, unknown>;
  /** Not persisted: set when the row must be written back (a fresh, untouched state is the default and is not stored). */
  dirty: boolean;
}

interface StateRow {
  state_key: string;
  rule_id: string;
  site_id: string;
  active: number;
  pending_since: number | null;
  clearing_since: number | null;
  due_at: number | null;
  last_time: number;
  data: string;
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

export function fromStateRow(r: StateRow): RuleState {
  return {
    key: r.state_key,
    ruleId: r.rule_id,
    siteId: r.site_id,
    active: Number(r.active) === 1,
    pendingSince: num(r.pending_since),
    clearingSince: num(r.clearing_since),
    dueAt: num(r.due_at),
    lastTime: Number(r.last_time),
    data: JSON.parse(r.data) as Record<string, unknown>,
    dirty: false,
  };
}

export function freshState(key: string, ruleId: string, siteId: string): RuleState {
  return { key, ruleId, siteId, active: false, pendingSince: null, clearingSince: null, dueAt: null, lastTime: 0, data: {}, dirty: false };
}

/** Load (and on PostgreSQL lock, in key order) the rows of these keys. */
export async function loadStates(tx: SqlDb, keys: readonly string[]): Promise<Map<string, RuleState>> {
  const out = new Map<string, RuleState>();
  if (keys.length === 0) return out;
  const sorted = [...new Set(keys)].sort();
  if (tx.dialect === 'postgres') {
    const rows = await tx.query<StateRow>(
      'SELECT * FROM rule_state WHERE state_key IN (SELECT value FROM json_array_elements_text($1::json)) ORDER BY state_key FOR UPDATE',
      [JSON.stringify(sorted)],
    );
    for (const r of rows) out.set(r.state_key, fromStateRow(r));
    return out;
  }
  for (let i = 0; i < sorted.length; i += 200) {
    const chunk = sorted.slice(i, i + 200);
    const rows = await tx.query<StateRow>(`SELECT * FROM rule_state WHERE state_key IN (${chunk.map((_, j) => `$${j + 1}`).join(', ')})`, chunk);
    for (const r of rows) out.set(r.state_key, fromStateRow(r));
  }
  return out;
}

const UPSERT = `INSERT INTO rule_state (state_key, rule_id, site_id, active, pending_since, clearing_since, due_at, last_time, data, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (state_key) DO UPDATE SET active = excluded.active, pending_since = excluded.pending_since,
  clearing_since = excluded.clearing_since, due_at = excluded.due_at, last_time = excluded.last_time, data = excluded.data,
  updated_at = excluded.updated_at`;

export async function saveStates(tx: SqlDb, states: Iterable<RuleState>, now: number): Promise<void> {
  for (const s of states) {
    if (!s.dirty) continue;
    await tx.exec(UPSERT, [s.key, s.ruleId, s.siteId, s.active ? 1 : 0, s.pendingSince, s.clearingSince, s.dueAt, s.lastTime, JSON.stringify(s.data), now]);
    s.dirty = false;
  }
}
