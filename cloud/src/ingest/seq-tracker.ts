/**
 * Per-(gateway, stream) sequence bookkeeping: the highest contiguous sequence committed (the ack),
 * the ranges received above it, the highest sequence known to exist, and the gap timer.
 * The row is locked (PostgreSQL FOR UPDATE) for the whole ingest transaction, so several workers
 * receiving one gateway's batches through a shared subscription agree on it.
 */
import type { Stream } from '@safeloop/contract';
import type { SqlDb } from '../db/index.ts';

export type SeqRange = [number, number];

export interface StreamState {
  gatewayId: string;
  stream: Stream;
  ackSeq: number;
  /** Received ranges above ackSeq + 1, sorted, disjoint, non-adjacent. */
  pending: SeqRange[];
  expectedSeq: number;
  gapSince: number | null;
  replayRequestedAt: number | null;
  /** When the timer pass next acts on an unfilled gap (asks again, raises the integrity alarm); null: not yet asked. */
  replayDue: number | null;
  /** The missing range an open data-integrity alarm names; cleared when the ack reaches its end. */
  integrity: SeqRange | null;
  /** Stream epoch: a new journal at the gateway (seqs restarting) opens the next one. */
  epoch: number;
  /** Journal id the gateway announced for this epoch (null: never announced). */
  journalId: string | null;
  /** Highest seq the gateway announced as assigned (birth/status nextSeq − 1) in this epoch. */
  announcedSeq: number;
  /** Batches in a row that resent only what was already acknowledged (the gateway is not taking our acks). */
  stuckCount: number;
  stuckAt: number | null;
  stuckAlarm: boolean;
}

export interface StreamRow {
  ack_seq: number;
  pending: string;
  expected_seq: number;
  gap_since: number | null;
  replay_requested_at: number | null;
  replay_due: number | null;
  integrity_from: number | null;
  integrity_to: number | null;
  epoch: number;
  journal_id: string | null;
  announced_seq: number;
  stuck_count: number;
  stuck_at: number | null;
  stuck_alarm: number;
}

export const STREAM_COLUMNS = 'ack_seq, pending, expected_seq, gap_since, replay_requested_at, replay_due, integrity_from, integrity_to, epoch, journal_id, announced_seq, stuck_count, stuck_at, stuck_alarm';

