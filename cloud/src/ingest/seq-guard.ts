/**
 * What of a batch may touch a stream's sequence bookkeeping, so that one bad event can never jam a
 * gateway (issue 18: a forged seq 999998 made the cloud ask for replays the gateway could not send and ack
 * a seq the gateway had never assigned, which it rightly refused — nothing was released again):
 *  - a seq beyond what the gateway announced (birth/status nextSeq − 1, or the ack) plus a bounded window
 *    is rejected outright: not stored, not sequenced;
 *  - an event reusing a seq already stored in this epoch under another id is rejected (the first one
 *    stands; nothing is stored twice under one (epoch, seq));
 *  - an event refused for another reason (wrong tenant) still counts for the ack, but only up to the seq
 *    the gateway announced — so the ack never passes what the gateway can have sent.
 * Runs inside the ingest transaction, with the stream row locked.
 */
import type { SqlDb } from '../db/index.ts';
import type { StreamState } from './seq-tracker.ts';

/** Default window above the announced seq: ~30 s of a large gateway's readings between two status messages. */
export const DEFAULT_SEQ_WINDOW = 100_000;

export interface GuardRejection<E> {
  event: E;
  reason: 'seq_out_of_window' | 'seq_reused';
  detail: string;
}

export interface GuardDecision<E> {
  /** Events to insert (new, or duplicates by id — the insert ignores those). */
  store: E[];
  /** Seqs to apply to the bookkeeping. */
  sequence: number[];
  rejected: GuardRejection<E>[];
  /** No event to store carries a seq the stream had already taken: none can be stored yet in this epoch. */
  newSeqs: boolean;
}

function inPending(s: StreamState, seq: number): boolean {
  return s.pending.some(([a, b]) => seq >= a && seq <= b);
}

/** The highest seq the cloud accepts for this stream now. */
export function seqLimit(s: Pick<StreamState, 'announcedSeq' | 'ackSeq'>, window: number): number {
  return Math.max(s.announcedSeq, s.ackSeq) + window;
}

export async function guardBatch<E extends { id: string; seq: number }>(
  tx: SqlDb,
  table: 'telemetry_raw' | 'edge_events',
  s: StreamState,
  owned: readonly E[],
  refused: readonly E[],
  window: number,
): Promise<GuardDecision<E>> {
  const limit = seqLimit(s, window);
  const rejected: GuardRejection<E>[] = [];
  const inWindow: E[] = [];
  for (const e of owned) {
    if (e.seq > limit) {
      rejected.push({ event: e, reason: 'seq_out_of_window', detail: `event ${e.id} seq ${e.seq} is beyond announced seq ${s.announcedSeq} / ack ${s.ackSeq} + window ${window}` });
    } else {
      inWindow.push(e);
    }
  }
  // Only a seq the stream has already taken (at or below the ack, or received above a gap) can be stored.
  const taken = inWindow.filter((e) => e.seq <= s.ackSeq || inPending(s, e.seq)).map((e) => e.seq);
  const stored = new Map<number, string>();
  if (taken.length > 0) {
    const rows = await tx.query<{ id: string; seq: number }>(
      `SELECT id, seq FROM ${table} WHERE gateway_id = $1 AND epoch = $2 AND seq >= $3 AND seq <= $4`,
      [s.gatewayId, s.epoch, Math.min(...taken), Math.max(...taken)],
    );
    for (const r of rows) stored.set(Number(r.seq), r.id);
  }
  const store: E[] = [];
  const sequence: number[] = [];
  for (const e of inWindow) {
    const holder = stored.get(e.seq);
    if (holder !== undefined && holder !== e.id) {
      rejected.push({ event: e, reason: 'seq_reused', detail: `event ${e.id} reuses seq ${e.seq} of stored event ${holder} (epoch ${s.epoch}); not stored` });
      continue;
    }
    stored.set(e.seq, e.id);
    store.push(e);
    sequence.push(e.seq);
  }
  for (const e of refused) if (e.seq <= s.announcedSeq) sequence.push(e.seq);
  return { store, sequence, rejected, newSeqs: taken.length === 0 };
}
