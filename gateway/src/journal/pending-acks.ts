/**
 * Acknowledgements the journal accepted but has not written yet. The cloud acks every batch (tens per
 * second while a backlog drains); each one used to be a transaction of its own, with its own fsync, to
 * move `acked_seq` and delete the released rows. Now an accepted ack counts at once for everything that
 * reads the stream's position, and is written inside the next journal write's transaction (which happens
 * every poll anyway), or by a timer when nothing is written.
 *
 * What this risks is only a resend: after a crash before the write, the rows of an ack not yet written
 * are sent again, and the cloud stores each event id once. No row is deleted before its ack is written.
 */
import type { Stream } from '@safeloop/contract';

export type TakenAcks = readonly (readonly [Stream, number])[];

export class PendingAcks {
  private readonly seqs: Record<Stream, number> = { alarm: 0, telemetry: 0 };

  /** The highest accepted, unwritten ack of a stream (0 when none). */
  get(stream: Stream): number {
    return this.seqs[stream];
  }

  set(stream: Stream, seq: number): void {
    if (seq > this.seqs[stream]) this.seqs[stream] = seq;
  }

  any(): boolean {
    return this.seqs.alarm > 0 || this.seqs.telemetry > 0;
  }

  /** The acks to write in the transaction about to run; pass them to `written` once it committed. */
  take(): TakenAcks {
    const out: [Stream, number][] = [];
    if (this.seqs.alarm > 0) out.push(['alarm', this.seqs.alarm]);
    if (this.seqs.telemetry > 0) out.push(['telemetry', this.seqs.telemetry]);
    return out;
  }

  /** After the commit: forget what was written (an ack that arrived meanwhile stays pending). */
  written(taken: TakenAcks): void {
    for (const [stream, seq] of taken) if (this.seqs[stream] === seq) this.seqs[stream] = 0;
  }
}
