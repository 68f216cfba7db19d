/**
 * Transactional outbox between rule/ingest decisions and the AlarmSink.
 *
 * A decision ("raise this condition", "clear that one") is written in the same transaction as
 * the data that caused it, then dispatched to the AlarmSink after the commit. A worker that dies
 * between commit and dispatch leaves the rows behind; any worker's periodic dispatch picks them up.
 * Rows of one condition key are delivered strictly in order: a row is taken only when no older row
 * of the same key is left (PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never wait on each other).
 * A sink failure leaves the row for a retry with backoff: a decision is never dropped.
 */
import type { Clock, Logger } from '@safeloop/contract';
import { backoffDelay, errorMessage, systemClock } from '@safeloop/contract';
import type { AlarmClearInput, AlarmConditionInput, AlarmSink } from '../alarms/alarm-sink.ts';
import { migrate, type Migration, type SqlDb } from '../db/index.ts';

/** Decisions per INSERT statement (3 parameters each, well inside both databases' limits). */
const ENQUEUE_CHUNK = 200;

export type OutboxOp = { op: 'raise'; input: AlarmConditionInput } | { op: 'clear'; input: AlarmClearInput };

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'alarm outbox',
    sqlite: `CREATE TABLE alarm_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, condition_key TEXT NOT NULL, op TEXT NOT NULL,
  body TEXT NOT NULL, created_at BIGINT NOT NULL, next_at BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX alarm_outbox_key ON alarm_outbox (condition_key, id);`,
    postgres: `CREATE TABLE alarm_outbox (id BIGSERIAL PRIMARY KEY, condition_key TEXT NOT NULL, op TEXT NOT NULL,
  body TEXT NOT NULL, created_at BIGINT NOT NULL, next_at BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX alarm_outbox_key ON alarm_outbox (condition_key, id);`,
  },
];

interface OutboxRow {
  id: number;
  condition_key: string;
  op: string;
  body: string;
  attempts: number;
}

const HEADS = `SELECT o.id, o.condition_key, o.op, o.body, o.attempts FROM alarm_outbox o
WHERE o.next_at <= $1 AND o.created_at <= $2
  AND NOT EXISTS (SELECT 1 FROM alarm_outbox p WHERE p.condition_key = o.condition_key AND p.id < o.id)
ORDER BY o.id LIMIT $3`;

export interface AlarmOutboxDeps {
  db: SqlDb;
  sink: AlarmSink;
  logger: Logger;
  clock?: Clock;
  /** Called after each failed delivery (metrics). */
  onFailure?: (err: unknown) => void;
  onDelivered?: (op: OutboxOp) => void;
}

export class AlarmOutbox {
  private readonly clock: Clock;
  private running: Promise<number> | undefined;
  private again = false;

  constructor(private readonly deps: AlarmOutboxDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  init(): Promise<void> {
    return migrate(this.deps.db, 'alarm_outbox', MIGRATIONS);
  }

  /** Inside the caller's transaction. */
  async enqueue(tx: SqlDb, ops: readonly OutboxOp[]): Promise<number> {
    const now = this.clock.now();
    // One statement per chunk, not per decision: on the alarm path each round trip is a wait for the server.
    for (let i = 0; i < ops.length; i += ENQUEUE_CHUNK) {
      const chunk = ops.slice(i, i + ENQUEUE_CHUNK);
      const params: (string | number)[] = [now];
      const rows = chunk.map((o) => {
        params.push(o.input.conditionKey, o.op, JSON.stringify(o.input));
        const n = params.length;
        return `($${n - 2}, $${n - 1}, $${n}, $1, $1)`;
      });
      // Rows get their ids in the order given, and dispatch runs in id order: decisions stay in order.
      // Deferred: on PostgreSQL it travels with the COMMIT.
      tx.defer(`INSERT INTO alarm_outbox (condition_key, op, body, created_at, next_at) VALUES ${rows.join(', ')}`, params);
    }
    return ops.length;
  }

  /**
   * Deliver what is due. `minAgeMs` > 0 restricts to rows older than that (the orphan sweep, so
   * a periodic pass does not race the worker that just committed them). Returns rows delivered.
   * Calls made while a pass is running coalesce into one more pass.
   */
  dispatch(minAgeMs = 0): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<number> => {
      let total = 0;
      try {
        do {
          this.again = false;
          for (;;) {
            const n = await this.pass(minAgeMs);
            total += n;
            if (n === 0) break;
          }
        } while (this.again);
      } finally {
        this.running = undefined;
      }
      return total;
    };
    this.running = run();
    return this.running;
  }

  /** Rows still waiting (tests and metrics). */
  /** Decisions committed but not yet delivered (all, or those of one condition). */
  async pending(conditionKey?: string): Promise<number> {
    const r =
      conditionKey === undefined
        ? await this.deps.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM alarm_outbox')
        : await this.deps.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM alarm_outbox WHERE condition_key = $1', [conditionKey]);
    return Number(r[0]?.n ?? 0);
  }

  private async pass(minAgeMs: number): Promise<number> {
    const { db } = this.deps;
    const now = this.clock.now();
    const params = [now, now - minAgeMs, 100];
    if (db.dialect === 'postgres') {
      return db.transaction(async (tx) => {
        const rows = await tx.query<OutboxRow>(`${HEADS} FOR UPDATE OF o SKIP LOCKED`, params);
        return this.deliver(tx, rows);
      });
    }
    // SQLite: one process owns the file; never hold a transaction across the sink call.
    const rows = await db.query<OutboxRow>(HEADS, params);
    return this.deliver(db, rows);
  }

  private async deliver(q: SqlDb, rows: readonly OutboxRow[]): Promise<number> {
    let delivered = 0;
    for (const row of rows) {
      const op = { op: row.op, input: JSON.parse(row.body) as unknown } as OutboxOp;
      try {
        if (op.op === 'raise') await this.deps.sink.raise(op.input);
        else await this.deps.sink.clear(op.input);
        q.defer('DELETE FROM alarm_outbox WHERE id = $1', [row.id]); // PostgreSQL: with the pass's COMMIT
        delivered += 1;
        this.deps.onDelivered?.(op);
      } catch (err) {
        const attempts = Number(row.attempts) + 1;
        const backoff = backoffDelay(attempts + 1, { initialMs: 250, maxMs: 30_000 });
        q.defer('UPDATE alarm_outbox SET attempts = $2, next_at = $3 WHERE id = $1', [row.id, attempts, this.clock.now() + backoff]);
        this.deps.logger.error({ err: errorMessage(err), conditionKey: row.condition_key, op: row.op, attempts }, 'alarm sink call failed; will retry');
        this.deps.onFailure?.(err);
      }
    }
    return delivered;
  }
}
