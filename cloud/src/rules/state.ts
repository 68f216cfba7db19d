/**
 * Pending rule state (on/off delays, durations, last values, colours) lives in the `rule_state`
 * table, one row per (rule, point | site). The ingest transaction reads the rows it touches without
 * locks, evaluates, and locks (FOR UPDATE, in key order, so two workers never deadlock) only the rows it
 * will write, re-evaluating any that changed in between (engine.ts); the timer pass takes due rows
 * with FOR UPDATE SKIP LOCKED. Restarts and other workers see the same state.
 */
import type { SqlDb } from '../db/index.ts';
import { numArray, textArray } from '../store/pg-arrays.ts';

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
  /** Not persisted: the stored row as read (absent for a row that did not exist), to tell whether it changed since. */
  stamp?: string;
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
    stamp: stampOf(r),
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

function stampOf(r: StateRow): string {
  return `${r.active}|${r.pending_since}|${r.clearing_since}|${r.due_at}|${r.last_time}|${r.data}`;
}

/**
 * Load the rows of these keys. On PostgreSQL `lock` takes them FOR UPDATE in key order (SQLite runs one
 * writer at a time and never needs it); without it the read takes no row locks and writes nothing.
 */
export async function loadStates(tx: SqlDb, keys: readonly string[], lock = true): Promise<Map<string, RuleState>> {
  const out = new Map<string, RuleState>();
  if (keys.length === 0) return out;
  const sorted = [...new Set(keys)].sort();
  if (tx.dialect === 'postgres') {
    const rows = await tx.query<StateRow>(
      `SELECT * FROM rule_state WHERE state_key = ANY($1::text[])${lock ? ' ORDER BY state_key FOR UPDATE' : ''}`,
      [textArray(sorted)],
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

// PostgreSQL: every changed row of a batch in one statement, in key order.
const UPSERT_MANY = `INSERT INTO rule_state (state_key, rule_id, site_id, active, pending_since, clearing_since, due_at, last_time, data, updated_at)
SELECT u.k, u.r, u.s, u.a, u.ps, u.cs, u.d, u.lt, u.data, $1
FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::int8[], $7::int8[], $8::int8[], $9::int8[], $10::text[]) AS u(k, r, s, a, ps, cs, d, lt, data) ORDER BY u.k
ON CONFLICT (state_key) DO UPDATE SET active = excluded.active, pending_since = excluded.pending_since,
  clearing_since = excluded.clearing_since, due_at = excluded.due_at, last_time = excluded.last_time, data = excluded.data,
  updated_at = excluded.updated_at`;

export async function saveStates(tx: SqlDb, states: Iterable<RuleState>, now: number): Promise<void> {
  const dirty = [...states].filter((s) => s.dirty);
  if (dirty.length === 0) return;
  if (tx.dialect === 'postgres') {
    tx.defer(UPSERT_MANY, [
      now, textArray(dirty.map((s) => s.key)), textArray(dirty.map((s) => s.ruleId)), textArray(dirty.map((s) => s.siteId)),
      numArray(dirty.map((s) => (s.active ? 1 : 0))), numArray(dirty.map((s) => s.pendingSince)), numArray(dirty.map((s) => s.clearingSince)),
      numArray(dirty.map((s) => s.dueAt)), numArray(dirty.map((s) => s.lastTime)), textArray(dirty.map((s) => JSON.stringify(s.data))),
    ]);
  } else {
    for (const s of dirty) {
      await tx.exec(UPSERT, [s.key, s.ruleId, s.siteId, s.active ? 1 : 0, s.pendingSince, s.clearingSince, s.dueAt, s.lastTime, JSON.stringify(s.data), now]);
    }
  }
  for (const s of dirty) s.dirty = false;
}
