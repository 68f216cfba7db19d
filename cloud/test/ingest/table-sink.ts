/**
 * A recording AlarmSink backed by a PostgreSQL table, shared by worker processes: one row per
 * (condition key, occurrence). A raise on a key with an open occurrence updates it (as the real
 * alarm service does); a clear closes the open one. Used by the scale-out test.
 */
import type { AlarmClearInput, AlarmConditionInput, AlarmSink } from '../../src/alarms/alarm-sink.ts';
import type { SqlDb } from '../../src/db/index.ts';

export async function createSinkTable(db: SqlDb): Promise<void> {
  await db.execScript(`CREATE TABLE IF NOT EXISTS test_alarm_occurrences (
    condition_key TEXT NOT NULL, occurrence INTEGER NOT NULL, raised_at BIGINT NOT NULL, cleared_at BIGINT,
    raise_calls INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (condition_key, occurrence))`);
}

export class TableSink implements AlarmSink {
  constructor(private readonly db: SqlDb) {}

  raise(input: AlarmConditionInput): Promise<{ alarmId: string; created: boolean }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [input.conditionKey]);
      const open = await tx.query<{ occurrence: number }>('SELECT occurrence FROM test_alarm_occurrences WHERE condition_key = $1 AND cleared_at IS NULL', [input.conditionKey]);
      if (open[0]) {
        await tx.exec('UPDATE test_alarm_occurrences SET raise_calls = raise_calls + 1 WHERE condition_key = $1 AND occurrence = $2', [input.conditionKey, open[0].occurrence]);
        return { alarmId: `${input.conditionKey}#${open[0].occurrence}`, created: false };
      }
      const max = await tx.query<{ n: number | null }>('SELECT MAX(occurrence) AS n FROM test_alarm_occurrences WHERE condition_key = $1', [input.conditionKey]);
      const occurrence = Number(max[0]?.n ?? 0) + 1;
      await tx.exec('INSERT INTO test_alarm_occurrences (condition_key, occurrence, raised_at) VALUES ($1, $2, $3)', [input.conditionKey, occurrence, Date.now()]);
      return { alarmId: `${input.conditionKey}#${occurrence}`, created: true };
    });
  }

  async clear(input: AlarmClearInput): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [input.conditionKey]);
      await tx.exec('UPDATE test_alarm_occurrences SET cleared_at = $2 WHERE condition_key = $1 AND cleared_at IS NULL', [input.conditionKey, Date.now()]);
    });
  }
}

/** The rule set the scale-out workers run. */
export const SCALE_RULES = {
  version: 1,
  rules: [{ id: 'lel', kind: 'limit', points: ['GT-*/lel'], limits: [{ level: 'GAS_1', direction: 'high', value: 25, deadband: 2 }] }],
};
