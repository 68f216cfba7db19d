/**
 * For tests that count round trips to PostgreSQL (not used by production code): while recording, every
 * query the real `pg` client sends is noted by its text ('(copy)' for a COPY stream), in order.
 */
import pg from 'pg';

export interface PgQueryRecorder {
  /** The texts sent since start, in order (a test may empty it between steps). */
  readonly sent: string[];
  start(): void;
  /** Put the client's own query method back. */
  stop(): void;
}

export function pgQueryRecorder(): PgQueryRecorder {
  const original = pg.Client.prototype.query;
  const sent: string[] = [];
  return {
    sent,
    start() {
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const first = args[0];
        sent.push(typeof first === 'string' ? first : ((first as { text?: string }).text ?? '(copy)'));
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof original;
    },
    stop() {
      pg.Client.prototype.query = original;
    },
  };
}