/** Merge sequence numbers into ranges above `ack`, then advance `ack` over what became contiguous. */
export function mergeSeqs(ack: number, pending: readonly SeqRange[], seqs: readonly number[]): { ack: number; pending: SeqRange[] } {
  const all = [...new Set(seqs)].filter((s) => s > ack).sort((a, b) => a - b);
  const ranges: SeqRange[] = pending.map(([a, b]) => [a, b]);
  for (const s of all) ranges.push([s, s]);
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: SeqRange[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  let next = ack;
  while (merged.length > 0 && merged[0]![0] <= next + 1) {
    next = Math.max(next, merged.shift()![1]);
  }
  return { ack: next, pending: merged };
}

export function hasGap(s: Pick<StreamState, 'ackSeq' | 'pending' | 'expectedSeq'>): boolean {
  return s.pending.length > 0 || s.expectedSeq > s.ackSeq;
}

/** The missing range right after the ack. */
export function firstMissing(s: Pick<StreamState, 'ackSeq' | 'pending' | 'expectedSeq'>): { fromSeq: number; toSeq: number } {
  const next = s.pending[0];
  return { fromSeq: s.ackSeq + 1, toSeq: next ? next[0] - 1 : Math.max(s.expectedSeq, s.ackSeq + 1) };
}

/** Create if needed and lock the row (one round trip: the upsert's update takes the row lock); returns its state. */
export async function lockStream(tx: SqlDb, gatewayId: string, stream: Stream, now: number): Promise<StreamState> {
  const rows = await tx.query<StreamRow>(
    `INSERT INTO ingest_streams (gateway_id, stream, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (gateway_id, stream) DO UPDATE SET updated_at = excluded.updated_at
     RETURNING ${STREAM_COLUMNS}`,
    [gatewayId, stream, now],
  );
  const r = rows[0];
  if (!r) throw new Error(`ingest_streams row missing for ${gatewayId}/${stream}`);
  return fromRow(gatewayId, stream, r);
}

export function fromRow(gatewayId: string, stream: Stream, r: StreamRow): StreamState {
  return {
    gatewayId,
    stream,
    ackSeq: Number(r.ack_seq),
    pending: JSON.parse(r.pending) as SeqRange[],
    expectedSeq: Number(r.expected_seq),
    gapSince: r.gap_since === null ? null : Number(r.gap_since),
    replayRequestedAt: r.replay_requested_at === null ? null : Number(r.replay_requested_at),
    replayDue: r.replay_due === null ? null : Number(r.replay_due),
    integrity: r.integrity_from === null || r.integrity_to === null ? null : [Number(r.integrity_from), Number(r.integrity_to)],
    epoch: Number(r.epoch),
    journalId: r.journal_id,
    announcedSeq: Number(r.announced_seq),
    stuckCount: Number(r.stuck_count),
    stuckAt: r.stuck_at === null ? null : Number(r.stuck_at),
    stuckAlarm: Number(r.stuck_alarm) === 1,
  };
}

export interface SeqUpdate {
  state: StreamState;
  advanced: boolean;
  /** The range an open integrity alarm named is now below the ack (arrived, or discarded by the gateway): clear it. */
  integrityCleared: SeqRange | null;
}

/**
 * Apply received sequence numbers (and optionally a newer known tail, and the seq through which the gateway
 * declared its telemetry discarded) to the state. Only received seqs and a declared discard move the ack:
 * a gap is never acknowledged past on a timeout (the gateway would release readings the cloud never stored).
 */
export function applySeqs(prev: StreamState, seqs: readonly number[], now: number, knownTail = 0, discardedThrough = 0): SeqUpdate {
  const m = mergeSeqs(Math.max(prev.ackSeq, discardedThrough), prev.pending, seqs);
  const expectedSeq = Math.max(prev.expectedSeq, knownTail, m.ack, ...m.pending.map((r) => r[1]));
  const next: StreamState = { ...prev, ackSeq: m.ack, pending: m.pending, expectedSeq };
  const advanced = m.ack > prev.ackSeq;
  let integrityCleared: SeqRange | null = null;
  if (prev.integrity && m.ack >= prev.integrity[1]) {
    integrityCleared = prev.integrity;
    next.integrity = null;
  }
  if (!hasGap(next)) {
    next.gapSince = null;
    next.replayRequestedAt = null;
    next.replayDue = null;
  } else if (advanced || next.gapSince === null) {
    // Progress restarts the reorder timer: a backlog being drained is not a gap.
    next.gapSince = now;
    next.replayRequestedAt = null;
    next.replayDue = null;
  }
  return { state: next, advanced, integrityCleared };
}

/** Deferred (SqlDb.defer): on PostgreSQL it travels with the transaction's next statement or its COMMIT. */
export function saveStream(tx: SqlDb, s: StreamState, now: number): void {
  tx.defer(
    `UPDATE ingest_streams SET ack_seq = $3, pending = $4, expected_seq = $5, gap_since = $6, replay_requested_at = $7,
       replay_due = $8, updated_at = $9, epoch = $10, journal_id = $11, announced_seq = $12, stuck_count = $13, stuck_alarm = $14, stuck_at = $15,
       integrity_from = $16, integrity_to = $17
     WHERE gateway_id = $1 AND stream = $2`,
    [
      s.gatewayId, s.stream, s.ackSeq, JSON.stringify(s.pending), s.expectedSeq, s.gapSince, s.replayRequestedAt, s.replayDue, now,
      s.epoch, s.journalId, s.announcedSeq, s.stuckCount, s.stuckAlarm ? 1 : 0, s.stuckAt,
      s.integrity ? s.integrity[0] : null, s.integrity ? s.integrity[1] : null,
    ],
  );
}
